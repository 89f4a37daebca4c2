/**
 * The one wrapper around a call of pqlsync, for the CLI and the library alike
 * (docs/architecture.md, "One pipeline"): it loads the project, opens a session, runs the body,
 * and, when the call is a recorded command, makes it one entry of the run log, ends it with one
 * `run_summary` event and sends the alert a failure calls for (pqlsync.yml `alerts:`). Errors
 * are logged as one `error` event and answered, not thrown: the CLI maps them to its exit code,
 * the library throws them on.
 */
import { loadProject, projectFor, type Project } from '../config/load-project.ts';
import { newRunId } from '../util/run-id.ts';
import type { Logger } from '../util/logger.ts';
import { reportError, loggedRun, statusOf } from './run-log.ts';
import { closeSession, openSession, type Session } from './session.ts';

export interface SessionRequest {
  /** Path to pqlsync.yml (default: ./pqlsync.yml), or a project already loaded. */
  config?: string | Project;
  /** Overrides of pqlsync.yml's `schema` and `state_schema` (else PQLSYNC_MODELS_SCHEMA, PQLSYNC_STATE_SCHEMA). */
  modelsSchema?: string;
  stateSchema?: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Default: a new one. */
  runId?: string;
  /** The models' "now" (ISO); default: the current time. */
  asOf?: string;
  /** How long to wait for another run's lock (default 0). */
  lockWaitMs?: number;
  /** The command, when the call is one entry of the run log (`run`, `sync`, `backfill`, …; not a dry run). */
  record?: string;
}

/** How the call ended: its value, or the error it ended with; the exit code either way. */
export interface SessionOutcome<T> {
  value?: T;
  error?: unknown;
  exitCode: number;
}

/** The commands a scheduler runs: their failures alert. */
const ALERTING_COMMANDS = new Set(['build', 'run', 'sync', 'backfill']);

/**
 * Runs `body` on an open session. `exitCodeOf` reads the exit code of a value (0, 7 rows failed,
 * 9 deferred, 130 interrupted); an error's is `exitCodeFor(error)`. Never throws.
 */
export async function inSession<T>(request: SessionRequest, body: (session: Session) => Promise<T>, exitCodeOf: (value: T) => number): Promise<SessionOutcome<T>> {
  const { env, log, record } = request;
  const started = Date.now();
  let session: Session | undefined;
  let outcome: SessionOutcome<T>;
  try {
    const loaded = typeof request.config === 'object' ? request.config : await loadProject(request.config);
    const project = projectFor(loaded, { modelsSchema: request.modelsSchema, stateSchema: request.stateSchema }, env);
    session = await openSession(project, { log, env, runId: request.runId ?? newRunId(), asOf: request.asOf, lockWaitMs: Math.max(0, request.lockWaitMs ?? 0) });
    const opened = session;
    if (!record) {
      const value = await body(opened);
      outcome = { value, exitCode: exitCodeOf(value) };
    } else {
      const { value, end, error } = await loggedRun(opened, record, () => body(opened), (v) => ({ exitCode: exitCodeOf(v), status: statusOf(exitCodeOf(v)) }));
      outcome = error === undefined ? { value, exitCode: end.exitCode } : { error, exitCode: reportError(log, error, env) };
      await logSummary(opened, record, outcome.exitCode, end.status, end.message, Date.now() - started);
    }
  } catch (error) {
    outcome = { error, exitCode: reportError(log, error, env) };
  }
  try {
    // The run's end, whatever it was, for `alerts:` (one alert per failing run; src/alerts).
    if (session && record && ALERTING_COMMANDS.has(record)) {
      const { alertRunEnd } = await import('../alerts/run-alert.ts');
      const reason = outcome.error === undefined ? null : outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      await alertRunEnd(session, { command: record, exitCode: outcome.exitCode, reason });
    }
  } finally {
    if (session) await closeSession(session).catch(() => undefined);
  }
  return outcome;
}

/** One event at the end of every recorded run: exit code, counts per sync, requests, duration. */
async function logSummary(session: Session, command: string, exitCode: number, status: string, message: string | undefined, ms: number): Promise<void> {
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
  // Every request of the run where a sync step counted them (the per-sync counts leave out the
  // portal check and the handoff's reads and enrolments), else the syncs' sum.
  const requests = session.requests ?? syncs.reduce((n, s) => n + Number(s.requests ?? 0), 0);
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
