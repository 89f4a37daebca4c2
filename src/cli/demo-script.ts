import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { openDestination } from '../../connectors/registry.ts';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { loadProject } from '../config/load-project.ts';
import { appendDemoDay, DEMO_AS_OF, generateDemoData } from '../demo/generate-demo-data.ts';
import { closeSession, openSession, type Session } from '../run/session.ts';
import { buildStep, testStep } from '../run/steps.ts';
import type { Logger } from '../util/logger.ts';
import { deliver } from './deliver.ts';
import { reportBuild } from './report.ts';

export interface DemoOptions {
  config: string;
  users: number;
  seed: number;
  /** Requests per 10 s of the sandbox portal (100 Free/Starter, 190 Professional). */
  tier: number;
  log: Logger;
  signal?: AbortSignal;
}

const DEMO_TOKEN = 'pat-demo-sandbox-token';
const DAY_MS = 86_400_000;

/**
 * The demo, end to end on this machine: generate product data into DuckDB, start the
 * local HubSpot sandbox, build + test + sync, show the top PQLs; then append a day of
 * events and run again to show that only the changed rows are sent.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { log } = options;
  const project = await loadProject(options.config);
  const warehouseConfig = project.config.warehouse;
  if (warehouseConfig.type !== 'duckdb') throw new Error('The demo runs on the embedded DuckDB warehouse of pqlsync.yml');
  const dbFile = path.resolve(project.root, warehouseConfig.path);
  await rm(dbFile, { force: true });
  await rm(`${dbFile}.wal`, { force: true });

  const sandbox = await startSandbox({ requestsPer10s: options.tier, accessToken: DEMO_TOKEN });
  const env = { ...process.env, HUBSPOT_ACCESS_TOKEN: DEMO_TOKEN, HUBSPOT_BASE_PATH: sandbox.url };
  log.info(`HubSpot sandbox listening on ${sandbox.url} (${options.tier} requests per 10 s)`, { event: 'sandbox_started', url: sandbox.url });
  try {
    const day1 = await runOnce(project, env, options, sandbox, DEMO_AS_OF, 'Run 1: first sync', async (session) => {
      const started = Date.now();
      const counts = await generateDemoData(session.warehouse as DuckDBWarehouse, { users: options.users, seed: options.seed });
      log.info(
        `Generated demo data (seed ${options.seed}) in ${Date.now() - started} ms: ` +
          Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', '),
        { event: 'demo_data', tables: counts },
      );
    });
    if (day1 !== 0) return day1;
    const nextAsOf = new Date(new Date(DEMO_AS_OF).getTime() + DAY_MS).toISOString();
    return await runOnce(project, env, options, sandbox, nextAsOf, 'Run 2: a day later, only what changed', async (session) => {
      const added = await appendDemoDay(session.warehouse as DuckDBWarehouse, { seed: options.seed, day: DEMO_AS_OF });
      log.info(`Appended a day of product data: ${added.events} events and ${added.users} new signups`, { event: 'demo_day', ...added });
    });
  } finally {
    await sandbox.stop();
  }
}

async function runOnce(
  project: Awaited<ReturnType<typeof loadProject>>,
  env: NodeJS.ProcessEnv,
  options: DemoOptions,
  sandbox: Sandbox,
  asOf: string,
  title: string,
  prepare: (session: Session) => Promise<void>,
): Promise<number> {
  const { log } = options;
  log.info(`\n== ${title} (as of ${asOf}) ==`, { event: 'demo_run', title, as_of: asOf });
  const session = await openSession(project, { log, env, asOf });
  try {
    await prepare(session);
    const started = Date.now();
    const built = await buildStep(session);
    reportBuild(log, built, Date.now() - started);
    await testStep(session);
    sandbox.resetStats();
    const destination = await openDestination(project.config.destination, { env, log: (e) => log.log(e) });
    const { code } = await deliver(session, project.config.syncs, { destination, signal: options.signal });
    log.info(
      `Sandbox portal now holds ${sandbox.records('contacts').length} contacts and ${sandbox.records('companies').length} companies; ` +
        `this run made ${sandbox.stats.requests} HubSpot requests (${sandbox.stats.rateLimited} rate-limited)`,
      { event: 'sandbox_state', contacts: sandbox.records('contacts').length, companies: sandbox.records('companies').length, requests: sandbox.stats.requests },
    );
    await showTopPqls(session);
    return code;
  } finally {
    await closeSession(session);
  }
}

async function showTopPqls(session: Session): Promise<void> {
  const sync = session.project.config.syncs.find((s) => s.object === 'contacts');
  if (!sync) return;
  const d = session.warehouse.dialect;
  const columns = new Set(sync.properties.map((p) => p.column));
  const score = ['pql_score', 'score'].find((c) => columns.has(c));
  const tier = sync.guardrails.tier_column;
  const reasons = ['pql_reasons', 'reasons'].find((c) => columns.has(c));
  if (!score) return;
  const pick = [sync.key, score, tier, reasons].filter((c): c is string => Boolean(c)).map((c) => d.quote(c));
  const rows = await session.warehouse.query(
    `select ${pick.join(', ')} from ${d.table({ schema: session.project.config.schema, name: sync.model })}
     order by ${d.quote(score)} desc, ${d.quote(sync.key)} limit 10`,
  );
  session.log.info('Top PQLs:', { event: 'top_pqls', rows });
  if (session.log.json) return;
  for (const r of rows) {
    session.log.info(
      `  ${String(r[score]).padStart(3)}  ${String(tier ? r[tier] : '').padEnd(11)} ${String(r[sync.key]).padEnd(34)} ${reasons ? r[reasons] ?? '' : ''}`,
    );
  }
}
