/**
 * The one batch template every object type runs (the shape of Grouparoo's and Segment's
 * `upsertObject`): update the records whose id sync state knows; find the records that
 * existed before pqlsync (an entry's `findExisting`, e.g. companies by domain) and update
 * them by id, stamping the identity; upsert the rest by the unique-value identity property,
 * so a create repeated after a lost answer updates the record it created. One answer per row.
 */
import { forEachBatch, withTraceId, writeWithSplitting, type BatchResponseLike, type ItemResult, type WriteItem } from '../batch-writer.ts';
import { deletedRecordId, isDeletedRecordId } from '../../destination.ts';
import { HUBSPOT_LIMITS } from '../limits.ts';
import type { Prepared, SendContext } from '../send-context.ts';
import { applyWritePolicy, policyReads } from '../write-policy.ts';
import { readHeldValues, type HeldValues } from './held-values.ts';
import { ownsIdentity } from './object-types.ts';
import { createThroughParents } from './journaled-creates.ts';
import type { ObjectTypeName } from './object-types.ts';

export interface ByIdTarget {
  prepared: Prepared;
  id: string;
  /** The properties to write (the prepared ones, stamped, maybe trimmed by `beforeUpdate`). */
  properties: Record<string, string>;
}

/** What an object type plugs into the template. */
export interface ObjectWriter {
  /** The object type's name (its folder's). */
  object: ObjectTypeName;
  /** The normalised key (for the sync's identity property), or the category, property and message of the row error. */
  normaliseKey(raw: string, identity: string): { key: string } | { category: string; property: string | null; message: string };
  /**
   * Records with a known id are updated by id. Without it (contacts) every row goes through
   * the identity upsert, which is as cheap and also idempotent.
   */
  updatesById: boolean;
  /**
   * Finds records that existed before pqlsync: key → record id; keys whose lookup failed in
   * `failed`; keys whose record belongs to another key in `refused` (the row error).
   */
  findExisting?(ctx: SendContext, prepared: Prepared[]): Promise<{ found: Map<string, string>; failed: Map<string, string>; refused?: Map<string, ItemResult> }>;
  /** Rewrites a CONFLICT answer (a unique value another record holds) into a row error naming both records. */
  explainConflict?(prepared: Prepared, result: Extract<ItemResult, { ok: false }>, recordId: string | null): ItemResult;
  /** Properties to read from HubSpot before updating this record by id (deals: stage and pipeline). */
  readsBeforeUpdate?(target: ByIdTarget): string[];
  /** Trims an update by id from what HubSpot holds (`held` undefined: the record is gone). */
  settleUpdate?(ctx: SendContext, target: ByIdTarget, held: HeldValues | undefined): void;
  /** Turns formatted properties into what HubSpot receives (deal stage keys into stage ids). */
  toHubSpot?(ctx: SendContext, properties: Record<string, string>, clear: boolean): Record<string, string>;
  /** Properties a record pqlsync creates also gets (companies: the domain). */
  createProperties?(prepared: Prepared): Record<string, string>;
  /** The row error's property and message when an update-only sync finds no record by `identity`. */
  notFound(prepared: Prepared, identity: string): { property: string; message: string };
}

export async function writeObjects(ctx: SendContext, writer: ObjectWriter, prepared: Prepared[]): Promise<void> {
  const { sync, identity } = ctx;
  // A unique property pqlsync owns (not one HubSpot keeps itself, as contacts' email).
  const owned = ownsIdentity(sync);
  const canCreate = (p: Prepared) => sync.mode !== 'update' && !p.clear && !sync.updateByIdOnly;
  const properties = (p: Prepared) => {
    const out = writer.toHubSpot ? writer.toHubSpot(ctx, p.properties, p.clear) : { ...p.properties };
    // A pqlsync-owned identity is stamped on every write, so a record found by id or by
    // domain carries it from then on and a later upsert finds that same record.
    if (owned) out[identity] = p.key;
    return out;
  };

  // 1. Known record ids. A record someone deleted in HubSpot answers NOT_FOUND: the sync's
  // on_deleted_in_hubspot decides (docs/hubspot.md, "Deleted records"). skip: state keeps it as
  // deleted, and later changes are answered without a request; recreate: written anew below (an
  // update-only sync looks it up again by identity, as the sync that creates it writes it anew).
  // A rollback (updateByIdOnly) never writes a record back: its NOT_FOUND is the answer; a clear
  // of a deleted record has nothing left to clear.
  let unresolved: Prepared[] = prepared;
  if (writer.updatesById || sync.updateByIdOnly) {
    const recreate = sync.on_deleted_in_hubspot === 'recreate';
    const followsAgain = (p: Prepared) => recreate && !p.clear && !sync.updateByIdOnly;
    const stale: Prepared[] = [];
    const known: Prepared[] = [];
    for (const p of prepared) {
      if (!isDeletedRecordId(p.change.recordId)) (p.change.recordId ? known : stale).push(p);
      else if (followsAgain(p)) stale.push(p);
      else ctx.record(p, { ok: true, recordId: p.change.recordId! });
    }
    await updateById(ctx, writer, known.map((p) => ({ prepared: p, id: p.change.recordId!, properties: properties(p) })), (p, result) => {
      if (!result.ok && result.category === 'CONFLICT' && writer.explainConflict) ctx.record(p, writer.explainConflict(p, result, p.change.recordId));
      else if (result.ok || result.category !== 'NOT_FOUND' || sync.updateByIdOnly) ctx.record(p, result);
      else if (followsAgain(p)) stale.push(p);
      else {
        const why = p.clear ? 'nothing to clear' : 'on_deleted_in_hubspot: skip';
        ctx.log?.({ level: 'info', msg: `${writer.object} ${p.key}: record ${p.change.recordId} was deleted in HubSpot; left deleted (${why})` });
        ctx.record(p, { ok: true, recordId: deletedRecordId(p.change.recordId!) });
      }
    });
    unresolved = stale;
  }
  if (sync.updateByIdOnly) {
    for (const p of unresolved) ctx.record(p, { ok: false, category: 'NOT_FOUND', property: null, message: `no ${writer.object} record id is known for ${p.key}` });
    return;
  }
  if (unresolved.length === 0) return;

  // 2. Records that existed before pqlsync.
  const rest: Prepared[] = [];
  if (writer.findExisting) {
    const { found, failed, refused } = await writer.findExisting(ctx, unresolved);
    const targets: ByIdTarget[] = [];
    for (const p of unresolved) {
      const id = found.get(p.key);
      const error = failed.get(p.key);
      if (refused?.has(p.key)) ctx.record(p, refused.get(p.key)!);
      else if (id) targets.push({ prepared: p, id, properties: properties(p) });
      else if (error) ctx.record(p, { ok: false, category: 'RETRIES_EXHAUSTED', property: null, message: `looking for an existing record: ${error}` });
      else rest.push(p);
    }
    await updateById(ctx, writer, targets, (p, result) => {
      // CONFLICT: another record already holds this identity (one pqlsync created when the
      // lookup could not see this one): the upsert below writes to that record.
      if (!result.ok && (result.category === 'CONFLICT' || result.category === 'NOT_FOUND') && canCreate(p)) rest.push(p);
      else ctx.record(p, result);
    });
  } else {
    rest.push(...unresolved);
  }

  // 3. The rest by identity: upsert (creates what is missing), or update (update-only syncs).
  const upserts = rest.filter(canCreate);
  const updates = rest.filter((p) => !canCreate(p));
  if (ctx.createsThrough) {
    // No unique identity in this portal (tasks): a record known by id is updated by id (a
    // backfill), a new one created with its parent, journaled and reconciled, never upserted.
    const known = upserts.filter((p) => p.change.recordId && !isDeletedRecordId(p.change.recordId));
    await Promise.all([
      updateById(ctx, writer, known.map((p) => ({ prepared: p, id: p.change.recordId!, properties: properties(p) })), (p, result) => ctx.record(p, result)),
      createThroughParents(
        ctx,
        writer,
        ctx.createsThrough,
        upserts.filter((p) => !known.includes(p)).map((p) => ({ prepared: p, properties: { ...writer.createProperties?.(p), ...properties(p) } })),
      ),
      writeByIdentity(ctx, writer, 'update', updates.map((p) => ({ prepared: p, properties: properties(p) }))),
    ]);
    return;
  }
  await Promise.all([
    writeByIdentity(ctx, writer, 'upsert', upserts.map((p) => ({ prepared: p, properties: { ...writer.createProperties?.(p), ...properties(p) } }))),
    writeByIdentity(ctx, writer, 'update', updates.map((p) => ({ prepared: p, properties: properties(p) }))),
  ]);
}

function batchApiOf(ctx: SendContext, object: string) {
  return ctx.apis.object(object).batchApi;
}

/** Updates records by id, in batches; the answer for each goes to `onResult`. */
export async function updateById(
  ctx: SendContext,
  writer: ObjectWriter,
  targets: ByIdTarget[],
  onResult: (p: Prepared, r: ItemResult) => void,
): Promise<void> {
  await forEachBatch(targets, HUBSPOT_LIMITS.batchSize, ctx.concurrency, async (batch) => {
    const live = await settleAgainstHeld(ctx, writer, batch, 'id');
    const byTrace = new Map<string, Prepared>();
    const items: WriteItem[] = live.map(({ prepared, id, properties }) => {
      const item: WriteItem = { traceId: ctx.nextTraceId(), input: { id, properties }, matchKeys: [id] };
      byTrace.set(item.traceId, prepared);
      return item;
    });
    const results = await writeWithSplitting(items, async (subset) => {
      const inputs = subset.map(withTraceId) as never;
      const result = await ctx.exec.run<BatchResponseLike>('crm', `${writer.object} update (${subset.length})`, (options) =>
        batchApiOf(ctx, writer.object).updateWithHttpInfo({ inputs }, options),
      );
      return { result, sent: subset };
    });
    for (const [traceId, result] of results) onResult(byTrace.get(traceId)!, result);
  });
}

/** Batch upsert (or update) with `idProperty` = the sync's identity: idempotent, so retries are safe. */
async function writeByIdentity(
  ctx: SendContext,
  writer: ObjectWriter,
  op: 'upsert' | 'update',
  list: Array<{ prepared: Prepared; properties: Record<string, string> }>,
): Promise<void> {
  await forEachBatch(list, HUBSPOT_LIMITS.batchSize, ctx.concurrency, async (whole) => {
    const batch = await settleAgainstHeld(ctx, writer, whole, 'identity');
    const byTrace = new Map<string, Prepared>();
    const items: WriteItem[] = batch.map(({ prepared, properties }) => {
      const item: WriteItem = {
        traceId: ctx.nextTraceId(),
        input: { id: prepared.key, idProperty: ctx.identity, properties },
        matchKeys: [prepared.key, ...(prepared.change.recordId ? [prepared.change.recordId] : [])],
      };
      byTrace.set(item.traceId, prepared);
      return item;
    });
    const api = batchApiOf(ctx, writer.object);
    const results = await writeWithSplitting(items, async (subset) => {
      // The generated input classes declare `id` required; ours always set it here.
      const inputs = subset.map(withTraceId) as never;
      const result = await ctx.exec.run<BatchResponseLike>('crm', `${writer.object} ${op} (${subset.length})`, (options) =>
        op === 'upsert' ? api.upsertWithHttpInfo({ inputs }, options) : api.updateWithHttpInfo({ inputs }, options),
      );
      return { result, sent: subset };
    });
    for (const [traceId, result] of results) {
      const p = byTrace.get(traceId)!;
      if (!result.ok && result.category === 'CONFLICT' && writer.explainConflict) ctx.record(p, writer.explainConflict(p, result, null));
      else ctx.record(p, !result.ok && result.category === 'NOT_FOUND' && op === 'update' ? { ...result, ...writer.notFound(p, ctx.identity) } : result);
    }
  });
}

interface Target {
  prepared: Prepared;
  properties: Record<string, string>;
  id?: string;
}

/**
 * Reads what HubSpot holds where an update depends on it (a writer's rule by id; an if_empty
 * property) in one batch read, and trims each target's properties. By identity, a record
 * pqlsync has never delivered under a key it owns cannot exist yet, so new rows are not read.
 * A target whose read failed is answered (retried next run) and dropped: writing it blind
 * could overwrite what a person typed.
 */
async function settleAgainstHeld<T extends Target>(ctx: SendContext, writer: ObjectWriter, batch: T[], by: 'id' | 'identity'): Promise<T[]> {
  const ownedKey = ownsIdentity(ctx.sync);
  const reads = new Map<T, string[]>();
  for (const t of batch) {
    const writerReads = by === 'id' && writer.readsBeforeUpdate ? writer.readsBeforeUpdate(t as T & ByIdTarget) : [];
    const skipPolicy = by === 'identity' && ownedKey && t.prepared.change.kind === 'new';
    const needed = [...writerReads, ...(skipPolicy ? [] : policyReads(ctx.sync, t.properties))];
    if (needed.length > 0) reads.set(t, needed);
  }
  if (reads.size === 0) return batch;
  const ref = (t: T) => (by === 'id' ? t.id! : t.prepared.key);
  const properties = [...new Set([...reads.values()].flat())];
  const result = await readHeldValues(ctx, writer.object, [...reads.keys()].map(ref), by, properties);
  if (!result.ok) {
    for (const t of reads.keys()) {
      ctx.record(t.prepared, { ok: false, category: 'RETRIES_EXHAUSTED', property: reads.get(t)![0], message: `reading ${properties.join(', ')} from HubSpot before writing: ${result.message}` });
    }
    return batch.filter((t) => !reads.has(t));
  }
  for (const t of reads.keys()) {
    const held = result.held.get(ref(t));
    if (by === 'id') writer.settleUpdate?.(ctx, t as T & ByIdTarget, held);
    t.properties = applyWritePolicy(ctx.sync, t.properties, held);
  }
  return batch;
}
