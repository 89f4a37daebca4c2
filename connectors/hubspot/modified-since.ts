/**
 * Which records of a type changed in HubSpot after a moment: search on the type's last-modified
 * date (`lastmodifieddate` for contacts, `hs_lastmodifieddate` for the others), oldest first,
 * 200 a page. Search has its own limit of a few requests a second and is not counted in the
 * 10-second window the writes share (docs/hubspot.md), so this costs the writes nothing.
 * A query pages through at most 10,000 results; past that the next query starts at the last
 * date seen (GTE, the ids already seen are skipped), so any number of changes is found.
 * HubSpot's index lags a write by seconds (up to about 30 s): a change made just before the
 * search may be missing from it (docs/change-control.md says what a rollback does about it).
 */
import { DestinationError } from '../../contracts/errors.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import { OBJECT_TYPES, type ObjectTypeName } from './objects/object-types.ts';
import type { RequestExecutor } from './retry.ts';

interface SearchPage {
  total?: number;
  results?: Array<{ id: string; properties?: Record<string, string | null> }>;
  paging?: { next?: { after?: string } };
}

/**
 * Ids of the records of `object` whose last-modified date is after `since`; null when there are
 * more than `limit` of them (the caller then reads every record instead: cheaper than paging
 * search through more than it would read). Throws when HubSpot cannot answer.
 */
export async function searchModifiedSince(
  ctx: { apis: HubSpotApis; exec: RequestExecutor },
  object: ObjectTypeName,
  since: Date,
  limit: number,
): Promise<Set<string> | null> {
  const property = OBJECT_TYPES[object].modifiedDate;
  const ids = new Set<string>();
  let from = since.getTime();
  let operator: 'GT' | 'GTE' = 'GT';
  for (;;) {
    let after: string | undefined;
    let seen = 0;
    let last = from;
    do {
      const request = {
        filterGroups: [{ filters: [{ propertyName: property, operator, value: String(from) }] }],
        sorts: [{ propertyName: property, direction: 'ASCENDING' }],
        properties: [property],
        limit: HUBSPOT_LIMITS.searchPageSize,
        ...(after ? { after } : {}),
      };
      const result = await ctx.exec.run<SearchPage>('search', `${object} modified since ${new Date(from).toISOString()}`, (options) =>
        // The generated model types `operator` and `direction` as enums of the same strings.
        ctx.apis.object(object).searchApi.doSearchWithHttpInfo(request as never, options),
      );
      if (!result.ok) throw new DestinationError(`searching ${object} changed since ${since.toISOString()}: ${result.kind === 'exhausted' ? result.message : result.failure.message}`);
      for (const r of result.data.results ?? []) {
        ids.add(String(r.id));
        const at = Date.parse(String(r.properties?.[property] ?? ''));
        if (Number.isFinite(at) && at > last) last = at;
      }
      if (ids.size > limit) return null;
      seen += result.data.results?.length ?? 0;
      after = result.data.paging?.next?.after;
    } while (after && seen < HUBSPOT_LIMITS.searchMaxResults);
    if (seen < HUBSPOT_LIMITS.searchMaxResults) return ids;
    // 10,000 results: the rest starts at the last date seen. 10,000 changes within one
    // millisecond cannot be told apart by date: read every record instead.
    if (last === from && operator === 'GTE') return null;
    from = last;
    operator = 'GTE';
  }
}
