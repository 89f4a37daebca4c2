/**
 * Which records of a type changed in HubSpot after a moment: search on the type's last-modified
 * date (`lastmodifieddate` for contacts, `hs_lastmodifieddate` for the others), oldest first,
 * 200 a page. Search has its own limit of a few requests a second and is not counted in the
 * 10-second window the writes share (docs/hubspot.md), so this costs the writes nothing.
 * A query pages through at most 10,000 results; past that the next query starts at the last
 * date seen (GTE, the ids already seen are skipped), so any number of changes is found.
 * HubSpot's index lags a write by seconds (up to about 30 s): a change made just before the
 * search may be missing from it (docs/change-control.md says what a rollback does about it).
 * Windows to skip (when pqlsync itself was writing the type) leave at most 5 intervals, one filter
 * group each (HubSpot ORs the groups); past 5, the intervals around the shortest windows merge.
 */
import { DestinationError } from '../../contracts/errors.ts';
import type { TimeWindow } from '../destination.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import { OBJECT_TYPES, type ObjectTypeName } from './objects/object-types.ts';
import type { RequestExecutor } from './retry.ts';

interface SearchPage {
  total?: number;
  results?: Array<{ id: string; properties?: Record<string, string | null> }>;
  paging?: { next?: { after?: string } };
}

/** An interval to search, in epoch ms: after `from`, before `to` (open-ended when null). */
export interface SearchInterval {
  from: number;
  to: number | null;
}

/**
 * The intervals after `since` outside every `skip` window, oldest first, at most `max`: past it,
 * the two intervals around the shortest window merge (the merged one searches that window too:
 * more results, never fewer). The last interval is open-ended.
 */
export function intervalsOutside(since: number, skip: ReadonlyArray<{ from: number; to: number }>, max: number): SearchInterval[] {
  const out: SearchInterval[] = [];
  let from = since;
  for (const w of [...skip].sort((a, b) => a.from - b.from)) {
    if (w.to <= from) continue;
    if (w.from > from) out.push({ from, to: w.from });
    from = Math.max(from, w.to);
  }
  out.push({ from, to: null });
  while (out.length > Math.max(1, max)) {
    let shortest = 0;
    for (let i = 1; i < out.length - 1; i++) if (out[i + 1].from - out[i].to! < out[shortest + 1].from - out[shortest].to!) shortest = i;
    out.splice(shortest, 2, { from: out[shortest].from, to: out[shortest + 1].to });
  }
  return out;
}

/**
 * Ids of the records of `object` whose last-modified date is after `since` and outside the
 * `skip` windows; null when there are more than `limit` of them (the caller then reads every
 * record instead: cheaper than paging search through more than it would read). Throws when
 * HubSpot cannot answer.
 */
export async function searchModifiedSince(
  ctx: { apis: HubSpotApis; exec: RequestExecutor },
  object: ObjectTypeName,
  since: Date,
  limit: number,
  skip: ReadonlyArray<TimeWindow> = [],
): Promise<Set<string> | null> {
  const property = OBJECT_TYPES[object].modifiedDate;
  const intervals = intervalsOutside(
    since.getTime(),
    skip.map((w) => ({ from: w.from.getTime(), to: w.to.getTime() })),
    HUBSPOT_LIMITS.searchMaxFilterGroups,
  );
  const ids = new Set<string>();
  let from = since.getTime();
  let operator: 'GT' | 'GTE' = 'GT';
  for (;;) {
    // The intervals still ahead of `from`, the first cut at it; sorted by date, the groups' results
    // come oldest first across them, so the next query can start at the last date seen.
    const groups = intervals
      .filter((i) => i.to === null || i.to > from)
      .map((i) => {
        const start = i.from <= from ? { operator, value: String(from) } : { operator: 'GT', value: String(i.from) };
        const end = i.to === null ? [] : [{ propertyName: property, operator: 'LT', value: String(i.to) }];
        return { filters: [{ propertyName: property, ...start }, ...end] };
      });
    let after: string | undefined;
    let seen = 0;
    let last = from;
    do {
      const request = {
        filterGroups: groups,
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
