/**
 * One sync's writer (the destination contract's `SyncWriter`): bound to the sync once, it
 * resolves what the sync means in HubSpot (its identity, its object type's writer hooks, the
 * pipeline and create mode that `ensureProperties` found) and answers one outcome per change.
 * It throws only for whole-run failures: AuthError (401/403), DailyLimitError (a DestinationError
 * carrying the outcomes already obtained), or a DestinationError when not a single record could be
 * delivered because HubSpot stayed unreachable.
 */
import type { Change, Outcome, SyncWriter } from '../destination.ts';
import { DestinationError } from '../../contracts/errors.ts';
import type { ItemResult } from './batch-writer.ts';
import type { HubSpotSyncTarget } from './config.ts';
import { DailyLimitError } from './errors.ts';
import { clearedRow, formatRow } from './format-values.ts';
import { identityProperty, OBJECT_WRITERS, type ObjectTypeName } from './objects/object-types.ts';
import { writeObjects } from './objects/write-template.ts';
import type { ResolvedPipeline } from './pipelines.ts';
import type { Prepared, SendContext } from './send-context.ts';

/** What every sync's writer shares with its destination: the client, pacing, and what `ensureProperties` learnt per sync. */
export interface WriterShared {
  /** The part of every send's context that is the same for all syncs. */
  context: Omit<SendContext, 'sync' | 'identity' | 'createsThrough' | 'pipeline' | 'record'>;
  /** Counts a record written (the destination's stats). */
  written(): void;
  /** The sync's create mode and pipeline, once `ensureProperties` ran for it. */
  createsThrough(syncName: string): ObjectTypeName | null;
  pipeline(syncName: string): ResolvedPipeline | undefined;
  /** Creates or checks the properties of these syncs (HubSpotDestination.ensureProperties). */
  ensureProperties(syncs: HubSpotSyncTarget[]): Promise<void>;
}

export class HubSpotSyncWriter implements SyncWriter {
  constructor(
    private readonly shared: WriterShared,
    private readonly sync: HubSpotSyncTarget,
  ) {}

  ensureProperties(): Promise<void> {
    return this.shared.ensureProperties([this.sync]);
  }

  createsThrough(): ObjectTypeName | null {
    return this.shared.createsThrough(this.sync.name);
  }

  async send(changes: Change[]): Promise<Outcome[]> {
    const outcomes = new Map<Change, Outcome>();
    const groups = new Map<string, Change[]>();
    const prepared: Prepared[] = [];
    const slot = new Map<string, number>();

    for (const change of changes) {
      const p = this.prepare(change);
      if ('outcome' in p) {
        outcomes.set(change, p.outcome);
        continue;
      }
      const group = groups.get(p.key);
      // HubSpot rejects a whole batch that names a record twice: send each key once.
      if (group) {
        group.push(change);
        prepared[slot.get(p.key)!] = p;
      } else {
        groups.set(p.key, [change]);
        slot.set(p.key, prepared.push(p) - 1);
      }
    }

    const ctx: SendContext = {
      ...this.shared.context,
      sync: this.sync,
      identity: identityProperty(this.sync),
      createsThrough: this.createsThrough() ?? undefined,
      pipeline: this.shared.pipeline(this.sync.name),
      record: (p: Prepared, result: ItemResult) => {
        if (result.ok) this.shared.written();
        for (const change of groups.get(p.key) ?? [p.change]) {
          outcomes.set(change, result.ok ? { key: change.key, ok: true, recordId: result.recordId } : { key: change.key, ...result });
        }
      },
    };

    try {
      if (prepared.length > 0) await writeObjects(ctx, OBJECT_WRITERS[this.sync.object], prepared);
    } catch (err) {
      if (err instanceof DailyLimitError) throw new DailyLimitError(err.message, changes.flatMap((c) => outcomes.get(c) ?? []));
      throw err;
    }

    const result = changes.map(
      (c) =>
        outcomes.get(c) ?? {
          key: c.key,
          ok: false as const,
          category: 'NOT_ACKNOWLEDGED',
          property: null,
          message: 'no answer from HubSpot for this record; it is sent again next run',
        },
    );
    const sent = result.filter((o) => !(o.ok === false && PRE_SEND.has(o.category)));
    if (sent.length > 0 && sent.every((o) => !o.ok && o.category === 'RETRIES_EXHAUSTED')) {
      const first = sent[0] as Extract<Outcome, { ok: false }>;
      throw new DestinationError(`HubSpot could not be reached for any of ${sent.length} records (${first.message}); nothing was delivered, run again later`);
    }
    return result;
  }

  private prepare(change: Change): Prepared | { outcome: Outcome } {
    const failure = (category: string, property: string | null, message: string) => ({
      outcome: { key: change.key, ok: false as const, category, property, message },
    });
    const normalised = OBJECT_WRITERS[this.sync.object].normaliseKey(String(change.key), identityProperty(this.sync));
    if (!('key' in normalised)) return failure(normalised.category, normalised.property, normalised.message);
    const { key } = normalised;
    if (change.kind === 'clear') return { change, key, properties: clearedRow(this.sync.properties), clear: true };
    const mappings = change.partial ? this.sync.properties.filter((m) => m.column in change.values) : this.sync.properties;
    const row = formatRow(mappings, change.values);
    if (!row.ok) return failure(row.category, row.property, row.message);
    return { change, key, properties: row.properties, clear: false };
  }
}

/** Categories decided before sending (no request was made for them). */
const PRE_SEND = new Set(['INVALID_EMAIL', 'INVALID_DOMAIN', 'INVALID_OPTION', 'INVALID_NUMBER', 'INVALID_DATE', 'INVALID_BOOLEAN', 'VALUE_TOO_LONG', 'MISSING_VALUE']);
