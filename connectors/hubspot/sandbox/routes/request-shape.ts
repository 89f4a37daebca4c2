/**
 * Checks on the shape of a request body and its path parameters, shared by
 * the routes. Each throws HubSpot's whole-request error.
 */
import { ApiError, validationError } from '../api-error.ts';
import { resolveObjectType, type ObjectTypeName } from '../object-types.ts';

/** HubSpot's batch endpoints take at most 100 inputs. */
export const MAX_BATCH_INPUTS = 100;

export function requireObjectType(segment: string | undefined): ObjectTypeName {
  const type = segment === undefined ? undefined : resolveObjectType(segment);
  if (!type) throw validationError(`Unable to infer object type from: ${segment}`);
  return type;
}

export function requireBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validationError('Invalid input JSON: expected an object body.');
  }
  return body as Record<string, unknown>;
}

/** The `inputs` array of a batch body, each an object, at most `max` of them. */
export function requireInputs(body: unknown, max = MAX_BATCH_INPUTS): Record<string, unknown>[] {
  const inputs = requireBody(body).inputs;
  if (!Array.isArray(inputs)) throw validationError('Invalid input JSON: "inputs" must be an array.');
  if (inputs.length > max) {
    throw validationError(`Batch input is too large: ${inputs.length} inputs exceed the limit of ${max}.`, {
      context: { inputs: [String(inputs.length)], limit: [String(max)] },
    });
  }
  inputs.forEach((input, index) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw validationError(`Invalid input JSON: inputs[${index}] must be an object.`);
    }
  });
  return inputs as Record<string, unknown>[];
}

/** A write's `properties`: an object, `{}` when left out. */
export function readProperties(input: Record<string, unknown>): Record<string, unknown> {
  const properties = input.properties;
  if (properties === undefined) return {};
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) {
    throw validationError('Invalid input JSON: "properties" must be an object of strings.');
  }
  return properties as Record<string, unknown>;
}

export function readOptionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validationError(`Invalid input JSON: "${field}" must be a string.`);
  return value;
}

/** An id in a path or input: HubSpot accepts strings and numbers. */
export function readId(value: unknown, field = 'id'): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw validationError(`Invalid input JSON: "${field}" is required.`);
}

/** `properties` as a query parameter: repeated, comma-separated, or both. */
export function readPropertyList(query: URLSearchParams, name = 'properties'): string[] | undefined {
  const values = query.getAll(name).flatMap((value) => value.split(',')).filter(Boolean);
  return values.length > 0 ? values : undefined;
}

/** `properties` in a JSON body: an array of names, undefined when absent or empty. */
export function readBodyPropertyList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw validationError('Invalid input JSON: "properties" must be an array of property names.');
  }
  return value.length > 0 ? (value as string[]) : undefined;
}

export function notFoundError(message: string, context?: Record<string, string[]>): ApiError {
  return new ApiError(404, 'OBJECT_NOT_FOUND', message, context ? { context } : {});
}
