import { createHash } from 'node:crypto';
import type { Warehouse } from '../../connectors/warehouse.ts';
import type { SyncConfig } from '../config/schema.ts';

/**
 * Where a sync's columns go: each column's property and type, and the object. A row's hash in
 * sync state starts with the fingerprint of the mapping it was delivered under
 * (`<fingerprint>:<md5 of the values>`), so renaming or retyping a property makes every row
 * a change (docs/delivery.md, "The mapping is part of what was delivered").
 */
export interface MappingFingerprint {
  /** 12 hex characters; no LIKE wildcard can appear in it. */
  fingerprint: string;
  /** The canonical mapping the fingerprint is taken over, as JSON (kept in state for `plan`). */
  mapping: string;
}

/** Length of the fingerprint plus its ':' separator, as a row hash starts. */
export const FINGERPRINT_PREFIX_LENGTH = 13;

export interface MappedProperty {
  column: string;
  property: string;
  type: string;
}

export function mappingFingerprint(sync: Pick<SyncConfig, 'object' | 'properties'>): MappingFingerprint {
  const properties: MappedProperty[] = sync.properties
    .map((p) => ({ column: p.column, property: p.property, type: p.type }))
    .sort((a, b) => a.property.localeCompare(b.property) || a.column.localeCompare(b.column));
  const mapping = JSON.stringify({ object: sync.object, properties });
  return { fingerprint: createHash('sha256').update(mapping).digest('hex').slice(0, 12), mapping };
}

/**
 * What changed between a mapping rows were delivered under and today's, in words a reviewer
 * reads in `plan`: "property renamed pqlsync_pql_score → pqlsync_score", "pqlsync_tier retyped
 * string → enumeration", "pqlsync_reason added". Compared by column.
 */
export function describeMappingChange(before: string | undefined, now: string): string {
  if (!before) return 'mapping changed (the earlier mapping is not recorded)';
  const parse = (json: string) => (JSON.parse(json) as { object: string; properties: MappedProperty[] }).properties;
  const old = parse(before);
  const cur = parse(now);
  const words: string[] = [];
  for (const p of cur) {
    const was = old.filter((o) => o.column === p.column);
    if (was.length === 0) words.push(`${p.property} added`);
    else if (!was.some((o) => o.property === p.property)) words.push(`property renamed ${was.map((o) => o.property).join(', ')} → ${p.property}`);
    else {
      const same = was.find((o) => o.property === p.property)!;
      if (same.type !== p.type) words.push(`${p.property} retyped ${same.type} → ${p.type}`);
    }
  }
  for (const o of old) if (!cur.some((p) => p.column === o.column)) words.push(`${o.property} no longer mapped (kept in HubSpot as it is)`);
  return words.length ? words.join('; ') : 'mapping changed';
}

/**
 * The mappings each sync delivered under, by fingerprint (`sync_mappings`; DDL in
 * state-tables.ts), so a plan can say in words what a mapping change changed.
 */
export class SyncMappings {
  constructor(
    private readonly warehouse: Warehouse,
    private readonly schema: string,
  ) {}

  private get table(): string {
    return this.warehouse.dialect.table({ schema: this.schema, name: 'sync_mappings' });
  }

  /** Records the sync's current mapping under its fingerprint (once per fingerprint). */
  async remember(sync: Pick<SyncConfig, 'name' | 'object' | 'properties'>, runId: string): Promise<void> {
    const { fingerprint, mapping } = mappingFingerprint(sync);
    const [row] = await this.warehouse.query({ sql: `select count(*) as n from ${this.table} where sync_name = ? and fingerprint = ?`, values: [sync.name, fingerprint] });
    if (Number(row.n) > 0) return;
    await this.warehouse.execute({
      sql: `insert into ${this.table} (sync_name, fingerprint, mapping, first_run_id, first_seen_at) values (?, ?, ?, ?, ?)`,
      values: [sync.name, fingerprint, mapping, runId, new Date()],
    });
  }

  /** The mappings a sync delivered under, by fingerprint. */
  async known(syncName: string): Promise<Map<string, string>> {
    const rows = await this.warehouse.query({ sql: `select fingerprint, mapping from ${this.table} where sync_name = ?`, values: [syncName] });
    return new Map(rows.map((r) => [String(r.fingerprint), String(r.mapping)]));
  }
}
