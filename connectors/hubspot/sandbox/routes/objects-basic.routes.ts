/**
 * Single-record endpoints: `POST /crm/v3/objects/{type}`, `GET|PATCH|DELETE
 * /crm/v3/objects/{type}/{id}` and the list page `GET /crm/v3/objects/{type}`.
 * A single write has no partial success: any failure is the request's error.
 */
import { validationError } from '../api-error.ts';
import type { ObjectTypeName } from '../object-types.ts';
import type { Route } from '../router.ts';
import type { PortalStore, RecordState } from '../store.ts';
import { readCreateAssociations } from './objects-batch.routes.ts';
import { viewReadRecord, viewWrittenRecord } from './record-view.ts';
import { notFoundError, readId, readProperties, readPropertyList, requireBody, requireObjectType } from './request-shape.ts';
import { planCreate, planUpdate, requireUniqueIdProperty, toApiError } from './write-plan.ts';

const MAX_PAGE_LIMIT = 100;

export const objectBasicRoutes: Route[] = [
  {
    // `{ primaryObjectId, objectIdToMerge }`: the second record is merged into the first, whose id
    // survives (docs/hubspot.md, "Contact identity"); the merged-away id answers as the survivor.
    method: 'POST',
    pattern: '/crm/v3/objects/:type/merge',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const input = requireBody(body);
      const primary = store.getRecord(type, readId(input.primaryObjectId, 'primaryObjectId'));
      const merged = store.getRecord(type, readId(input.objectIdToMerge, 'objectIdToMerge'));
      if (!primary || !merged) throw notFoundError('Object not found.  objectId are usually numeric.', { id: [String(input.primaryObjectId), String(input.objectIdToMerge)] });
      if (primary.id === merged.id) throw validationError('A record cannot be merged with itself.');
      store.mergeRecords(type, primary, merged);
      return { status: 200, body: viewReadRecord(type, primary, []), recordsWritten: 1 };
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/objects/:type',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const input = requireBody(body);
      const associations = readCreateAssociations(store, type, input.associations);
      if ('failure' in associations) throw toApiError(associations.failure);
      const outcome = planCreate(store, type, readProperties(input));
      if (!outcome.ok) throw toApiError(outcome.failure);
      const record = store.createRecord(type, outcome.write.values);
      if (type === 'contacts') store.associateCompanyFromEmail(record);
      for (const association of associations.pending) {
        store.associations.add(type, record.id, association.toType, association.toId, association.type);
      }
      return { status: 201, body: viewWrittenRecord(type, record, outcome.write.sentNames, undefined), recordsWritten: 1 };
    },
  },
  {
    method: 'GET',
    pattern: '/crm/v3/objects/:type',
    limit: 'window',
    handle: ({ params, query, store }) => {
      const type = requireObjectType(params.type);
      const limit = Number(query.get('limit') ?? 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
        throw validationError(`limit must be between 1 and ${MAX_PAGE_LIMIT}.`);
      }
      const after = query.get('after');
      const records = store.listRecords(type).filter((record) => after === null || Number(record.id) > Number(after));
      const page = records.slice(0, limit);
      const requested = readPropertyList(query);
      const last = page[page.length - 1];
      return {
        status: 200,
        body: {
          results: page.map((record) => viewReadRecord(type, record, requested)),
          ...(records.length > limit && last ? { paging: { next: { after: last.id } } } : {}),
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: '/crm/v3/objects/:type/:id',
    limit: 'window',
    handle: ({ params, query, store }) => {
      const type = requireObjectType(params.type);
      const record = findRecord(store, type, params.id, query.get('idProperty'));
      return { status: 200, body: viewReadRecord(type, record, readPropertyList(query)) };
    },
  },
  {
    method: 'PATCH',
    pattern: '/crm/v3/objects/:type/:id',
    limit: 'window',
    handle: ({ params, query, body, store }) => {
      const type = requireObjectType(params.type);
      const record = findRecord(store, type, params.id, query.get('idProperty'));
      const outcome = planUpdate(store, type, record, readProperties(requireBody(body)));
      if (!outcome.ok) throw toApiError(outcome.failure);
      store.updateRecord(type, record, outcome.write.values);
      return { status: 200, body: viewWrittenRecord(type, record, outcome.write.sentNames, undefined), recordsWritten: 1 };
    },
  },
  {
    method: 'DELETE',
    pattern: '/crm/v3/objects/:type/:id',
    limit: 'window',
    handle: ({ params, store }) => {
      const type = requireObjectType(params.type);
      const record = store.getRecord(type, params.id);
      if (record) store.archiveRecord(type, record);
      return { status: 204 };
    },
  },
];

function findRecord(store: PortalStore, type: ObjectTypeName, id: string, idProperty: string | null): RecordState {
  if (idProperty && idProperty !== 'hs_object_id') requireUniqueIdProperty(store, type, idProperty);
  const record = idProperty && idProperty !== 'hs_object_id' ? store.findByUniqueValue(type, idProperty, id) : store.getRecord(type, id);
  if (!record) throw notFoundError(`Object not found.  objectId are usually numeric.`, { id: [id] });
  return record;
}
