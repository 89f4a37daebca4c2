import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { parseProject, type Project } from '../../src/config/load-project.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { buildStep, testStep } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { shippedDemoConfig, shippedDemoDir } from '../../src/util/package-root.ts';
import { testSchema } from '../warehouse/postgres-env.ts';

/** The repository's root (bin/, src/, connectors/). */
export const REPO = path.resolve(import.meta.dirname, '../..');
/** The demo project that ships with pqlsync (examples/demo): its folder, pqlsync.yml and models/. */
export const DEMO_DIR = shippedDemoDir();
export const DEMO_CONFIG = shippedDemoConfig();
export const DEMO_MODELS = path.join(DEMO_DIR, 'models');

/** The views the handoff writes for its syncs (src/state/handoff-state.ts). */
const HANDOFF_MODELS = ['handoff_tasks', 'handoff_owners', 'handoff_contacts'];

/**
 * The shipped demo project (examples/demo: pqlsync.yml + models/) with its DuckDB file moved to a fresh
 * temp folder, so each test has a warehouse of its own. `edit` may change the config.
 */
export async function shippedProject(
  edit?: (config: Record<string, any>) => void,
  options: { handoff?: boolean } = {},
): Promise<{ project: Project; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-test-'));
  const text = await readFile(DEMO_CONFIG, 'utf8');
  const config = parseDocument(text).toJS() as Record<string, any>;
  // The handoff (owners routed to the portal's users, tasks) runs only in the tests that ask for it
  // and seed the owners it names.
  if (!options.handoff) {
    delete config.handoff;
    config.syncs = config.syncs.filter((s: { model: string }) => !HANDOFF_MODELS.includes(s.model));
  }
  config.warehouse = { ...config.warehouse, path: path.join(dir, 'warehouse.duckdb') };
  config.models_path = path.resolve(DEMO_DIR, config.models_path ?? 'models');
  edit?.(config);
  const text2 = JSON.stringify(config, null, 2);
  await writeFile(path.join(dir, 'pqlsync.yml'), text2);
  const project = parseProject(text2, path.join(dir, 'pqlsync.yml'));
  return { project, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The shipped project built once on generated demo data, for tests to copy. */
export interface DemoTemplate {
  dir: string;
  /** The built DuckDB file; copied, never opened, by tests. */
  db: string;
  /** pqlsync.yml as an object, after `edit`. */
  config: Record<string, any>;
  project: Project;
  cleanup(): Promise<void>;
}

/**
 * Generates demo data into the shipped project (see shippedProject; `edit` and `handoff` as
 * there), builds the models and, unless `modelTests` is false, runs their tests; closes the file.
 */
export async function buildDemoTemplate(options: {
  users: number;
  seed: number;
  edit?: (config: Record<string, any>) => void;
  handoff?: boolean;
  modelTests?: boolean;
}): Promise<DemoTemplate> {
  let config: Record<string, any> = {};
  const shipped = await shippedProject(
    (c) => {
      options.edit?.(c);
      config = c;
    },
    { handoff: options.handoff },
  );
  const log = createLogger({ json: true, secrets: [], out: memoryLogger().sink, err: memoryLogger().sink });
  const session = await openSession(shipped.project, { log, asOf: DEMO_AS_OF, env: {} });
  try {
    await generateDemoData(session.warehouse as DuckDBWarehouse, { users: options.users, seed: options.seed });
    await buildStep(session);
    if (options.modelTests !== false) await testStep(session);
  } finally {
    await closeSession(session);
  }
  return { dir: shipped.dir, db: config.warehouse.path, config, project: shipped.project, cleanup: shipped.cleanup };
}

/**
 * Takes the significance rules (docs/change-control.md) out of a config: for tests that compare
 * every HubSpot record with the model after a change, which significance holds back by design.
 */
export function withoutSignificance(config: Record<string, any>): void {
  for (const sync of config.syncs) for (const p of sync.properties) for (const k of ['min_change', 'buckets', 'granularity', 'send_alone']) delete p[k];
}

/**
 * Keys the contacts sync by email, as every project was before the product key: no identity
 * property, email as the key rather than a mapped property. deal_sync names its contact by user
 * id only now, so the deal → contact association (through email) is left out rather than imitated.
 */
export function contactsKeyedByEmail(config: Record<string, any>): void {
  const contacts = config.syncs.find((x: { name: string }) => x.name === 'contacts');
  contacts.key = 'email';
  delete contacts.identity_property;
  contacts.properties = contacts.properties.filter((p: { property: string }) => p.property !== 'email');
  const deals = config.syncs.find((x: { name: string }) => x.name === 'deals');
  deals.associations = deals.associations.filter((a: { to: string }) => a.to !== 'contacts');
}

/**
 * Points a shipped config at the test PostgreSQL (PQLSYNC_POSTGRES_URL): models and state in
 * schemas of this test's own (`<prefix>_models…`, `<prefix>_state…`), sources read from the raw
 * schema whose name it returns (copyDemoRawTables fills it).
 */
export function onTestPostgres(config: Record<string, any>, prefix: string): string {
  const raw = testSchema(`${prefix}_raw`);
  config.warehouse = { type: 'postgres' };
  config.schema = testSchema(`${prefix}_models`);
  config.state_schema = testSchema(`${prefix}_state`);
  config.sources = Object.fromEntries(Object.entries(config.sources).map(([k, v]) => [k, `${raw}.${String(v).split('.')[1]}`]));
  return raw;
}

/**
 * Drops schemas a test made (as onTestPostgres names them), if they exist; never throws, for
 * `finally` and `afterAll` (nothing to drop when the warehouse never opened).
 */
export async function dropSchemas(pg: Warehouse | undefined, schemas: string[]): Promise<void> {
  for (const schema of schemas) await pg?.execute(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
}

/** A logger that keeps JSON events in memory, for assertions. */
export function memoryLogger() {
  const lines: string[] = [];
  const sink = { write: (chunk: string) => (lines.push(chunk), true) } as unknown as NodeJS.WritableStream;
  return { lines, sink, events: () => lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l)) };
}

/**
 * Requests a sandbox received other than the read of which portal the token reaches (one per
 * run, even when nothing is sent): what "no request" means in a scenario about sending.
 */
export function crmRequests(sandbox: { stats: { requests: number; requestsByRoute: Record<string, number> } }): number {
  return sandbox.stats.requests - (sandbox.stats.requestsByRoute['GET /account-info/v3/details'] ?? 0);
}
