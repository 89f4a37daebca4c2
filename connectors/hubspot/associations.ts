/**
 * Associations v4: batch create and batch archive between two object types, 100 pairs a
 * request, with the HubSpot-defined type ids of ./objects/object-types.ts (a primary label is
 * sent with the unlabelled type). Associating a pair that is associated already changes
 * nothing in HubSpot, so a retry after a lost answer is safe. One outcome per pair.
 */
import type { AssociationPair, PairOutcome } from '../destination.ts';
import type { HubSpotAssociationKind } from './config.ts';
import { DestinationError } from '../../contracts/errors.ts';
import { forEachBatch } from './batch-writer.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import { OBJECT_TYPES } from './objects/object-types.ts';
import { recordFailure, type HubSpotErrorBody } from './errors.ts';
import type { CallResult, RequestExecutor } from './retry.ts';

interface AssociationContext {
  apis: HubSpotApis;
  exec: RequestExecutor;
  concurrency: number;
  /** Type ids read from the portal, per `from>to`, for the destination's lifetime. */
  labels: Map<string, Array<{ typeId: number; label: string | null; category: string }>>;
}

interface CreateResponse {
  results?: Array<{ fromObjectId?: number | string; toObjectId?: number | string; from?: { id?: string }; to?: { id?: string } }>;
  errors?: Array<HubSpotErrorBody>;
}

/**
 * The type ids a kind of association is written with: HubSpot-defined, from the portal's
 * labels (`labels`: the unlabelled type and the one labelled Primary) when they were read,
 * else HubSpot's documented defaults. Throws for a pair HubSpot does not define.
 */
export function associationTypeIds(kind: HubSpotAssociationKind, labels?: Array<{ typeId: number; label: string | null; category: string }>): number[] {
  const defined = OBJECT_TYPES[kind.from].associations[kind.to];
  if (!defined) throw new DestinationError(`HubSpot has no association from ${kind.from} to ${kind.to}`);
  if (kind.primary && defined.primaryTypeId === undefined) throw new DestinationError(`HubSpot has no primary association from ${kind.from} to ${kind.to}`);
  const own = (labels ?? []).filter((l) => l.category === 'HUBSPOT_DEFINED');
  const unlabelled = own.find((l) => l.label === null || l.label === '')?.typeId ?? defined.typeId;
  const primary = own.find((l) => l.label?.toLowerCase() === 'primary')?.typeId ?? defined.primaryTypeId;
  return kind.primary ? [unlabelled, primary!] : [unlabelled];
}

/** Reads the portal's association types between two object types once (a failed read falls back to the defaults). */
async function readLabels(ctx: AssociationContext, kind: HubSpotAssociationKind) {
  const key = `${kind.from}>${kind.to}`;
  if (!ctx.labels.has(key)) {
    const result = await ctx.exec.run<{ results?: Array<{ typeId: number; label?: string | null; category: string }> }>('crm', `${key} association labels`, (options) =>
      ctx.apis.associations.schema.definitionsApi.getAllWithHttpInfo(kind.from, kind.to, options),
    );
    ctx.labels.set(key, result.ok ? (result.data.results ?? []).map((l) => ({ typeId: Number(l.typeId), label: l.label ?? null, category: String(l.category) })) : []);
  }
  return ctx.labels.get(key)!;
}

const failureMessage = (result: Extract<CallResult<unknown>, { ok: false }>) => (result.kind === 'exhausted' ? result.message : result.failure.message);

export async function associatePairs(ctx: AssociationContext, kind: HubSpotAssociationKind, pairs: AssociationPair[]): Promise<PairOutcome[]> {
  if (pairs.length === 0) return [];
  const types = associationTypeIds(kind, await readLabels(ctx, kind)).map((associationTypeId) => ({ associationCategory: 'HUBSPOT_DEFINED', associationTypeId }));
  const outcomes: PairOutcome[] = [];
  await forEachBatch(pairs, HUBSPOT_LIMITS.batchSize, ctx.concurrency, async (batch) => {
    const inputs = batch.map((p) => ({ _from: { id: p.fromId }, to: { id: p.toId }, types }));
    const result = await ctx.exec.run<CreateResponse>('crm', `${kind.from} → ${kind.to} associate (${batch.length})`, (options) =>
      ctx.apis.associations.batchApi.createWithHttpInfo(kind.from, kind.to, { inputs } as never, options),
    );
    if (!result.ok) {
      // HubSpot moved some association endpoints from 201 to 200 (Aug 2025); the client refuses any code it
      // does not expect, but a 2xx means the pairs were written.
      if (result.kind === 'rejected' && result.failure.status >= 200 && result.failure.status < 300) {
        for (const pair of batch) outcomes.push({ pair, ok: true });
        return;
      }
      const category = result.kind === 'exhausted' ? 'RETRIES_EXHAUSTED' : recordFailure(result.failure.body, result.failure.status, '').category;
      for (const pair of batch) outcomes.push({ pair, ok: false, category, message: failureMessage(result) });
      return;
    }
    const failed = new Map<string, { category: string; message: string }>();
    for (const error of result.data?.errors ?? []) {
      const context = (error.context ?? {}) as Record<string, unknown>;
      const from = ([] as unknown[]).concat(context.fromId ?? context.fromObjectId ?? []).map(String);
      const to = ([] as unknown[]).concat(context.toId ?? context.toObjectId ?? []).map(String);
      const { category, message } = recordFailure(error, null, 'HubSpot refused the association');
      const failure = { category, message };
      for (const pair of batch) if ((from.length === 0 || from.includes(pair.fromId)) && (to.length === 0 || to.includes(pair.toId))) failed.set(`${pair.fromId}>${pair.toId}`, failure);
    }
    const written = new Set((result.data?.results ?? []).map((r) => `${String(r.fromObjectId ?? r.from?.id)}>${String(r.toObjectId ?? r.to?.id)}`));
    for (const pair of batch) {
      const id = `${pair.fromId}>${pair.toId}`;
      const failure = failed.get(id);
      if (failure) outcomes.push({ pair, ok: false, ...failure });
      else if (written.has(id) || (result.data?.errors ?? []).length === 0) outcomes.push({ pair, ok: true });
      else outcomes.push({ pair, ok: false, category: 'NOT_ACKNOWLEDGED', message: "HubSpot's answer did not name this pair; it is sent again next run" });
    }
  });
  return outcomes;
}

export async function dissociatePairs(ctx: AssociationContext, kind: HubSpotAssociationKind, pairs: AssociationPair[]): Promise<PairOutcome[]> {
  const outcomes: PairOutcome[] = [];
  const byFrom = new Map<string, AssociationPair[]>();
  for (const pair of pairs) byFrom.set(pair.fromId, [...(byFrom.get(pair.fromId) ?? []), pair]);
  await forEachBatch([...byFrom.values()], HUBSPOT_LIMITS.batchSize, ctx.concurrency, async (groups) => {
    const inputs = groups.map((group) => ({ _from: { id: group[0].fromId }, to: group.map((p) => ({ id: p.toId })) }));
    const result = await ctx.exec.run<null>('crm', `${kind.from} → ${kind.to} dissociate (${inputs.length})`, (options) =>
      ctx.apis.associations.batchApi.archiveWithHttpInfo(kind.from, kind.to, { inputs } as never, options),
    );
    for (const pair of groups.flat()) outcomes.push(result.ok ? { pair, ok: true } : { pair, ok: false, category: result.kind === 'exhausted' ? 'RETRIES_EXHAUSTED' : 'REJECTED', message: failureMessage(result) });
  });
  return outcomes;
}
