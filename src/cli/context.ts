import type { Project } from '../config/load-project.ts';
import { ConfigError, PqlsyncError } from '../../contracts/errors.ts';
import type { Session } from '../run/session.ts';
import type { PipelineOptions } from '../run/pipeline.ts';
import { newRunId } from '../util/run-id.ts';
import { createLogger, redact, secretsFrom, type Logger } from '../util/logger.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';

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
 * Runs a command body with a loaded project and an open session; maps any error to
 * its exit code with one readable line (and a JSON event with --json). With `record`, the run
 * is one entry of the run log (`pqlsync status` shows it however it ended) and ends with one
 * `run_summary` event; every JSON line carries the run id.
 */
export async function withSession(
  args: GlobalArgs,
  io: CliIo,
  exit: ExitBox,
  body: (session: Session) => Promise<number | void>,
  options: { project?: Project; env?: NodeJS.ProcessEnv; record?: string } = {},
): Promise<void> {
  const runId = newRunId();
  const log = loggerFor(args, io, { run_id: runId });
  // Loaded here, not at the top: `pqlsync --help` then loads yargs and the command list only.
  const [{ loadProject, projectFor }, { closeSession, openSession }, { loggedRun, statusOf }] = await Promise.all([
    import('../config/load-project.ts'),
    import('../run/session.ts'),
    import('../run/run-log.ts'),
  ]);
  const env = options.env ?? io.env;
  const started = Date.now();
  let session: Session | undefined;
  let reason: string | null = null;
  try {
    const project = projectFor(options.project ?? (await loadProject(args.config)), args, env);
    session = await openSession(project, { log, env, runId, asOf: parseAsOf(args.asOf), lockWaitMs: Math.max(0, args.wait ?? 0) * 1000 });
    if (!options.record) {
      exit.code = (await body(session)) ?? EXIT.ok;
      return;
    }
    const opened = session;
    const { end, error } = await loggedRun(opened, options.record, () => body(opened), (code) => ({ exitCode: code ?? EXIT.ok, status: statusOf(code ?? EXIT.ok) }));
    exit.code = error === undefined ? end.exitCode : reportError(log, error, io.env);
    if (error !== undefined) reason = error instanceof Error ? error.message : String(error);
    await reportSummary(opened, options.record, exit.code, end.status, end.message, Date.now() - started);
  } catch (error) {
    exit.code = reportError(log, error, io.env);
    reason = error instanceof Error ? error.message : String(error);
  } finally {
    // The run's end, whatever it was, for `alerts:` (one alert per failing run; src/alerts).
    if (session && options.record && ALERTING_COMMANDS.has(options.record)) {
      const { alertRunEnd } = await import('../alerts/run-alert.ts');
      await alertRunEnd(session, { command: options.record, exitCode: exit.code, reason });
    }
    if (session) await closeSession(session).catch(() => undefined);
  }
}

/** One event at the end of every recorded run: exit code, counts per sync, requests, duration. */
async function reportSummary(session: Session, command: string, exitCode: number, status: string, message: string | undefined, ms: number): Promise<void> {
  const rows = await session.state.syncRunsOf([session.runId]).catch(() => []);
  const syncs = rows.map((r) => ({
    sync: r.sync_name,
    status: r.status,
    rows: r.n_rows,
    new: r.n_new,
    changed: r.n_changed,
    unchanged: r.n_unchanged,
    removed: r.n_removed,
    sent: r.n_sent,
    failed: r.n_failed,
    requests: r.requests,
  }));
  const requests = syncs.reduce((n, s) => n + Number(s.requests ?? 0), 0);
  session.log.info(`${command} ${session.runId} ended: ${status}, exit ${exitCode}, ${requests} HubSpot requests, ${(ms / 1000).toFixed(1)} s`, {
    event: 'run_summary',
    command,
    status,
    exit_code: exitCode,
    ...(message ? { message } : {}),
    account_id: session.accountId ?? null,
    syncs,
    requests,
    duration_ms: ms,
  });
}

/** The commands a scheduler runs: their failures alert. */
const ALERTING_COMMANDS = new Set(['build', 'run', 'sync', 'backfill']);

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
