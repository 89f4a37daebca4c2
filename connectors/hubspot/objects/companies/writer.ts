/**
 * Companies. `domain` is not unique in HubSpot and HubSpot does not de-duplicate companies
 * created through the API, so pqlsync never upserts by it. Every company pqlsync writes
 * carries its own unique-value property (default `pqlsync_account_key`, the normalised
 * domain), and the template (./write-template.ts) does:
 *   1. changes with a record id (from sync state) are updated by id;
 *   2. the rest are looked up by normalised domain, to find companies that existed before
 *      pqlsync (made by a rep, an import, or HubSpot itself from a contact's email): search
 *      (`IN` filters, 50 domains a request, under search's own per-second limit), or, when
 *      that costs fewer requests, one read of every company's domain in the portal; found
 *      companies are updated by id and stamped with the key;
 *   3. the rest are upserted by the key, with `domain` set: a create repeated after a lost
 *      answer, or one HubSpot's lagging search index could not see yet, updates the company
 *      the first attempt created. Search is never what guards against duplicates.
 */
import { forEachBatch } from '../../batch-writer.ts';
import { HUBSPOT_LIMITS } from '../../limits.ts';
import { normaliseDomain } from '../../format-values.ts';
import type { SendContext } from '../../send-context.ts';
import type { ObjectWriter } from '../write-template.ts';

export const companiesWriter: ObjectWriter = {
  object: 'companies',
  updatesById: true,
  normaliseKey(raw) {
    const key = normaliseDomain(raw);
    return key ? { key } : { category: 'INVALID_DOMAIN', property: 'domain', message: `${JSON.stringify(raw)} is not a valid company domain` };
  },
  findExisting: (ctx, prepared) => findCompaniesByDomain(ctx, prepared.map((p) => p.key)),
  createProperties: (p) => ({ domain: p.key }),
  notFound: (p) => ({ property: 'domain', message: `no HubSpot company has the domain ${p.key}` }),
};

interface SearchPage {
  total?: number;
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

/** Domains one search request resolves (each is searched as is and with `www.`). */
const DOMAINS_PER_SEARCH = Math.floor(HUBSPOT_LIMITS.searchMaxInValues / 2);

/**
 * Whether reading every company of the portal (100 a request, in the 10-second window)
 * costs less time than searching the domains (50 a request, at search's few a second).
 * Pure; `portalCompanies` from a search's `total`, rates in requests per second.
 */
export function listingIsCheaper(domains: number, portalCompanies: number, rates: { crmPerSecond: number; searchPerSecond: number }): boolean {
  const { crmPerSecond, searchPerSecond } = rates;
  const listSeconds = Math.ceil(portalCompanies / HUBSPOT_LIMITS.batchSize) / crmPerSecond;
  const searchSeconds = Math.ceil(domains / DOMAINS_PER_SEARCH) / searchPerSecond;
  return listSeconds < searchSeconds;
}

/**
 * Existing companies by normalised domain. When several companies share a domain, the one
 * already stamped with this key wins, else the oldest (lowest record id): deterministic,
 * and usually the record sales already works on. Domains whose lookup ran out of retries
 * are in `failed`.
 */
export async function findCompaniesByDomain(ctx: SendContext, domains: readonly string[]): Promise<{ found: Map<string, string>; failed: Map<string, string> }> {
  const unique = [...new Set(domains)];
  // The portal's companies, read once this run by an earlier page of this sync: look them up.
  // (A company made by someone else since that read is not seen: the window is one run.)
  const memoKey = `companies by domain:${ctx.sync.name}:${ctx.identity}`;
  const snapshot = ctx.memo.get(memoKey) as Candidates | undefined;
  if (snapshot) return { found: new Map(unique.flatMap((d) => (snapshot.has(d) ? [[d, snapshot.get(d)!.id] as const] : []))), failed: new Map() };
  // Few domains: search. Many: one search for the portal's size decides whether one read of
  // every company's domain costs fewer requests (a first sync into a portal); that read then
  // serves every later page of the run.
  if (unique.length > DOMAINS_PER_SEARCH * 4) {
    const total = await countCompanies(ctx);
    if (total !== null && listingIsCheaper(unique.length, total, ctx.rates())) {
      const listed = await listCompanies(ctx);
      if ('failed' in listed) return { found: new Map(), failed: new Map(unique.map((d) => [d, listed.failed])) };
      ctx.memo.set(memoKey, listed.all);
      return findCompaniesByDomain(ctx, unique);
    }
  }
  return resolveDomains(ctx, unique);
}

type Candidates = Map<string, { id: string; keyed: boolean }>;

function consider(ctx: SendContext, found: Candidates, wanted: Set<string> | null, r: { id: string; properties?: Record<string, string | null> }): void {
  const domain = r.properties?.domain ? normaliseDomain(r.properties.domain) : null;
  if (!domain || (wanted && !wanted.has(domain))) return;
  const keyed = r.properties?.[ctx.identity] === domain;
  const current = found.get(domain);
  if (!current || (keyed && !current.keyed) || (keyed === current.keyed && compareIds(String(r.id), current.id) < 0)) found.set(domain, { id: String(r.id), keyed });
}

const ids = (found: Candidates) => new Map([...found].map(([d, c]) => [d, c.id]));

async function countCompanies(ctx: SendContext): Promise<number | null> {
  const result = await ctx.exec.run<SearchPage>('search', 'companies count', (options) =>
    ctx.apis.object('companies').searchApi.doSearchWithHttpInfo({ filterGroups: [], properties: ['domain'], limit: 1 } as never, options),
  );
  return result.ok ? Number(result.data.total ?? 0) : null;
}

/** Reads every company's domain and key, 100 a page (the list endpoint is not the search index: no lag). */
async function listCompanies(ctx: SendContext): Promise<{ all: Candidates } | { failed: string }> {
  const found: Candidates = new Map();
  let after: string | undefined;
  do {
    const cursor = after;
    const result = await ctx.exec.run<SearchPage>('crm', 'companies list', (options) =>
      ctx.apis.object('companies').basicApi.getPageWithHttpInfo(HUBSPOT_LIMITS.batchSize, cursor, ['domain', ctx.identity], undefined, undefined, false, options),
    );
    if (!result.ok) return { failed: result.kind === 'exhausted' ? result.message : result.failure.message };
    for (const r of result.data.results ?? []) consider(ctx, found, null, r);
    after = result.data.paging?.next?.after;
  } while (after);
  return { all: found };
}

/** Finds companies by domain with search, 50 domains a request. */
export async function resolveDomains(ctx: SendContext, domains: readonly string[]): Promise<{ found: Map<string, string>; failed: Map<string, string> }> {
  const found: Candidates = new Map();
  const failed = new Map<string, string>();
  await forEachBatch([...new Set(domains)], DOMAINS_PER_SEARCH, ctx.concurrency, async (group) => {
    const wanted = new Set(group);
    let after: string | undefined;
    let seen = 0;
    do {
      const request = {
        filterGroups: [{ filters: [{ propertyName: 'domain', operator: 'IN', values: domainSearchValues(group) }] }],
        properties: ['domain', ctx.identity],
        limit: HUBSPOT_LIMITS.searchPageSize,
        ...(after ? { after } : {}),
      };
      const result = await ctx.exec.run<SearchPage>('search', `companies search (${group.length} domains)`, (options) =>
        // The generated model types `operator` as an enum of the same strings.
        ctx.apis.object('companies').searchApi.doSearchWithHttpInfo(request as never, options),
      );
      if (!result.ok) {
        const message = result.kind === 'exhausted' ? result.message : result.failure.message;
        for (const d of group) failed.set(d, message);
        return;
      }
      for (const r of result.data.results ?? []) consider(ctx, found, wanted, r);
      seen += result.data.results?.length ?? 0;
      after = result.data.paging?.next?.after;
    } while (after && seen < HUBSPOT_LIMITS.searchMaxResults);
  });
  return { found: ids(found), failed };
}
