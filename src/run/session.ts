import { randomBytes } from 'node:crypto';
import { openWarehouse } from '../../connectors/registry.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import type { Project } from '../config/load-project.ts';
import { StateStore } from '../state/state-store.ts';
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
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export async function openSession(
  project: Project,
  options: { log: Logger; env?: NodeJS.ProcessEnv; asOf?: string; runId?: string },
): Promise<Session> {
  const env = options.env ?? process.env;
  const warehouse = await openWarehouse(project.config.warehouse, { projectRoot: project.root, env });
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
  };
}

export async function closeSession(session: Session): Promise<void> {
  await session.warehouse.close();
}
