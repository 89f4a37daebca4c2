/**
 * Associations v4: `POST /crm/v4/associations/{from}/{to}/batch/create` and
 * `.../batch/associate/default`, and reading a record's associations. These
 * are exempt from the ten-second window (docs/hubspot.md). Object ids are strings
 * here, as in v3 (HubSpot's current schema; an older rollout answered integers).
 */
import { batchAnswer, buildStandardError, validationError, type StandardError } from '../api-error.ts';
import { findDefaultTypeId, listLabels, type AssociationType } from '../associations.ts';
import { typeIdOf, type ObjectTypeName } from '../object-types.ts';
import type { Route, RouteContext, RouteResult } from '../router.ts';
import type { PortalStore } from '../store.ts';
import { readId, requireInputs, requireObjectType } from './request-shape.ts';

/** Associations one batch-read result lists per record before it pages (the sandbox's choice; HubSpot's is not documented). */
export const ASSOCIATIONS_READ_PAGE = 500;

const ASSOCIATION_CATEGORIES = new Set(['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED']);

export const associationRoutes: Route[] = [
  pairRoute('POST', 'batch/create', ({ body, store }, fromType, toType) =>
    answerEachInput(201, body, (input) => {
      const { fromId, toId } = readEndpoints(input);
      const types = readTypes(input.types);
      const missing = listMissing(store, fromType, fromId, toType, toId);
      if (missing.length > 0) return { error: buildStandardError('VALIDATION_ERROR', `No ${missing.join(' or ')} exists with the given id.`, { fromId: [fromId], toId: [toId] }) };
      const limit = store.settings.associationLimits[`${fromType}>${toType}`];
      const targets = store.associations.list(fromType, fromId).filter((a) => a.toObjectType === toType);
      if (limit !== undefined && !targets.some((a) => a.toObjectId === toId) && targets.length >= limit) {
        // The code is the sandbox's choice: HubSpot's documentation does not name one.
        return {
          error: buildStandardError('VALIDATION_ERROR', `${fromType} ${fromId} already has ${targets.length} associated ${toType}, the limit set for this portal (${limit}).`, { fromId: [fromId], toId: [toId] }, [
            { message: 'association limit exceeded', code: 'ASSOCIATION_LIMIT_EXCEEDED' },
          ]),
        };
      }
      for (const type of types) store.associations.add(fromType, fromId, toType, toId, type);
      return {
        result: {
          fromObjectTypeId: typeIdOf(fromType),
          fromObjectId: fromId,
          toObjectTypeId: typeIdOf(toType),
          toObjectId: toId,
          labels: [],
        },
      };
    }),
  ),
  pairRoute('POST', 'batch/associate/default', ({ body, store }, fromType, toType) => {
    const associationTypeId = findDefaultTypeId(fromType, toType);
    if (associationTypeId === undefined) throw validationError(`There is no default association from ${fromType} to ${toType}.`);
    const startedAt = new Date().toISOString();
    const inputs = requireInputs(body).map(readEndpoints);
    // The client accepts only 200 here, so a missing record fails the whole request.
    for (const { fromId, toId } of inputs) {
      const missing = listMissing(store, fromType, fromId, toType, toId);
      if (missing.length > 0) throw validationError(`No ${missing.join(' or ')} exists with the given id.`, { context: { fromId: [fromId], toId: [toId] } });
    }
    const type: AssociationType = { associationCategory: 'HUBSPOT_DEFINED', associationTypeId };
    const results = inputs.map(({ fromId, toId }) => {
      store.associations.add(fromType, fromId, toType, toId, type);
      return { from: { id: fromId }, to: { id: toId }, associationSpec: type };
    });
    return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() } };
  }),
  // Removes all associations between each pair; pairs that are not associated are ignored.
  pairRoute('POST', 'batch/archive', ({ body, store }, fromType, toType) => {
    for (const input of requireInputs(body)) {
      const fromId = readId((input.from as { id?: unknown } | undefined)?.id, 'from.id');
      const targets = Array.isArray(input.to) ? (input.to as Array<{ id?: unknown }>) : [];
      if (targets.length === 0) throw validationError('Invalid input JSON: "to" must list at least one { id }.');
      for (const target of targets) store.associations.remove(fromType, fromId, toType, readId(target?.id, 'to[].id'));
    }
    return { status: 204 };
  }),
  // A batch read of the records' associations: one result per record that has some, paged per
  // record (`after`); records with none, or that do not exist, are named in `errors` (a 207).
  // Consistent at once, unlike search (docs/hubspot.md, "Tasks and unique values").
  pairRoute('POST', 'batch/read', ({ body, store }, fromType, toType) =>
    answerEachInput(200, body, (input) => {
      const id = readId(input.id);
      const start = input.after === undefined ? 0 : Number(input.after);
      if (!Number.isInteger(start) || start < 0) throw validationError(`Invalid input JSON: "after" ${String(input.after)} is not a cursor this endpoint gave.`);
      const all = store.getRecord(fromType, id) ? store.associations.list(fromType, id).filter((a) => a.toObjectType === toType) : [];
      if (all.length === 0) return { error: buildStandardError('OBJECT_NOT_FOUND', `No ${toType} is associated with ${fromType} ${id}.`, { fromObjectId: [id] }) };
      const page = all.slice(start, start + ASSOCIATIONS_READ_PAGE);
      return {
        result: {
          from: { id },
          to: page.map((a) => ({
            toObjectId: a.toObjectId,
            associationTypes: a.types.map((t) => ({ category: t.associationCategory, typeId: t.associationTypeId, label: null })),
          })),
          ...(start + page.length < all.length ? { paging: { next: { after: String(start + page.length) } } } : {}),
        },
      };
    }),
  ),
  pairRoute('GET', 'labels', (_context, fromType, toType) => {
    const results = listLabels(fromType, toType).map(({ typeId, label }) => ({ category: 'HUBSPOT_DEFINED', typeId, label }));
    return { status: 200, body: { results } };
  }),
  {
    method: 'GET',
    pattern: '/crm/v4/objects/:type/:id/associations/:toType',
    limit: 'exempt',
    handle: ({ params, store }) => {
      const type = requireObjectType(params.type);
      const toType = requireObjectType(params.toType);
      const results = store.associations
        .list(type, params.id)
        .filter((association) => association.toObjectType === toType)
        .map((association) => ({
          toObjectId: association.toObjectId,
          associationTypes: association.types.map((entry) => ({
            category: entry.associationCategory,
            typeId: entry.associationTypeId,
            label: null,
          })),
        }));
      return { status: 200, body: { results } };
    },
  },
];

/**
 * A route under `/crm/v4/associations/:fromType/:toType/`, exempt from the ten-second window
 * (docs/hubspot.md, "Limits"); `handle` gets both object types checked.
 */
function pairRoute(method: string, suffix: string, handle: (context: RouteContext, fromType: ObjectTypeName, toType: ObjectTypeName) => RouteResult): Route {
  return {
    method,
    pattern: `/crm/v4/associations/:fromType/:toType/${suffix}`,
    limit: 'exempt',
    handle: (context) => handle(context, requireObjectType(context.params.fromType), requireObjectType(context.params.toType)),
  };
}

/** A batch answered input by input: a result or an error each, 207 when any input failed. */
function answerEachInput(
  okStatus: 200 | 201,
  body: unknown,
  answer: (input: Record<string, unknown>) => { result: Record<string, unknown> } | { error: StandardError },
): RouteResult {
  const startedAt = new Date().toISOString();
  const results: Record<string, unknown>[] = [];
  const errors: StandardError[] = [];
  for (const input of requireInputs(body)) {
    const answered = answer(input);
    if ('error' in answered) errors.push(answered.error);
    else results.push(answered.result);
  }
  return batchAnswer(okStatus, results, errors, startedAt);
}

function readEndpoints(input: Record<string, unknown>): { fromId: string; toId: string } {
  const from = input.from as { id?: unknown } | undefined;
  const to = input.to as { id?: unknown } | undefined;
  return { fromId: readId(from?.id, 'from.id'), toId: readId(to?.id, 'to.id') };
}

function readTypes(raw: unknown): AssociationType[] {
  if (!Array.isArray(raw) || raw.length === 0) throw validationError('Invalid input JSON: "types" must name at least one association type.');
  return raw.map((entry: { associationCategory?: unknown; associationTypeId?: unknown }) => {
    const category = String(entry?.associationCategory);
    const typeId = Number(entry?.associationTypeId);
    if (!ASSOCIATION_CATEGORIES.has(category)) throw validationError(`associationCategory ${category} is not one of [${[...ASSOCIATION_CATEGORIES].join(', ')}].`);
    if (!Number.isInteger(typeId)) throw validationError(`associationTypeId ${String(entry?.associationTypeId)} is not a number.`);
    return { associationCategory: category, associationTypeId: typeId };
  });
}

function listMissing(store: PortalStore, fromType: ObjectTypeName, fromId: string, toType: ObjectTypeName, toId: string): string[] {
  const missing: string[] = [];
  if (!store.getRecord(fromType, fromId)) missing.push(`${fromType} ${fromId}`);
  if (!store.getRecord(toType, toId)) missing.push(`${toType} ${toId}`);
  return missing;
}
