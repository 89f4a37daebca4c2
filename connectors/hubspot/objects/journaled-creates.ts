/**
 * Creating records exactly once where the portal keeps no unique values on their key (tasks on a
 * portal that refuses or drops `hasUniqueValue`; docs/hubspot.md, "Tasks and unique values").
 * A create cannot then be repeated safely, so:
 * - the runner records the intent of every create in the warehouse before `send` (src/state), and
 *   says for each record whether an earlier attempt recorded one too (`Change.journal`);
 * - each record is created with its association to its parent (a task's contact) in the create
 *   request itself, so it is never without it;
 * - a record an earlier attempt may have made, and every record of a create whose answer was
 *   uncertain (no answer, a timeout, 5xx, 429), is looked for before anything is created again:
 *   the parents' associated records (associations v4 batch read, consistent at once, unlike
 *   search) and their keys (batch read). A record found is answered as delivered with its id;
 * - the missing ones are created again in this run only after a 429, which HubSpot answers before
 *   applying anything. After no answer or a 5xx HubSpot may still be applying the create, and a
 *   read cannot see that: the missing ones are answered `CREATE_UNCONFIRMED` (their intent stays),
 *   and the next run, by when HubSpot has long finished, looks for them first and creates only
 *   what it does not find. So nothing is ever created twice, at the cost of a run's delay.
 */
import { forEachBatch, chunk, withTraceId, writeWithSplitting, type BatchResponseLike, type WriteItem } from '../batch-writer.ts';
import { DestinationError } from '../../../contracts/errors.ts';
import type { Failure } from '../errors.ts';
import { HUBSPOT_LIMITS } from '../limits.ts';
import type { Prepared, SendContext } from '../send-context.ts';
import { readRecords } from './held-values.ts';
import { OBJECT_TYPES, type ObjectTypeName } from './object-types.ts';
import type { ObjectWriter } from './write-template.ts';

interface Creation {
  prepared: Prepared;
  properties: Record<string, string>;
  parentId: string;
}

interface AssociationsPage {
  results?: Array<{ _from?: { id?: string }; from?: { id?: string }; to?: Array<{ toObjectId?: string | number }>; paging?: { next?: { after?: string } } }>;
}

/**
 * Creates the records of `list` (none known to HubSpot by id) through their parents. Answers
 * every record through `ctx.record`.
 */
export async function createThroughParents(
  ctx: SendContext,
  writer: ObjectWriter,
  through: ObjectTypeName,
  list: Array<{ prepared: Prepared; properties: Record<string, string> }>,
): Promise<void> {
  const typeId = OBJECT_TYPES[writer.object].associations[through]?.typeId;
  if (typeId === undefined) throw new DestinationError(`HubSpot has no association from ${writer.object} to ${through}`);
  const ready: Creation[] = [];
  for (const { prepared, properties } of list) {
    const parentId = prepared.change.journal?.parentId;
    if (!prepared.change.journal) {
      // The runner records intents for every change of such a sync; a change without one is a bug, not a row.
      throw new DestinationError(`${writer.object} ${prepared.key}: no intent was recorded before its create; nothing was sent for it`);
    }
    if (!parentId) {
      ctx.record(prepared, {
        ok: false,
        category: 'WAITING_FOR_ASSOCIATION',
        property: null,
        message: `its ${through.replace(/s$/, '')} has no HubSpot record yet, and this portal keeps no unique ${writer.object} keys, so it is created only with it: sent again next run`,
      });
    } else ready.push({ prepared, properties, parentId });
  }

  // Records an earlier attempt may have made: look first.
  const attempted = ready.filter((c) => c.prepared.change.journal?.attempted);
  let toCreate = ready.filter((c) => !c.prepared.change.journal?.attempted);
  if (attempted.length > 0) {
    const found = await findCreated(ctx, writer.object, through, attempted).catch((error: unknown) => error as Error);
    if (found instanceof Error) {
      if (!(found instanceof DestinationError)) throw found;
      for (const c of attempted) {
        ctx.record(c.prepared, { ok: false, category: 'RETRIES_EXHAUSTED', property: null, message: `looking for the ${writer.object} an earlier attempt may have made: ${found.message}` });
      }
    } else {
      for (const c of attempted) if (found.has(c.prepared.key)) ctx.record(c.prepared, { ok: true, recordId: found.get(c.prepared.key)! });
      toCreate = [...toCreate, ...attempted.filter((c) => !found.has(c.prepared.key))];
    }
  }
  if (toCreate.length > 0) {
    ctx.log?.({ level: 'info', msg: `${writer.object}: creating ${toCreate.length} with their ${through} (no unique key in this portal; intents journaled)` });
  }

  const api = ctx.apis.object(writer.object).batchApi;
  await forEachBatch(toCreate, HUBSPOT_LIMITS.batchSize, ctx.concurrency, async (batch) => {
    const byTrace = new Map<string, Creation>();
    const items: WriteItem[] = batch.map((c) => {
      const item: WriteItem = {
        traceId: ctx.nextTraceId(),
        input: {
          properties: { ...c.properties, [ctx.identity]: c.prepared.key },
          associations: [{ to: { id: c.parentId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] }],
        },
        matchKeys: [],
      };
      byTrace.set(item.traceId, c);
      return item;
    });
    const results = await writeWithSplitting(items, async (subset) => {
      let pending = subset;
      const result = await ctx.exec.run<BatchResponseLike>(
        'crm',
        `${writer.object} create (${subset.length})`,
        (options) => (pending.length === 0 ? null : api.createWithHttpInfo({ inputs: pending.map(withTraceId) as never }, options)),
        {
          // The request may have landed: find what it made before sending the rest again.
          rateLimitIsUncertain: true,
          beforeRetry: async (failure) => {
            const found = await findCreated(ctx, writer.object, through, pending.map((i) => byTrace.get(i.traceId)!));
            for (const item of pending) {
              const c = byTrace.get(item.traceId)!;
              if (found.has(c.prepared.key)) ctx.record(c.prepared, { ok: true, recordId: found.get(c.prepared.key)! });
            }
            pending = pending.filter((i) => !found.has(byTrace.get(i.traceId)!.prepared.key));
            if (!mayStillBeApplying(failure)) return;
            // Not found yet is not "not made": sending these again now could make each twice.
            for (const item of pending) {
              ctx.record(byTrace.get(item.traceId)!.prepared, {
                ok: false,
                category: 'CREATE_UNCONFIRMED',
                property: null,
                message: `HubSpot did not confirm the create (${failure.message}) and may still be making it: it is looked for first next run and created only if not found`,
              });
            }
            pending = [];
          },
        },
      );
      return { result, sent: pending };
    });
    for (const [traceId, result] of results) ctx.record(byTrace.get(traceId)!.prepared, result);
  });
}

/**
 * Whether HubSpot may still be applying a request that failed so: no answer at all (a reset, a
 * timeout), a 5xx (a gateway that gave up while HubSpot wrote), a 408, or a success the client
 * could not read. A 429, a 423 (locked) and a 477 (migrating) are HubSpot refusing the request
 * before applying it.
 */
function mayStillBeApplying(failure: Failure): boolean {
  if (failure.kind !== 'transient') return false;
  return failure.status === null || failure.status >= 500 || failure.status === 408 || (failure.status >= 200 && failure.status < 300);
}

/**
 * The records of `object` that `creations` may already have made: key → record id, among the
 * records associated with each creation's parent. Throws a DestinationError when HubSpot could
 * not be read (then nothing may be created).
 */
export async function findCreated(ctx: SendContext, object: ObjectTypeName, through: ObjectTypeName, creations: readonly Creation[]): Promise<Map<string, string>> {
  const wanted = new Map<string, Set<string>>();
  for (const c of creations) {
    const keys = wanted.get(c.parentId) ?? new Set<string>();
    keys.add(c.prepared.key);
    wanted.set(c.parentId, keys);
  }
  // Parent → the ids of its associated records, every page of them.
  const children = new Map<string, Set<string>>();
  let inputs: Array<{ id: string; after?: string }> = [...wanted.keys()].map((id) => ({ id }));
  while (inputs.length > 0) {
    const next: typeof inputs = [];
    for (const group of chunk(inputs, HUBSPOT_LIMITS.batchSize)) {
      const result = await ctx.exec.run<AssociationsPage>('crm', `${through} → ${object} associations read (${group.length})`, (options) =>
        ctx.apis.associations.batchApi.getPageWithHttpInfo(through, object, { inputs: group } as never, options),
      );
      if (!result.ok) {
        throw new DestinationError(`reading the ${object} associated with ${group.length} ${through}: ${result.kind === 'exhausted' ? result.message : result.failure.message}`);
      }
      // A 207 names the parents with no associated record in `errors`; the others are in `results`.
      for (const r of result.data?.results ?? []) {
        const parent = String(r._from?.id ?? r.from?.id ?? '');
        const ids = children.get(parent) ?? new Set<string>();
        for (const to of r.to ?? []) if (to.toObjectId !== undefined) ids.add(String(to.toObjectId));
        children.set(parent, ids);
        if (r.paging?.next?.after) next.push({ id: parent, after: r.paging.next.after });
      }
    }
    inputs = next;
  }
  const candidates = [...new Set([...children.values()].flatMap((ids) => [...ids]))];
  const found = new Map<string, string>();
  if (candidates.length === 0) return found;
  const read = await readRecords(ctx, object, candidates, [ctx.identity]);
  if (!read.ok) throw new DestinationError(`reading the keys of ${candidates.length} ${object}: ${read.message}`);
  for (const [parent, ids] of children) {
    const keys = wanted.get(parent);
    if (!keys) continue;
    for (const id of ids) {
      const key = read.held.get(id)?.[ctx.identity];
      // Two records with one key (made before pqlsync journaled): the oldest, deterministically.
      if (key && keys.has(key) && (!found.has(key) || Number(id) < Number(found.get(key)))) found.set(key, id);
    }
  }
  return found;
}
