/**
 * `POST /crm/v3/objects/{type}/search`. Limits as HubSpot documents them: at
 * most 5 filter groups, 6 filters in a group and 18 in all; `limit` up to 200
 * (default 10); no paging past the 10,000th result. A new record appears only after the
 * portal's search lag (`searchLagMs`, default 0), as HubSpot's index lags fresh writes.
 */
import { validationError } from '../api-error.ts';
import { sandboxSchemaOf } from '../object-types.ts';
import type { Route } from '../router.ts';
import { checkFilter, compareValues, matchesFilter, type SearchFilter } from '../search-filters.ts';
import type { RecordState } from '../store.ts';
import type { PropertyDefinition } from '../types.ts';
import { viewReadRecord } from './record-view.ts';
import { readBodyPropertyList, requireBody, requireObjectType } from './request-shape.ts';

const MAX_FILTER_GROUPS = 5;
const MAX_FILTERS_PER_GROUP = 6;
const MAX_FILTERS = 18;
const MAX_LIMIT = 200;
const MAX_RESULTS = 10_000;

interface SearchSort {
  propertyName: string;
  descending: boolean;
}

export const searchRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/crm/v3/objects/:type/search',
    limit: 'search',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const request = requireBody(body);
      const definitions = store.table(type).properties;
      const groups = readFilterGroups(request.filterGroups, definitions);
      const limit = readLimit(request.limit);
      const offset = readAfter(request.after);
      const sorts = readSorts(request.sorts);
      const query = typeof request.query === 'string' ? request.query.trim().toLowerCase() : '';

      const matches = store
        .listSearchable(type)
        .filter((record) => groups.length === 0 || groups.some((filters) => filters.every((filter) => matchesRecord(record, filter, definitions))))
        .filter((record) => query === '' || (sandboxSchemaOf(type).searchable ?? []).some((name) => record.properties[name]?.toLowerCase().includes(query)));
      matches.sort((left, right) => compareRecords(left, right, sorts, definitions));

      const end = Math.min(offset + limit, matches.length, MAX_RESULTS);
      const page = matches.slice(offset, end);
      const requested = readBodyPropertyList(request.properties);
      return {
        status: 200,
        body: {
          total: matches.length,
          results: page.map((record) => viewReadRecord(type, record, requested)),
          ...(end < matches.length && end < MAX_RESULTS ? { paging: { next: { after: String(end) } } } : {}),
        },
      };
    },
  },
];

function readFilterGroups(raw: unknown, definitions: Map<string, PropertyDefinition>): SearchFilter[][] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw validationError('Invalid input JSON: "filterGroups" must be an array.');
  if (raw.length > MAX_FILTER_GROUPS) {
    throw validationError(`Too many filter groups: ${raw.length}; the limit is ${MAX_FILTER_GROUPS}.`);
  }
  const groups = raw.map((group: { filters?: unknown }) => {
    const filters = Array.isArray(group?.filters) ? (group.filters as SearchFilter[]) : [];
    if (filters.length > MAX_FILTERS_PER_GROUP) {
      throw validationError(`Too many filters in a group: ${filters.length}; the limit is ${MAX_FILTERS_PER_GROUP}.`);
    }
    for (const filter of filters) checkFilter(filter, definitions);
    return filters;
  });
  const total = groups.reduce((sum, filters) => sum + filters.length, 0);
  if (total > MAX_FILTERS) throw validationError(`Too many filters: ${total}; the limit is ${MAX_FILTERS} in all.`);
  return groups;
}

function readLimit(raw: unknown): number {
  if (raw === undefined || raw === null) return 10;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    throw validationError(`limit must be between 0 and ${MAX_LIMIT}, got ${String(raw)}.`);
  }
  return limit;
}

function readAfter(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  const after = Number(raw);
  if (!Number.isInteger(after) || after < 0) throw validationError(`after must be a paging cursor from a previous page.`);
  if (after >= MAX_RESULTS) {
    throw validationError(`Search can return at most ${MAX_RESULTS} results per query: narrow the filters instead of paging past it.`);
  }
  return after;
}

/** Sorts arrive as objects `{ propertyName, direction }` or, as the client's type says, strings (`-name` descending). */
function readSorts(raw: unknown): SearchSort[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((sort: unknown) => {
    if (typeof sort === 'string') {
      return sort.startsWith('-') ? { propertyName: sort.slice(1), descending: true } : { propertyName: sort, descending: false };
    }
    const { propertyName, direction } = (sort ?? {}) as { propertyName?: string; direction?: string };
    return { propertyName: String(propertyName), descending: direction === 'DESCENDING' };
  });
}

function matchesRecord(record: RecordState, filter: SearchFilter, definitions: Map<string, PropertyDefinition>): boolean {
  return matchesFilter(record.properties[filter.propertyName], filter, definitions.get(filter.propertyName)!);
}

/** By the requested sorts, then by record id, so pages are stable. */
function compareRecords(left: RecordState, right: RecordState, sorts: SearchSort[], definitions: Map<string, PropertyDefinition>): number {
  for (const sort of sorts) {
    const definition = definitions.get(sort.propertyName);
    if (!definition) continue;
    const a = left.properties[sort.propertyName];
    const b = right.properties[sort.propertyName];
    if (a === b) continue;
    // Records without the property sort last, whichever the direction.
    if (a === undefined) return 1;
    if (b === undefined) return -1;
    const order = compareValues(a, b, definition);
    if (order !== 0) return sort.descending ? -order : order;
  }
  return Number(left.id) - Number(right.id);
}
