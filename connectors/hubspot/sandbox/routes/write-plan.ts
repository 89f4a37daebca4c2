/**
 * Turns one write input into either a planned write or a failure, without
 * touching the store, so a batch can be rejected as a whole before anything
 * lands. Shared by the batch and single-record routes.
 */
import { ApiError, validationError, type ErrorDetail } from '../api-error.ts';
import { definitionOf, SANDBOX_PORTAL_ID, typeIdOf, upperSingularOf, type ObjectTypeName } from '../object-types.ts';
import type { PortalStore, RecordState } from '../store.ts';
import { describeIssues, validatePropertyValues } from '../validation.ts';
import { LIFECYCLE_STAGES } from '../schema-parts.ts';

export interface PlannedWrite {
  /** The record to update; undefined for a create. */
  record?: RecordState;
  values: Record<string, string>;
  /** Property names as sent, echoed in the result. */
  sentNames: string[];
}

export interface WriteFailure {
  status: number;
  category: string;
  message: string;
  context: Record<string, string[]>;
  errors: ErrorDetail[];
}

export type PlanOutcome = { ok: true; write: PlannedWrite } | { ok: false; failure: WriteFailure };

/**
 * Checks an `idProperty` for update/upsert. Only unique-value properties can
 * identify a record; hs_object_id is not one (HubSpot's own message says so).
 */
export function requireUniqueIdProperty(store: PortalStore, type: ObjectTypeName, idProperty: string): void {
  const definition = store.table(type).properties.get(idProperty);
  if (!definition) throw validationError(`Unable to perform update/upsert by unknown ${typeIdOf(type)} property ${idProperty}: it does not exist.`);
  if (!definition.hasUniqueValue) {
    throw validationError(
      `Unable to perform update/upsert by non-unique ${typeIdOf(type)} property ${idProperty} in portal ID ${SANDBOX_PORTAL_ID}`,
    );
  }
}

/**
 * Rejects a batch whose inputs name the same record twice (same id, or the
 * same value of a unique property such as email): HubSpot refuses the whole
 * request, trace ids or not.
 */
export function rejectDuplicateIdentities(identities: string[][]): void {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const keys of identities) {
    for (const key of new Set(keys)) {
      if (seen.has(key)) duplicates.add(key);
      seen.add(key);
    }
  }
  if (duplicates.size > 0) {
    const listed = [...duplicates].map((key) => key.slice(key.indexOf(':') + 1));
    throw validationError(`Duplicate IDs found in batch input: [${listed.join(', ')}]. IDs must be unique`, {
      context: { ids: listed },
    });
  }
}

/** Identity keys of an input's unique property values (email), for rejectDuplicateIdentities. */
export function listUniqueKeys(store: PortalStore, type: ObjectTypeName, properties: Record<string, unknown>): string[] {
  const keys: string[] = [];
  for (const property of store.table(type).uniqueIndex.keys()) {
    const value = properties[property];
    if (typeof value === 'string' && value !== '') keys.push(`${property}:${property === 'email' ? value.toLowerCase() : value}`);
  }
  return keys;
}

export function planCreate(store: PortalStore, type: ObjectTypeName, properties: Record<string, unknown>): PlanOutcome {
  return planValues(store, type, undefined, properties);
}

export function planUpdate(
  store: PortalStore,
  type: ObjectTypeName,
  record: RecordState,
  properties: Record<string, unknown>,
): PlanOutcome {
  return planValues(store, type, record, properties);
}

export function buildNotFoundFailure(type: ObjectTypeName, id: string): WriteFailure {
  return {
    status: 404,
    category: 'OBJECT_NOT_FOUND',
    message: `Could not get some ${upperSingularOf(type)} objects, they may be deleted or not exist. Check that ids are valid.`,
    context: { ids: [id] },
    errors: [],
  };
}

/** A failure as the whole request's error (no trace id, no index: HubSpot does not say which input failed). */
export function toApiError(failure: WriteFailure): ApiError {
  const context = Object.keys(failure.context).length > 0 ? failure.context : undefined;
  return new ApiError(failure.status, failure.category, failure.message, {
    ...(context ? { context } : {}),
    ...(failure.errors.length > 0 ? { errors: failure.errors } : {}),
  });
}

function planValues(
  store: PortalStore,
  type: ObjectTypeName,
  record: RecordState | undefined,
  properties: Record<string, unknown>,
): PlanOutcome {
  const { values, issues } = validatePropertyValues(store.table(type).properties, properties);
  if (issues.length > 0) {
    const { message, errors } = describeIssues(issues);
    return { ok: false, failure: { status: 400, category: 'VALIDATION_ERROR', message, context: {}, errors } };
  }
  // The types with a pipeline (deals): the sandbox keeps their pipelines (../pipelines.ts).
  if (definitionOf(type).capabilities.pipeline) {
    const failure = checkDealStage(store, record, values);
    if (failure) return { ok: false, failure };
  }
  keepLifecycleStage(store, record, values);
  const schema = definitionOf(type).sandbox;
  const failure = checkOwner(store, values) ?? checkRequired(type, schema.required ?? [], record, values);
  if (failure) return { ok: false, failure };
  if (!record) for (const [name, value] of Object.entries(schema.createDefaults ?? {})) if (!values[name]) values[name] = value;
  const conflict = store.findUniqueConflict(type, values, record?.id);
  if (conflict) {
    const what = type === 'contacts' ? 'Contact' : `${upperSingularOf(type).toLowerCase()} with ${conflict.property} ${conflict.value}`;
    return {
      ok: false,
      failure: {
        status: 409,
        category: 'CONFLICT',
        message: `${what.charAt(0).toUpperCase()}${what.slice(1)} already exists. Existing ID: ${conflict.existingId}`,
        context: { existingId: [conflict.existingId] },
        errors: [],
      },
    };
  }
  return { ok: true, write: { record, values, sentNames: Object.keys(properties) } };
}

function propertyFailure(code: string, propertyName: string, message: string): WriteFailure {
  return {
    status: 400,
    category: 'VALIDATION_ERROR',
    message: `Property values were not valid: ${JSON.stringify([{ isValid: false, message, error: code, name: propertyName }])}`,
    context: {},
    errors: [{ message, code, context: { propertyName: [propertyName] } }],
  };
}

/** An archived owner (a user who left) stays an option of `hubspot_owner_id` but cannot be assigned. */
function checkOwner(store: PortalStore, values: Record<string, string>): WriteFailure | undefined {
  const id = values.hubspot_owner_id;
  if (!id) return undefined;
  const owner = store.owners.get(id);
  return owner && !owner.archived ? undefined : propertyFailure('INVALID_OWNER_ID', 'hubspot_owner_id', `${id} is not an active owner of portal ${SANDBOX_PORTAL_ID}`);
}

/**
 * Lifecycle stages only move forward. HubSpot answers a backwards move as a success and keeps
 * the stage it held (docs/hubspot.md, "Lifecycle stage"); to move a record back, clear the
 * stage first, then set it. The sandbox counts the moves it ignored, so tests can see one sent.
 */
function keepLifecycleStage(store: PortalStore, record: RecordState | undefined, values: Record<string, string>): void {
  const wanted = values.lifecyclestage;
  const held = record?.properties.lifecyclestage;
  if (!wanted || !held) return;
  const from = LIFECYCLE_STAGES.indexOf(held);
  const to = LIFECYCLE_STAGES.indexOf(wanted);
  if (from < 0 || to < 0 || to >= from) return;
  delete values.lifecyclestage;
  store.lifecycleMovesIgnored++;
}

/** What a type's folder says a create needs and no write may empty (a task's due time, a ticket's stage). */
function checkRequired(type: ObjectTypeName, required: string[], record: RecordState | undefined, values: Record<string, string>): WriteFailure | undefined {
  const { singular } = definitionOf(type);
  for (const name of required) {
    if (!record && !values[name]) return propertyFailure('REQUIRED_FIELD', name, `${name} is required to create a ${singular}.`);
    if (name in values && values[name] === '') return propertyFailure('REQUIRED_FIELD', name, `${name} cannot be emptied: a ${singular} needs it.`);
  }
  return undefined;
}

/**
 * A deal's stage must be a stage of its pipeline (the default pipeline when none is named),
 * and a new deal needs a stage, as HubSpot requires.
 */
function checkDealStage(store: PortalStore, record: RecordState | undefined, values: Record<string, string>): WriteFailure | undefined {
  const fail = (code: string, propertyName: string, message: string): WriteFailure => ({
    status: 400,
    category: 'VALIDATION_ERROR',
    message: `Property values were not valid: ${JSON.stringify([{ isValid: false, message, error: code, name: propertyName }])}`,
    context: {},
    errors: [{ message, code, context: { propertyName: [propertyName] } }],
  });
  if ('pipeline' in values && values.pipeline === '') return fail('INVALID_OPTION', 'pipeline', 'A deal must be in a pipeline; pipeline cannot be emptied.');
  if ('dealstage' in values && values.dealstage === '') return fail('INVALID_OPTION', 'dealstage', 'A deal must have a stage; dealstage cannot be emptied.');
  const pipelineId = values.pipeline ?? record?.properties.pipeline ?? 'default';
  const stage = values.dealstage ?? record?.properties.dealstage;
  if (!record && !stage) return fail('REQUIRED_FIELD', 'dealstage', 'dealstage is required to create a deal.');
  const pipeline = store.pipelines.get(pipelineId);
  if (!pipeline) return fail('INVALID_OPTION', 'pipeline', `${pipelineId} was not one of the allowed options: [${store.pipelines.list().map((p) => p.id).join(', ')}]`);
  if (stage && !pipeline.stages.some((s) => s.id === stage && !s.archived)) {
    return fail('INVALID_OPTION', 'dealstage', `${stage} is not a valid stage of pipeline ${pipelineId}: [${pipeline.stages.map((s) => s.id).join(', ')}]`);
  }
  return undefined;
}
