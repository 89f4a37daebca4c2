/**
 * Reads what HubSpot holds for some properties of records, before writing to them: by record id,
 * or by the sync's unique identity (`idProperty`: email for contacts, a pqlsync key for the
 * others). Batch read, 100 records a request; a record HubSpot does not have is simply absent
 * from the answer (a 207 naming it).
 */
import { chunk, type BatchResponseLike } from '../batch-writer.ts';
import { HUBSPOT_LIMITS } from '../limits.ts';
import type { SendContext } from '../send-context.ts';
import type { ObjectTypeName } from './object-types.ts';

/** Property → value HubSpot holds (null or absent: empty). */
export type HeldValues = Record<string, string | null | undefined>;

export type HeldRead = { ok: true; held: Map<string, HeldValues> } | { ok: false; message: string };

/**
 * The held values of `properties` for each ref (record ids, or identity values), keyed by the
 * ref as given. Identity values are compared as HubSpot compares them (emails without case).
 */
export async function readHeldValues(ctx: SendContext, object: ObjectTypeName, refs: readonly string[], by: 'id' | 'identity', properties: readonly string[]): Promise<HeldRead> {
  const held = new Map<string, HeldValues>();
  const fold = (v: string) => (ctx.identity === 'email' ? v.toLowerCase() : v);
  const wanted = [...new Set(by === 'identity' ? [...properties, ctx.identity] : properties)];
  for (const group of chunk([...new Set(refs)], HUBSPOT_LIMITS.batchSize)) {
    const result = await ctx.exec.run<BatchResponseLike>('crm', `${object} read (${group.length})`, (options) =>
      ctx.apis[object].batchApi.readWithHttpInfo(
        { inputs: group.map((id) => ({ id })), properties: wanted, propertiesWithHistory: [], ...(by === 'identity' ? { idProperty: ctx.identity } : {}) },
        false,
        options,
      ),
    );
    if (!result.ok) return { ok: false, message: result.kind === 'exhausted' ? result.message : result.failure.message };
    const byFolded = new Map(group.map((ref) => [fold(ref), ref]));
    for (const record of result.data.results ?? []) {
      const values = (record.properties ?? {}) as HeldValues;
      const ref = by === 'id' ? String(record.id) : byFolded.get(fold(String(values[ctx.identity] ?? '')));
      if (ref !== undefined) held.set(ref, values);
    }
  }
  return { ok: true, held };
}
