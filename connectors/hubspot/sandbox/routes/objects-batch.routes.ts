/**
 * `/crm/v3/objects/{type}/batch/{create|update|upsert|read|archive}`.
 *
 * Partial success needs trace ids: when every input carries a unique
 * `objectWriteTraceId`, invalid inputs become per-record errors in a 207 and
 * the valid ones are written; otherwise one invalid input rejects the whole
 * batch (nothing written, no index named). Duplicate identities reject the
 * whole batch either way.
 */
import { batchAnswer, buildStandardError, validationError, type StandardError } from '../api-error.ts';
import { findTargetType, type AssociationType } from '../associations.ts';
import { upperSingularOf, type ObjectTypeName } from '../object-types.ts';
import type { Route, RouteResult } from '../router.ts';
import type { PortalStore } from '../store.ts';
import { viewReadRecord, viewWrittenRecord, type RecordView } from './record-view.ts';
import {
  readBodyPropertyList,
  readId,
  readOptionalString,
  readProperties,
  requireBody,
  requireInputs,
  requireObjectType,
} from './request-shape.ts';
import {
  buildNotFoundFailure,
  listUniqueKeys,
  planCreate,
  planUpdate,
  rejectDuplicateIdentities,
  requireUniqueIdProperty,
  toApiError,
  type PlanOutcome,
} from './write-plan.ts';

interface ResolvedInput {
  traceId?: string;
  outcome: PlanOutcome;
  /** Upsert only: whether the input creates the record. */
  isNew?: boolean;
  associations?: PendingAssociation[];
}

interface PendingAssociation {
  toType: ObjectTypeName;
  toId: string;
  type: AssociationType;
}

export const objectBatchRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/crm/v3/objects/:type/batch/create',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const inputs = requireInputs(body);
      rejectDuplicateIdentities(inputs.map((input) => listUniqueKeys(store, type, readProperties(input))));
      const resolved = inputs.map((input): ResolvedInput => {
        const traceId = readOptionalString(input.objectWriteTraceId, 'objectWriteTraceId');
        const associations = readCreateAssociations(store, type, input.associations);
        if ('failure' in associations) return { traceId, outcome: { ok: false, failure: associations.failure } };
        return { traceId, outcome: planCreate(store, type, readProperties(input)), associations: associations.pending };
      });
      return executeBatchWrite(store, type, resolved, 201);
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/objects/:type/batch/update',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const inputs = requireInputs(body);
      const identities = inputs.map((input) => {
        const idProperty = readOptionalString(input.idProperty, 'idProperty');
        // Updating by record id means leaving idProperty out; naming hs_object_id fails as non-unique.
        if (idProperty !== undefined) requireUniqueIdProperty(store, type, idProperty);
        const id = readId(input.id);
        const key = idProperty ? `${idProperty}:${idProperty === 'email' ? id.toLowerCase() : id}` : `hs_object_id:${id}`;
        return [key, ...listUniqueKeys(store, type, readProperties(input))];
      });
      rejectDuplicateIdentities(identities);
      const resolved = inputs.map((input): ResolvedInput => {
        const traceId = readOptionalString(input.objectWriteTraceId, 'objectWriteTraceId');
        const idProperty = readOptionalString(input.idProperty, 'idProperty');
        const id = readId(input.id);
        const record = idProperty ? store.findByUniqueValue(type, idProperty, id) : store.getRecord(type, id);
        if (!record) return { traceId, outcome: { ok: false, failure: buildNotFoundFailure(type, id) } };
        return { traceId, outcome: planUpdate(store, type, record, readProperties(input)) };
      });
      return executeBatchWrite(store, type, resolved, 200);
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/objects/:type/batch/upsert',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const inputs = requireInputs(body);
      const identities = inputs.map((input) => {
        // Upsert has no by-record-id mode: without idProperty it is hs_object_id, which is not unique.
        const idProperty = readOptionalString(input.idProperty, 'idProperty') ?? 'hs_object_id';
        requireUniqueIdProperty(store, type, idProperty);
        const id = readId(input.id);
        return [`${idProperty}:${idProperty === 'email' ? id.toLowerCase() : id}`, ...listUniqueKeys(store, type, readProperties(input))];
      });
      rejectDuplicateIdentities(identities);
      const resolved = inputs.map((input): ResolvedInput => {
        const traceId = readOptionalString(input.objectWriteTraceId, 'objectWriteTraceId');
        const idProperty = readOptionalString(input.idProperty, 'idProperty')!;
        const id = readId(input.id);
        const properties = readProperties(input);
        const existing = store.findByUniqueValue(type, idProperty, id);
        if (existing) return { traceId, outcome: planUpdate(store, type, existing, properties), isNew: false };
        // A new record takes its identity from the input's id, whatever the properties say.
        return { traceId, outcome: planCreate(store, type, { ...properties, [idProperty]: id }), isNew: true };
      });
      return executeBatchWrite(store, type, resolved, 200, true);
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/objects/:type/batch/read',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      const inputs = requireInputs(body);
      const request = requireBody(body);
      const requested = readBodyPropertyList(request.properties);
      const idProperty = readOptionalString(request.idProperty, 'idProperty');
      if (idProperty !== undefined && idProperty !== 'hs_object_id') requireUniqueIdProperty(store, type, idProperty);
      const startedAt = new Date().toISOString();
      const results: RecordView[] = [];
      const missing: string[] = [];
      for (const id of new Set(inputs.map((input) => readId(input.id)))) {
        // By email, HubSpot also finds a contact that holds it as a secondary email (docs/hubspot.md, "Contact identity").
        const record =
          type === 'contacts' && idProperty === 'email'
            ? store.findContactByEmail(id)
            : idProperty && idProperty !== 'hs_object_id'
              ? store.findByUniqueValue(type, idProperty, id)
              : store.getRecord(type, id);
        if (record) results.push(viewReadRecord(type, record, requested));
        else missing.push(id);
      }
      const message = `Could not get some ${upperSingularOf(type)} objects, they may be deleted or not exist. Check that ids are valid.`;
      const errors = missing.length === 0 ? [] : [buildStandardError('OBJECT_NOT_FOUND', message, { ids: missing })];
      return batchAnswer(200, results, errors, startedAt);
    },
  },
  {
    method: 'POST',
    pattern: '/crm/v3/objects/:type/batch/archive',
    limit: 'window',
    handle: ({ params, body, store }) => {
      const type = requireObjectType(params.type);
      // Archiving is idempotent: ids that are gone already are ignored.
      for (const input of requireInputs(body)) {
        const record = store.getRecord(type, readId(input.id));
        if (record) store.archiveRecord(type, record);
      }
      return { status: 204 };
    },
  },
];

/** Trace ids count only when every input has one and no two are equal. */
function hasUniqueTraceIds(resolved: ResolvedInput[]): boolean {
  const ids = resolved.map((input) => input.traceId);
  return ids.every((id) => id !== undefined && id !== '') && new Set(ids).size === ids.length;
}

function executeBatchWrite(
  store: PortalStore,
  type: ObjectTypeName,
  resolved: ResolvedInput[],
  successStatus: 200 | 201,
  isUpsert = false,
): RouteResult {
  const startedAt = new Date().toISOString();
  const partial = hasUniqueTraceIds(resolved);
  const firstFailure = resolved.find((input) => !input.outcome.ok);
  if (!partial && firstFailure && !firstFailure.outcome.ok) throw toApiError(firstFailure.outcome.failure);

  const results: RecordView[] = [];
  const errors: StandardError[] = [];
  for (const input of resolved) {
    const { outcome } = input;
    if (!outcome.ok) {
      const { category, message, context, errors: details } = outcome.failure;
      errors.push(buildStandardError(category, message, { ...context, objectWriteTraceId: [input.traceId!] }, details));
      continue;
    }
    const { write } = outcome;
    const record = write.record ? store.updateRecord(type, write.record, write.values) : store.createRecord(type, write.values);
    if (!write.record && type === 'contacts') store.associateCompanyFromEmail(record);
    for (const association of input.associations ?? []) {
      store.associations.add(type, record.id, association.toType, association.toId, association.type);
    }
    const view = viewWrittenRecord(type, record, write.sentNames, input.traceId);
    results.push(isUpsert ? { ...view, new: input.isNew === true } : view);
  }
  return { ...batchAnswer(successStatus, results, errors, startedAt), recordsWritten: results.length };
}

/** `associations` on a create input: `[{ to: { id }, types: [{ associationCategory, associationTypeId }] }]`. */
export function readCreateAssociations(
  store: PortalStore,
  type: ObjectTypeName,
  raw: unknown,
): { pending: PendingAssociation[] } | { failure: ReturnType<typeof buildNotFoundFailure> } {
  if (raw === undefined || raw === null) return { pending: [] };
  if (!Array.isArray(raw)) throw validationError('Invalid input JSON: "associations" must be an array.');
  const pending: PendingAssociation[] = [];
  for (const entry of raw as { to?: { id?: unknown }; types?: unknown }[]) {
    const toId = readId(entry?.to?.id, 'associations[].to.id');
    const types = Array.isArray(entry?.types) ? (entry.types as Partial<AssociationType>[]) : [];
    if (types.length === 0) throw validationError('Invalid input JSON: "associations[].types" must name at least one type.');
    for (const associationType of types) {
      const typeId = Number(associationType.associationTypeId);
      const toType = findTargetType(type, typeId);
      if (!toType) throw validationError(`Association type ${associationType.associationTypeId} is not valid from ${type}.`);
      if (!store.getRecord(toType, toId)) return { failure: buildNotFoundFailure(toType, toId) };
      pending.push({
        toType,
        toId,
        type: { associationCategory: associationType.associationCategory ?? 'HUBSPOT_DEFINED', associationTypeId: typeId },
      });
    }
  }
  return { pending };
}
