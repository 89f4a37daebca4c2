import { newRunId } from '../util/run-id.ts';
import { openWarehouse } from '../../connectors/registry.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import type { Project } from '../config/load-project.ts';
import { StateStore } from '../state/state-store.ts';
import { LockHeldError } from '../../contracts/errors.ts';
import type { Logger } from '../util/logger.ts';

/** One run of pqlsync against one project: its warehouse, state and pinned time. */
export interface Session {
  project: Project;
  warehouse: Warehouse;
  state: StateStore;
  runId: string;
  /** The pinned "now" of every model (`--as-of`), ISO. */
  asOf: string;
  log: Logger;
  env: NodeJS.ProcessEnv;
  /** How long to wait for another run's lock before giving up with LockHeldError (0: not at all). */
  lockWaitMs: number;
  /** The destination account (HubSpot portal) this run writes to, once a sync has read it. */
  accountId?: string;
  /** HubSpot requests this run made, once a sync step ran: all of them, the portal check and the handoff's included. */
  requests?: number;
}

export async function openSession(
  project: Project,
  options: { log: Logger; env?: NodeJS.ProcessEnv; asOf?: string; runId?: string; lockWaitMs?: number },
): Promise<Session> {
  const env = options.env ?? process.env;
  const lockWaitMs = options.lockWaitMs ?? 0;
  // An embedded warehouse file is locked by the process that has it open: with a wait, queue for it.
  const warehouse = await waitForLock(lockWaitMs, options.log, () => openWarehouse(project.config.warehouse, { projectRoot: project.root, env }));
  const state = new StateStore(warehouse, project.config.state_schema);
  await state.ensureTables();
  return {
    project,
    warehouse,
    state,
    runId: options.runId ?? newRunId(),
    asOf: options.asOf ? new Date(options.asOf).toISOString() : new Date().toISOString(),
    log: options.log,
    env,
    lockWaitMs,
  };
}

/**
 * Runs `attempt` until it does not throw LockHeldError or `waitMs` has passed (then the
 * last LockHeldError is thrown). Polls every 1–2 s, jittered so two waiters do not collide.
 */
export async function waitForLock<T>(waitMs: number, log: Logger, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof LockHeldError) || Date.now() >= deadline) throw error;
      if (!told) log.info(`waiting up to ${Math.round(waitMs / 1000)} s for the lock: ${error.message}`, { event: 'lock_wait' });
      told = true;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 + Math.random() * 1000, Math.max(0, deadline - Date.now()))));
    }
  }
}

export async function closeSession(session: Session): Promise<void> {
  await session.warehouse.close();
}
