/**
 * HubSpot's error shapes. A route throws an ApiError for a whole-request
 * failure (the server turns it into the top-level envelope); per-record
 * failures in a 207 use the StandardError shape built here too.
 */
import { randomUUID } from 'node:crypto';

export interface ErrorDetail {
  message: string;
  code?: string;
  context?: Record<string, string[]>;
}

export interface ErrorExtras {
  context?: Record<string, string[]>;
  errors?: ErrorDetail[];
  /** Fields HubSpot adds to some errors (errorType and policyName on 429s, links on 403s). */
  fields?: Record<string, unknown>;
}

/** A whole-request failure, answered with HubSpot's top-level error envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    message: string,
    readonly extras: ErrorExtras = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** One entry of a 207's `errors`: HubSpot's StandardError. */
export interface StandardError {
  status: 'error';
  category: string;
  message: string;
  context: Record<string, string[]>;
  errors: ErrorDetail[];
  links: Record<string, string>;
}

export function createCorrelationId(): string {
  return randomUUID();
}

/** `{ status: "error", message, correlationId, category, context?, errors? }`, HubSpot's top-level error body. */
export function buildErrorBody(error: ApiError): Record<string, unknown> {
  const { context, errors, fields } = error.extras;
  return {
    status: 'error',
    message: error.message,
    correlationId: createCorrelationId(),
    ...(context ? { context } : {}),
    category: error.category,
    ...(errors ? { errors } : {}),
    ...fields,
  };
}

export function buildStandardError(
  category: string,
  message: string,
  context: Record<string, string[]> = {},
  errors: ErrorDetail[] = [],
): StandardError {
  return { status: 'error', category, message, context, errors, links: {} };
}

export function validationError(message: string, extras: ErrorExtras = {}): ApiError {
  return new ApiError(400, 'VALIDATION_ERROR', message, extras);
}

/**
 * A batch answer: `{ status: "COMPLETE", results, startedAt, completedAt }` with `okStatus`,
 * or, when some inputs failed, a 207 that adds `numErrors` and `errors[]` (docs/hubspot.md,
 * "Batch answers").
 */
export function batchAnswer<T>(okStatus: 200 | 201, results: T[], errors: StandardError[], startedAt: string): { status: number; body: Record<string, unknown> } {
  const envelope = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
  return errors.length === 0 ? { status: okStatus, body: envelope } : { status: 207, body: { ...envelope, numErrors: errors.length, errors } };
}
