import {
  AuthError,
  ConfigError,
  DestinationError,
  GuardrailError,
  LockHeldError,
  ModelError,
  RowsFailedError,
  WarehouseError,
} from '../errors.ts';

/** Exit codes a scheduler can act on. Documented in README.md ("Exit codes"). */
export const EXIT = {
  ok: 0,
  /** A bug in pqlsync or an error it did not expect. */
  internal: 1,
  /** pqlsync.yml, a setting or the command line is wrong: fix the config, do not retry. */
  config: 2,
  /** A model failed to compile or build, or a model test failed: fix the model. */
  model: 3,
  /** The warehouse refused or failed a statement: retry later or fix access. */
  warehouse: 4,
  /** HubSpot failed as a whole (unreachable, out of retries, daily limit): retry later. */
  destination: 5,
  /** HubSpot rejected the token (401) or its scopes (403): fix the credentials, do not retry. */
  auth: 6,
  /** The run finished but some rows were rejected; they are in row errors and retried next run. */
  rowsFailed: 7,
  /** Another run of the same sync holds the lock: skip this run. */
  lockHeld: 8,
  /** The guardrails stopped a suspicious change before sending: review, then --force. */
  guardrail: 9,
  /** `pqlsync doctor` found a problem; each failed check says what and how to fix it. */
  doctor: 10,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return EXIT.config;
  if (error instanceof ModelError) return EXIT.model;
  if (error instanceof WarehouseError) return EXIT.warehouse;
  if (error instanceof AuthError) return EXIT.auth;
  if (error instanceof DestinationError) return EXIT.destination;
  if (error instanceof RowsFailedError) return EXIT.rowsFailed;
  if (error instanceof LockHeldError) return EXIT.lockHeld;
  if (error instanceof GuardrailError) return EXIT.guardrail;
  return EXIT.internal;
}
