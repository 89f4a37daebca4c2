import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { openDestination } from '../../connectors/registry.ts';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { parseDocument } from 'yaml';
import { loadProject, type Project } from '../config/load-project.ts';
import { syncRelation } from '../config/schema.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { appendDemoDay, DEMO_AS_OF, generateDemoData } from '../demo/generate-demo-data.ts';
import { closeSession, openSession, type Session } from '../run/session.ts';
import { buildStep, testStep } from '../run/steps.ts';
import type { Logger } from '../util/logger.ts';
import { shippedDemoConfig } from '../util/package-root.ts';
import * as pipeline from '../run/pipeline.ts';
import { printing } from './report.ts';

export interface DemoOptions {
  /** A DuckDB project of your own; by default the demo project that ships with pqlsync. */
  config?: string;
  /** Where the shipped demo keeps its DuckDB file (`.pqlsync/demo.duckdb` under it); default: the current folder. */
  cwd?: string;
  users: number;
  seed: number;
  /** Requests per 10 s of the sandbox portal (100 Free/Starter, 190 Professional). */
  tier: number;
  /** Only generate the data into the project's DuckDB file: no sandbox, no build, no sync. */
  dataOnly?: boolean;
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
  const { project, leftConfig } = options.config ? { project: await loadProject(options.config), leftConfig: undefined } : await loadShippedDemo(options.cwd ?? process.cwd());
  const warehouseConfig = project.config.warehouse;
  if (warehouseConfig.type !== 'duckdb') throw new ConfigError(`The demo runs on an embedded DuckDB warehouse; ${project.configFile} has ${warehouseConfig.type}`);
  const dbFile = path.resolve(project.root, warehouseConfig.path);
  await rm(dbFile, { force: true });
  await rm(`${dbFile}.wal`, { force: true });
  if (options.dataOnly) return generateOnly(dbFile, options);

  const sandbox = await startSandbox({ requestsPer10s: options.tier, accessToken: DEMO_TOKEN });
  const env = { ...process.env, HUBSPOT_ACCESS_TOKEN: DEMO_TOKEN, HUBSPOT_BASE_PATH: sandbox.url };
  log.info(`HubSpot sandbox listening on ${sandbox.url} (${options.tier} requests per 10 s)`, { event: 'sandbox_started', url: sandbox.url });
  const stages = new Map<string, string>();
  // The owners the handoff routes to (pqlsync.yml handoff.routing), as users of the sandbox portal.
  const owners = new Map<string, string>();
  for (const group of Object.values(project.config.handoff?.routing?.groups ?? {})) {
    for (const email of group.owners ?? []) owners.set(sandbox.seedOwner({ email }).id, email);
  }
  try {
    const day1 = await runOnce(project, env, options, sandbox, stages, owners, DEMO_AS_OF, 'Run 1: first sync', async (session) => {
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
    const day2 = await runOnce(project, env, options, sandbox, stages, owners, nextAsOf, 'Run 2: a day later, only what changed', async (session) => {
      const added = await appendDemoDay(session.warehouse as DuckDBWarehouse, { seed: options.seed, day: DEMO_AS_OF });
      log.info(`Appended a day of product data: ${added.events} events and ${added.users} new signups`, { event: 'demo_day', ...added });
    });
    const last =
      day2 !== 0 || !project.config.handoff
        ? day2
        : await runOnce(project, env, options, sandbox, stages, owners, nextAsOf, 'Run 3: the same day again, nothing changed: no task, no write (one request: which portal the token reaches)', async () => undefined);
    if (leftConfig) {
      log.info(`\nThe demo's project is ${leftConfig}: npx pqlsync status --config ${leftConfig} (or plan, evaluate --as-of ${DEMO_AS_OF.slice(0, 10)})`, {
        event: 'demo_config',
        config: leftConfig,
      });
    }
    return last;
  } finally {
    await sandbox.stop();
  }
}

/** The demo's product data, alone, in a new DuckDB file: a project of your own to run against a sandbox. */
async function generateOnly(dbFile: string, options: DemoOptions): Promise<number> {
  const warehouse = await DuckDBWarehouse.open({ path: dbFile });
  try {
    const counts = await generateDemoData(warehouse, { users: options.users, seed: options.seed });
    options.log.info(`Generated demo data (seed ${options.seed}) into ${dbFile}: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}`, {
      event: 'demo_data',
      tables: counts,
    });
  } finally {
    await warehouse.close();
  }
  return 0;
}

/**
 * The demo project that ships with pqlsync (examples/demo: its pqlsync.yml and models/, read where
 * pqlsync is installed), with its DuckDB file moved to the current folder: an installed package may
 * be read-only, and `pqlsync demo` works in an empty folder (and `npm start` in the repository's
 * root). `leftConfig`: the config it left there.
 */
async function loadShippedDemo(cwd: string): Promise<{ project: Project; leftConfig?: string }> {
  const project = await loadProject(shippedDemoConfig());
  const warehouse = project.config.warehouse;
  if (warehouse.type !== 'duckdb' || warehouse.path === ':memory:') return { project };
  warehouse.path = path.resolve(cwd, warehouse.path);
  // The demo's own folder (./.pqlsync/): pqlsync never creates a database's folder otherwise.
  await mkdir(path.dirname(warehouse.path), { recursive: true });
  if (path.resolve(cwd, 'pqlsync.yml') !== project.configFile) {
    // Anywhere but the shipped project's own folder, leave a config beside the database so that status,
    // plan and evaluate can open the demo too: the shipped pqlsync.yml with the database here and the
    // models where pqlsync is.
    const document = parseDocument(await readFile(project.configFile, 'utf8'));
    const config = path.join(path.dirname(warehouse.path), 'demo.yml');
    document.setIn(['warehouse', 'path'], path.basename(warehouse.path));
    document.setIn(['models_path'], project.modelsDir);
    await mkdir(path.dirname(config), { recursive: true });
    await writeFile(config, document.toString());
    return { project, leftConfig: path.relative(cwd, config) };
  }
  return { project };
}

async function runOnce(
  project: Project,
  env: NodeJS.ProcessEnv,
  options: DemoOptions,
  sandbox: Sandbox,
  /** Each deal's stage label after the previous run (trial id → label), to show what moved. */
  stages: Map<string, string>,
  /** Owner id → email, of the owners seeded in the sandbox. */
  owners: Map<string, string>,
  asOf: string,
  title: string,
  prepare: (session: Session) => Promise<void>,
): Promise<number> {
  const { log } = options;
  log.info(`\n== ${title} (as of ${asOf}) ==`, { event: 'demo_run', title, as_of: asOf });
  const session = await openSession(project, { log, env, asOf });
  try {
    await prepare(session);
    await buildStep(session);
    await testStep(session);
    sandbox.resetStats();
    const tasksBefore = new Set(sandbox.records('tasks').map((t) => t.id));
    const destination = await openDestination(project.config.destination, { env, log: (e) => log.log(e) });
    const { exitCode: code } = await pipeline.sync(session, { destination, signal: options.signal, ...printing(log) });
    const deals = sandbox.records('deals');
    const { requests, rateLimited } = sandbox.stats;
    const portalChecks = sandbox.stats.requestsByRoute['GET /account-info/v3/details'] ?? 0;
    log.info(
      `Sandbox portal now holds ${sandbox.records('contacts').length} contacts, ${sandbox.records('companies').length} companies and ${deals.length} deals; ` +
        `this run made ${requests} HubSpot request${requests === 1 ? '' : 's'} (${portalChecks} to read which portal the token reaches, ${rateLimited} rate-limited)`,
      { event: 'sandbox_state', contacts: sandbox.records('contacts').length, companies: sandbox.records('companies').length, deals: deals.length, requests },
    );
    showDeals(log, sandbox, stages);
    showTasks(log, sandbox, owners, tasksBefore);
    await showTopPqls(session);
    return code;
  } finally {
    await closeSession(session);
  }
}

/** Deals per stage, the deals whose stage moved since the last run, and their associations. */
function showDeals(log: Logger, sandbox: Sandbox, stages: Map<string, string>): void {
  const stageLabel = new Map(sandbox.pipelines().flatMap((p) => p.stages.map((st) => [st.id, st.label] as const)));
  const counts = new Map<string, number>();
  const moved: string[] = [];
  let associated = 0;
  for (const deal of sandbox.records('deals')) {
    const key = deal.properties.pqlsync_trial_id;
    const label = stageLabel.get(deal.properties.dealstage) ?? deal.properties.dealstage;
    counts.set(label, (counts.get(label) ?? 0) + 1);
    const before = stages.get(key);
    if (before && before !== label) moved.push(`${deal.properties.dealname}: ${before} → ${label}`);
    stages.set(key, label);
    associated += sandbox.associations('deals', deal.id).length;
  }
  if (counts.size === 0) return;
  log.info(`Deals by stage: ${[...counts].map(([label, n]) => `${label} ${n}`).join(', ')}; ${associated} deal associations (contacts and companies)`, {
    event: 'deals_by_stage',
    stages: Object.fromEntries(counts),
    associations: associated,
  });
  if (moved.length > 0) log.info(`Deals moved since the last run:\n${moved.map((m) => `  ${m}`).join('\n')}`, { event: 'deals_moved', moved });
}

/** The handoff tasks this run created, by owner, with a few of them. */
function showTasks(log: Logger, sandbox: Sandbox, owners: Map<string, string>, before: Set<string>): void {
  const all = sandbox.records('tasks');
  const created = all.filter((t) => !before.has(t.id));
  const byOwner = new Map<string, number>();
  for (const t of created) {
    const owner = owners.get(t.properties.hubspot_owner_id ?? '') ?? t.properties.hubspot_owner_id ?? 'nobody';
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + 1);
  }
  log.info(
    `Handoff: ${created.length} tasks created this run (${all.length} in all)` +
      (created.length > 0 ? `; to ${[...byOwner].map(([o, c]) => `${o} ${c}`).join(', ')}` : ''),
    { event: 'handoff_tasks', created: created.length, total: all.length, by_owner: Object.fromEntries(byOwner) },
  );
  for (const t of created.slice(0, 5)) log.info(`  ${t.properties.hs_task_priority ?? ''}, due ${t.properties.hs_timestamp ?? ''}: ${t.properties.hs_task_subject ?? ''}`);
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
  // Who, as a rep reads it: the column mapped to the contact's email (the key may be a product user id).
  const who = sync.properties.find((p) => p.property === 'email')?.column ?? sync.key;
  const pick = [...new Set([sync.key, who, score, tier, reasons])].filter((c): c is string => Boolean(c)).map((c) => `c.${d.quote(c)}`);
  // The stage of the contact's trial deal: the deals sync that associates its deals with these contacts.
  const deals = session.project.config.syncs.find((x) => x.object === 'deals' && x.associations?.some((a) => a.to === sync.name));
  const byContact = deals?.associations?.find((a) => a.to === sync.name)?.column;
  const stageColumn = deals?.properties.find((p) => p.property === 'dealstage')?.column;
  const join =
    deals && byContact && stageColumn
      ? `left join (select ${d.quote(byContact)} as contact_key, max(${d.quote(stageColumn)}) as deal_stage
           from ${d.table(syncRelation(deals, session.project.config.schema))} group by ${d.quote(byContact)}) t on t.contact_key = c.${d.quote(sync.key)}`
      : '';
  const rows = await session.warehouse.query(
    `select ${pick.join(', ')}${join ? ', t.deal_stage' : ''} from ${d.table(syncRelation(sync, session.project.config.schema))} c ${join}
     order by c.${d.quote(score)} desc, c.${d.quote(sync.key)} limit 10`,
  );
  session.log.info('Top PQLs (score, tier, trial deal stage, email, reasons):', { event: 'top_pqls', rows });
  if (session.log.json) return;
  for (const r of rows) {
    session.log.info(
      `  ${String(r[score]).padStart(3)}  ${String(tier ? r[tier] : '').padEnd(11)} ${String(r.deal_stage ?? '(no trial)').padEnd(20)} ${String(r[who]).padEnd(34)} ${reasons ? r[reasons] ?? '' : ''}`,
    );
  }
}
