/**
 * One error family for pqlsync. Every error a user can see is a PqlsyncError;
 * its class decides the exit code (see src/cli/exit-codes.ts), its message
 * says what happened and what to do next. Secrets never go into messages.
 */
export class PqlsyncError extends Error {
  override name = 'PqlsyncError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** pqlsync.yml or a connector setting is wrong or missing. */
export class ConfigError extends PqlsyncError {
  override name = 'ConfigError';
}

/** A model cannot be loaded, compiled, ordered or built, or a model test failed. */
export class ModelError extends PqlsyncError {
  override name = 'ModelError';
  constructor(message: string, readonly file?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The warehouse refused or failed a statement. */
export class WarehouseError extends PqlsyncError {
  override name = 'WarehouseError';
}

/** The destination failed as a whole (not one record): unreachable, out of retries, daily limit. */
export class DestinationError extends PqlsyncError {
  override name = 'DestinationError';
}

/** The destination rejected our credentials (401) or scopes (403): retrying cannot help. */
export class AuthError extends DestinationError {
  override name = 'AuthError';
}

/** Another run holds the lock for this sync. */
export class LockHeldError extends PqlsyncError {
  override name = 'LockHeldError';
}

/** The circuit breaker stopped a sync whose change looks like a model bug. */
export class GuardrailError extends PqlsyncError {
  override name = 'GuardrailError';
}
