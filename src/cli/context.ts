import { ConfigError } from '../../contracts/errors.ts';
import type { Session } from '../run/session.ts';
import type { PipelineOptions } from '../run/pipeline.ts';
import { newRunId } from '../util/run-id.ts';
import { createLogger, secretsFrom, type Logger } from '../util/logger.ts';
import { reportError } from '../run/run-log.ts';
import { EXIT } from './exit-codes.ts';

export interface GlobalArgs {
  /** Path to pqlsync.yml; unset: ./pqlsync.yml (and, for `demo`, the demo project that ships with pqlsync). */
  config?: string;
  json: boolean;
  asOf?: string;
  /** Seconds to wait for another run's lock (0: exit 8 at once). */
  wait?: number;
  /** Overrides pqlsync.yml's `schema` (else PQLSYNC_MODELS_SCHEMA). */
  modelsSchema?: string;
  /** Overrides pqlsync.yml's `state_schema` (else PQLSYNC_STATE_SCHEMA). */
  stateSchema?: string;
}

/** The pipeline flags a command may have; each maps to the PipelineOptions field of the same meaning. */
export interface PipelineArgs {
  select?: string[];
  sync?: string[];
  force?: boolean;
  dryRun?: boolean;
  fullRefresh?: boolean;
}

/** The one translation from flags to the pipeline's options (src/run/pipeline.ts), plus the printing observers. */
export async function pipelineOptions(args: PipelineArgs, io: CliIo, log: Logger): Promise<PipelineOptions> {
  const { printing } = await import('./report.ts');
  const { select, sync: syncs, force, dryRun, fullRefresh } = args;
  return { select, syncs, force, dryRun, fullRefresh, signal: io.signal, ...printing(log) };
}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Aborted on SIGTERM/SIGINT: long steps finish the current batch, checkpoint and stop. */
  signal?: AbortSignal;
}

/** Where a command's exit code lands (yargs handlers cannot return one). */
export interface ExitBox {
  code: number;
}

export function loggerFor(args: GlobalArgs, io: CliIo, fields?: Record<string, unknown>): Logger {
  return createLogger({ json: args.json, secrets: secretsFrom(io.env), out: io.out, err: io.err, fields });
}

export function parseAsOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new ConfigError(`--as-of '${value}' is not a date or timestamp (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)`);
  return date.toISOString();
}

/**
 * Runs a command body with a loaded project and an open session (src/run/run-session.ts, the
 * library's wrapper too); maps any error to its exit code with one readable line (and a JSON
 * event with --json). With `record`, the run is one entry of the run log (`pqlsync status` shows
 * it however it ended), ends with one `run_summary` event and alerts per `alerts:`; every JSON
 * line carries the run id.
 */
export async function withSession(
  args: GlobalArgs,
  io: CliIo,
  exit: ExitBox,
  body: (session: Session) => Promise<number | void>,
  options: { record?: string } = {},
): Promise<void> {
  const runId = newRunId();
  const log = loggerFor(args, io, { run_id: runId });
  let asOf: string | undefined;
  try {
    asOf = parseAsOf(args.asOf);
  } catch (error) {
    exit.code = reportError(log, error, io.env);
    return;
  }
  // Loaded here, not at the top: `pqlsync --help` then loads yargs and the command list only.
  const { inSession } = await import('../run/run-session.ts');
  const outcome = await inSession(
    {
      config: args.config,
      modelsSchema: args.modelsSchema,
      stateSchema: args.stateSchema,
      env: io.env,
      log,
      runId,
      asOf,
      lockWaitMs: Math.max(0, args.wait ?? 0) * 1000,
      record: options.record,
    },
    body,
    (code) => code ?? EXIT.ok,
  );
  exit.code = outcome.exitCode;
}

/** Logs an error as one line (one `error` event with --json); answers its exit code (src/run/run-log.ts). */
export { reportError };
