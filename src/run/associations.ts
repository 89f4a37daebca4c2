/**
 * Associations, after a sync's records: for each association the sync declares, the pairs of
 * (this record, target record) are resolved in the warehouse by joining both syncs' state for
 * the record ids, diffed against association state, and only the new pairs are written, in
 * batches. A pair whose target (or source) has no record id yet is not sent: it waits, and the
 * next run's diff finds it again. Pairs that left the model are removed in HubSpot when the
 * association says `on_removed: remove`, else only forgotten. State records only the pairs
 * HubSpot acknowledged.
 */
import type { Destination, PairOutcome } from '../../connectors/destination.ts';
import { syncRelation, type AssociationConfig, type SyncConfig } from '../config/schema.ts';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import { AssociationStore, type PairSource } from '../state/association-state.ts';
import type { SyncContext } from './sync.ts';

export interface AssociationResult {
  to: string;
  pairs: number;
  /** Pairs sent (new), and of those written and failed (failed ones are sent again next run). */
  sent: number;
  written: number;
  failed: number;
  /** Pairs waiting for a record id (retried next run). */
  waiting: number;
  /** Pairs that left the model: removed in HubSpot (on_removed: remove) or forgotten. */
  removed: number;
  /** The first failure's message, when any pair failed. */
  firstError?: string;
}

export type AssociationContext = Pick<SyncContext, 'warehouse' | 'schemas' | 'syncs' | 'runId'> & { pageSize?: number };

export async function syncAssociations(ctx: AssociationContext, destination: Destination, sync: SyncConfig): Promise<AssociationResult[]> {
  const store = new AssociationStore(ctx.warehouse, ctx.schemas.state);
  const results: AssociationResult[] = [];
  if (!sync.associations?.length) return results;
  await store.ensureTable();
  for (const association of sync.associations) results.push(await syncOne(ctx, store, destination, sync, association));
  return results;
}

/**
 * What the association step would do for a sync, without sending: pairs to write (as `sent`),
 * waiting for a record id, and leaving the model. Diffs into tables of this run's own and drops them.
 */
export async function planAssociations(ctx: AssociationContext, sync: SyncConfig): Promise<AssociationResult[]> {
  const results: AssociationResult[] = [];
  if (!sync.associations?.length) return results;
  const store = new AssociationStore(ctx.warehouse, ctx.schemas.state);
  await store.ensureTable();
  for (const association of sync.associations) results.push(await syncOne(ctx, store, null, sync, association));
  return results;
}

/** Writes (or, without a destination, only diffs) one association of a sync. */
async function syncOne(ctx: AssociationContext, store: AssociationStore, destination: Destination | null, sync: SyncConfig, association: AssociationConfig): Promise<AssociationResult> {
  const target = ctx.syncs.find((s) => s.name === association.to);
  if (!target) throw new ConfigError(`Sync '${sync.name}' associates with sync '${association.to}', which does not exist`);
  const source: PairSource = {
    syncName: sync.name,
    toSync: target.name,
    model: syncRelation(sync, ctx.schemas.models),
    keyColumn: sync.key,
    targetColumn: association.column,
  };
  const columns = (await ctx.warehouse.describe(source.model))?.map((c) => c.name.toLowerCase()) ?? [];
  if (!columns.includes(association.column)) {
    throw new ModelError(`Sync '${sync.name}' associates with '${target.name}' through column '${association.column}', which model '${sync.model}' does not have`);
  }
  const kind = { from: sync.object, to: target.object, primary: association.primary };
  const size = ctx.pageSize ?? 1000;
  const pairs = await store.diff(source, ctx.runId);
  try {
    const diff = pairs.summary;
    const result: AssociationResult = { to: target.name, pairs: diff.pairs, sent: 0, written: 0, failed: 0, waiting: diff.waiting, removed: 0 };
    if (!destination) return { ...result, sent: diff.pending, removed: diff.removed };
    const note = (outcomes: PairOutcome[]) => {
      for (const o of outcomes) if (!o.ok) result.firstError ??= `${o.category}: ${o.message}`;
    };
    // Pairs that left the model first: a record moving to another target stays within an
    // association limit the portal may set (one company per deal, say).
    if (diff.removed > 0) {
      let archived = true;
      if (association.on_removed === 'remove') {
        for await (const page of pairs.removed(size)) {
          const outcomes = await destination.dissociate(kind, page.map(({ fromId, toId }) => ({ fromId, toId })));
          note(outcomes);
          archived &&= outcomes.every((o) => o.ok);
        }
      }
      // A failed archive leaves the pairs in state: the next run archives them again (harmless twice).
      if (archived) {
        await pairs.forgetRemoved();
        result.removed = diff.removed;
      } else result.failed += diff.removed;
    }
    if (diff.pending > 0) {
      for await (const page of pairs.pending(size)) {
        const outcomes = await destination.associate(kind, page.map(({ fromId, toId }) => ({ fromId, toId })));
        const ok = new Set(outcomes.filter((o) => o.ok).map((o) => `${o.pair.fromId}>${o.pair.toId}`));
        const written = page.filter((p) => ok.has(`${p.fromId}>${p.toId}`));
        await pairs.recordWritten(written);
        note(outcomes);
        result.sent += page.length;
        result.written += written.length;
        result.failed += page.length - written.length;
      }
    }
    return result;
  } finally {
    await pairs.drop();
  }
}
