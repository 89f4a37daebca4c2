/**
 * Reads what HubSpot holds for some properties of records: by record id, or by a unique
 * property (`idProperty`: email for contacts, a pqlsync key for the others). Batch read, 100
 * records a request; a record HubSpot does not have is simply absent from the answer (a 207
 * naming it). The one way pqlsync reads records it knows (write policies, deal stages, rollback).
 */
import { chunk, type BatchResponseLike } from '../batch-writer.ts';
import type { HubSpotApis } from '../hubspot.client.ts';
import { HUBSPOT_LIMITS } from '../limits.ts';
import type { RequestExecutor } from '../retry.ts';
import type { SendContext } from '../send-context.ts';

/** Property → value HubSpot holds (null or absent: empty). */
export type HeldValues = Record<string, string | null | undefined>;

/** `held` by ref; `all`: every record answered, also those a ref matched another way (a secondary email). */
export type HeldRead = { ok: true; held: Map<string, HeldValues>; all: HeldValues[] } | { ok: false; message: string };

/**
 * The held values of `properties` for each ref (record ids, or values of `idProperty`), keyed by
 * the ref as given. Values of `email` are compared as HubSpot compares them (without case).
 */
export async function readRecords(
  ctx: { apis: HubSpotApis; exec: RequestExecutor },
  object: string,
  refs: readonly string[],
  properties: readonly string[],
  idProperty?: string,
): Promise<HeldRead> {
  const held = new Map<string, HeldValues>();
  const all: HeldValues[] = [];
  const fold = (v: string) => (idProperty === 'email' ? v.toLowerCase() : v);
  const wanted = [...new Set(idProperty ? [...properties, idProperty] : properties)];
  for (const group of chunk([...new Set(refs)], HUBSPOT_LIMITS.batchSize)) {
    const result = await ctx.exec.run<BatchResponseLike>('crm', `${object} read (${group.length})`, (options) =>
      ctx.apis.object(object).batchApi.readWithHttpInfo(
        { inputs: group.map((id) => ({ id })), properties: wanted, propertiesWithHistory: [], ...(idProperty ? { idProperty } : {}) },
        false,
        options,
      ),
    );
    if (!result.ok) return { ok: false, message: result.kind === 'exhausted' ? result.message : result.failure.message };
    const byFolded = new Map(group.map((ref) => [fold(ref), ref]));
    for (const record of result.data.results ?? []) {
      const values = { ...record.properties, hs_object_id: String(record.id) } as HeldValues;
      all.push(values);
      const ref = idProperty ? byFolded.get(fold(String(values[idProperty] ?? ''))) : String(record.id);
      if (ref !== undefined) held.set(ref, values);
    }
  }
  return { ok: true, held, all };
}

/** What a writer reads before writing: by record id, or by the sync's identity. */
export function readHeldValues(ctx: SendContext, object: string, refs: readonly string[], by: 'id' | 'identity', properties: readonly string[]): Promise<HeldRead> {
  return readRecords(ctx, object, refs, properties, by === 'identity' ? ctx.identity : undefined);
}
