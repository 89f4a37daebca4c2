import { PqlsyncError } from '../../contracts/errors.ts';
import { EXIT, exitCodeFor } from '../cli/exit-codes.ts';
import type { RunLogStatus } from '../state/state-store.ts';
import { redact, secretsFrom, type Logger } from '../util/logger.ts';
import type { Session } from './session.ts';

/** How a run ended, for the run log and the summary event. */
export interface RunEnd {
  exitCode: number;
  status: RunLogStatus;
  message?: string;
}

export function statusOf(exitCode: number): RunLogStatus {
  if (exitCode === EXIT.ok) return 'success';
  if (exitCode === EXIT.rowsFailed) return 'partial';
  if (exitCode === EXIT.guardrail) return 'stopped';
  if (exitCode === EXIT.interrupted) return 'interrupted';
  return 'failed';
}

/** A failure as the run log keeps it: the error's kind and message, secrets masked. */
export function endOfError(error: unknown, env: NodeJS.ProcessEnv): RunEnd {
  const exitCode = exitCodeFor(error);
  const kind = error instanceof PqlsyncError ? error.name : 'InternalError';
  const text = error instanceof Error ? error.message : String(error);
  return { exitCode, status: statusOf(exitCode), message: redact(`${kind}: ${text}`, secretsFrom(env)) };
}

/**
 * Runs `body` as one entry of the run log: a line opened before it starts and closed with its
 * exit code and message however it ends (config, build, test, token, lock, sync, interrupt), so
 * `pqlsync status` shows every run. The CLI and the library both go through here.
 */
export async function loggedRun<T>(session: Session, command: string, body: () => Promise<T>, endOf: (value: T) => RunEnd): Promise<{ value?: T; end: RunEnd; error?: unknown }> {
  await session.state.logRunStart({ runId: session.runId, command, startedAt: new Date() });
  let outcome: { value?: T; end: RunEnd; error?: unknown };
  try {
    const value = await body();
    outcome = { value, end: endOf(value) };
  } catch (error) {
    outcome = { error, end: endOfError(error, session.env) };
  }
  await session.state
    .logRunEnd({ runId: session.runId, ...outcome.end, accountId: session.accountId ?? null })
    .catch((error: unknown) => session.log.warn(`could not record the run's end in the run log: ${error instanceof Error ? error.message : String(error)}`, { event: 'run_log_failed' }));
  return outcome;
}

/** Logs an error as one line (one `error` event with --json), secrets masked; answers its exit code. */
export function reportError(log: Logger, error: unknown, env: NodeJS.ProcessEnv): number {
  const code = exitCodeFor(error);
  const secrets = secretsFrom(env);
  const kind = error instanceof PqlsyncError ? error.name : 'InternalError';
  const message = redact(error instanceof Error ? error.message : String(error), secrets);
  log.error(message, { event: 'error', kind, exit_code: code });
  if (code === EXIT.internal && error instanceof Error && error.stack && !log.json) {
    log.error(redact(error.stack, secrets));
  }
  return code;
}
