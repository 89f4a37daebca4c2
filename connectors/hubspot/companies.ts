/**
 * Companies. `domain` is not unique in HubSpot and HubSpot does not de-duplicate companies
 * created through the API, so we never upsert by it. Instead:
 *   1. changes with a record id (from sync state) are updated by id; an id HubSpot no longer
 *      knows (merged, deleted) falls through to 2 in upsert syncs;
 *   2. the rest are resolved by normalised domain with search (`IN` filters, many domains a
 *      request, paced under search's own per-second limit), matching `acme.com` and
 *      `www.acme.com` alike;
 *   3. found companies are updated by id; missing ones are created (upsert syncs), with
 *      `domain` set from the key. The record ids go back to the runner for sync state.
 *
 * Create is not idempotent: when a create attempt fails in a way that may have been applied
 * (network error, timeout, 5xx), the domains are resolved again before the retry and only
 * those still missing are created; the ones found are updated by id instead. Residual risk:
 * HubSpot's search index can lag new writes by a moment, so a create applied just before a
 * lost response may not be found yet and be created twice. The backoff before the retry
 * narrows that window; it does not close it.
 */
import { chunk, runPool, withTraceId, writeWithSplitting, type BatchResponseLike, type ItemResult, type WriteItem } from './batch-writer.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import { normaliseDomain } from './format-values.ts';
import type { Prepared, SendContext } from './send-context.ts';

export async function sendCompanies(ctx: SendContext, prepared: Prepared[]): Promise<void> {
  const canCreate = (p: Prepared) => ctx.sync.mode === 'upsert' && !p.clear;

  // 1. Known record ids.
  const stale: Prepared[] = [];
  await updateById(
    ctx,
    prepared.filter((p) => p.change.recordId).map((p) => ({ prepared: p, id: p.change.recordId! })),
    (p, result) => {
      if (!result.ok && result.category === 'NOT_FOUND' && canCreate(p)) stale.push(p);
      else ctx.record(p, result);
    },
  );

  // 2. Resolve the rest by domain.
  const unresolved = [...prepared.filter((p) => !p.change.recordId), ...stale];
  if (unresolved.length === 0) return;
  const { found, failed } = await resolveDomains(ctx, unresolved.map((p) => p.key));

  // 3. Update the found, create the missing.
  const toUpdate: Array<{ prepared: Prepared; id: string }> = [];
  const toCreate: Prepared[] = [];
  for (const p of unresolved) {
    const id = found.get(p.key);
    const error = failed.get(p.key);
    if (id) toUpdate.push({ prepared: p, id });
    else if (error) ctx.record(p, { ok: false, category: 'RETRIES_EXHAUSTED', property: null, message: `resolving the domain: ${error}` });
    else if (canCreate(p)) toCreate.push(p);
    else ctx.record(p, { ok: false, category: 'NOT_FOUND', property: 'domain', message: `no HubSpot company has the domain ${p.key}` });
  }
  const foundOnRetry: Array<{ prepared: Prepared; id: string }> = [];
  await Promise.all([
    updateById(ctx, toUpdate, (p, r) => ctx.record(p, r)),
    create(ctx, toCreate, foundOnRetry),
  ]);
  // Companies a retried create found by search: ours, most likely, from an attempt whose
  // answer was lost; update them so that they hold exactly this run's values.
  await updateById(ctx, foundOnRetry, (p, r) => ctx.record(p, r));
}

async function updateById(
  ctx: SendContext,
  targets: Array<{ prepared: Prepared; id: string }>,
  onResult: (p: Prepared, r: ItemResult) => void,
): Promise<void> {
  const tasks = chunk(targets, HUBSPOT_LIMITS.batchSize).map((batch) => async () => {
    const byTrace = new Map<string, Prepared>();
    const items: WriteItem[] = batch.map(({ prepared, id }) => {
      const item: WriteItem = { traceId: ctx.nextTraceId(), input: { id, properties: prepared.properties }, matchKeys: [id] };
      byTrace.set(item.traceId, prepared);
      return item;
    });
    const results = await writeWithSplitting(items, async (subset) => {
      const inputs = subset.map(withTraceId) as never;
      const result = await ctx.exec.run<BatchResponseLike>('crm', `companies update (${subset.length})`, (options) =>
        ctx.apis.companies.batchApi.updateWithHttpInfo({ inputs }, options),
      );
      return { result, sent: subset };
    });
    for (const [traceId, result] of results) onResult(byTrace.get(traceId)!, result);
  });
  await runPool(tasks, ctx.concurrency);
}

async function create(ctx: SendContext, prepared: Prepared[], foundOnRetry: Array<{ prepared: Prepared; id: string }>): Promise<void> {
  const tasks = chunk(prepared, HUBSPOT_LIMITS.batchSize).map((batch) => async () => {
    const byTrace = new Map<string, Prepared>();
    const items: WriteItem[] = batch.map((p) => {
      const item: WriteItem = { traceId: ctx.nextTraceId(), input: { properties: { ...p.properties, domain: p.key } }, matchKeys: [] };
      byTrace.set(item.traceId, p);
      return item;
    });
    const results = await writeWithSplitting(items, async (subset) => {
      let live = subset;
      const result = await ctx.exec.run<BatchResponseLike | null>(
        'crm',
        `companies create (${subset.length})`,
        (options) => (live.length === 0 ? null : ctx.apis.companies.batchApi.createWithHttpInfo({ inputs: live.map(withTraceId) as never }, options)),
        {
          // The failed attempt may have been applied: look before creating again.
          beforeRetry: async () => {
            const { found, failed } = await resolveDomains(ctx, live.map((i) => byTrace.get(i.traceId)!.key));
            if (failed.size > 0) throw new Error(`could not check whether the companies exist: ${[...failed.values()][0]}`);
            live = live.filter((item) => {
              const p = byTrace.get(item.traceId)!;
              const id = found.get(p.key);
              if (id) foundOnRetry.push({ prepared: p, id });
              return !id;
            });
          },
        },
      );
      return { result, sent: live };
    });
    for (const [traceId, result] of results) ctx.record(byTrace.get(traceId)!, result);
  });
  await runPool(tasks, ctx.concurrency);
}

interface SearchPage {
  results?: Array<{ id: string; properties?: Record<string, string | null> }>;
  paging?: { next?: { after?: string } };
}

/** Compares HubSpot record ids (decimal strings, possibly beyond 2^53). */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** The search values for a set of normalised domains: each as is and with `www.`. */
export function domainSearchValues(domains: readonly string[]): string[] {
  return domains.flatMap((d) => [d, `www.${d}`]);
}

/**
 * Finds existing companies by normalised domain. When several companies share a domain we
 * pick the oldest (lowest record id): deterministic from run to run, and usually the record
 * sales already works on. Domains whose search ran out of retries are in `failed`.
 */
export async function resolveDomains(
  ctx: SendContext,
  domains: readonly string[],
): Promise<{ found: Map<string, string>; failed: Map<string, string> }> {
  const found = new Map<string, string>();
  const failed = new Map<string, string>();
  const unique = [...new Set(domains)];
  const perRequest = Math.floor(HUBSPOT_LIMITS.searchMaxInValues / 2);
  const tasks = chunk(unique, perRequest).map((group) => async () => {
    const wanted = new Set(group);
    let after: string | undefined;
    let seen = 0;
    do {
      const request = {
        filterGroups: [{ filters: [{ propertyName: 'domain', operator: 'IN', values: domainSearchValues(group) }] }],
        properties: ['domain'],
        limit: HUBSPOT_LIMITS.searchPageSize,
        ...(after ? { after } : {}),
      };
      const result = await ctx.exec.run<SearchPage>('search', `companies search (${group.length} domains)`, (options) =>
        // The generated model types `operator` as an enum of the same strings.
        ctx.apis.companies.searchApi.doSearchWithHttpInfo(request as never, options),
      );
      if (!result.ok) {
        const message = result.kind === 'exhausted' ? result.message : result.failure.message;
        for (const d of group) failed.set(d, message);
        return;
      }
      for (const r of result.data.results ?? []) {
        const domain = r.properties?.domain ? normaliseDomain(r.properties.domain) : null;
        if (!domain || !wanted.has(domain)) continue;
        const current = found.get(domain);
        if (!current || compareIds(String(r.id), current) < 0) found.set(domain, String(r.id));
      }
      seen += result.data.results?.length ?? 0;
      after = result.data.paging?.next?.after;
    } while (after && seen < HUBSPOT_LIMITS.searchMaxResults);
  });
  await runPool(tasks, ctx.concurrency);
  return { found, failed };
}
