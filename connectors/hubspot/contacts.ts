/**
 * Contacts: identified by email, which HubSpot keeps unique and matches case-insensitively.
 * `upsert` syncs use batch upsert with `idProperty: "email"` (an existing contact made by a
 * form or an import is updated, not duplicated); `update` syncs and clears use batch update
 * by email, so a contact that does not exist is reported NOT_FOUND instead of created.
 * Both are idempotent, so a retry after a lost response cannot duplicate anything.
 */
import { chunk, runPool, withTraceId, writeWithSplitting, type BatchResponseLike, type WriteItem } from './batch-writer.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import type { Prepared, SendContext } from './send-context.ts';

export async function sendContacts(ctx: SendContext, prepared: Prepared[]): Promise<void> {
  const upserts = prepared.filter((p) => ctx.sync.mode === 'upsert' && !p.clear);
  const updates = prepared.filter((p) => !(ctx.sync.mode === 'upsert' && !p.clear));
  const tasks: Array<() => Promise<void>> = [];
  for (const [op, list] of [['upsert', upserts], ['update', updates]] as const) {
    for (const batch of chunk(list, HUBSPOT_LIMITS.batchSize)) tasks.push(() => writeContacts(ctx, op, batch));
  }
  await runPool(tasks, ctx.concurrency);
}

async function writeContacts(ctx: SendContext, op: 'upsert' | 'update', batch: Prepared[]): Promise<void> {
  const byTrace = new Map<string, Prepared>();
  const items: WriteItem[] = batch.map((p) => {
    const item: WriteItem = {
      traceId: ctx.nextTraceId(),
      input: { id: p.key, idProperty: 'email', properties: p.properties },
      matchKeys: [p.key, ...(p.change.recordId ? [p.change.recordId] : [])],
    };
    byTrace.set(item.traceId, p);
    return item;
  });
  const api = ctx.apis.contacts.batchApi;
  const results = await writeWithSplitting(items, async (subset) => {
    // The generated input classes declare `id` required; ours always set it here.
    const inputs = subset.map(withTraceId) as never;
    const result = await ctx.exec.run<BatchResponseLike>('crm', `contacts ${op} (${subset.length})`, (options) =>
      op === 'upsert' ? api.upsertWithHttpInfo({ inputs }, options) : api.updateWithHttpInfo({ inputs }, options),
    );
    return { result, sent: subset };
  });
  for (const [traceId, result] of results) ctx.record(byTrace.get(traceId)!, result);
}
