/**
 * The fault-injection harness: the shipped project on generated demo data, built once into
 * a template DuckDB file; each scenario syncs a copy of it into a sandbox of its own (with
 * faults), and is compared with a clean run, record by record.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { createHubSpotDestination, type HubSpotDestination, type HubSpotDestinationOptions } from '../../connectors/hubspot/hubspot.destination.ts';
import { startSandbox, type FaultRule, type Sandbox, type SandboxOptions } from '../../connectors/hubspot/sandbox/index.ts';
import type { Row } from '../../connectors/warehouse.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.ts';
import { parseProject } from '../../src/config/load-project.ts';
import type { SyncConfig } from '../../src/config/schema.ts';
import { DEMO_AS_OF } from '../../src/demo/generate-demo-data.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { syncStep, type SyncStepResult } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { buildDemoTemplate, memoryLogger, withoutSignificance, type DemoTemplate } from './project.ts';

export const FAULTS_TOKEN = 'pat-na1-faults-9f3c2e7a-secret-token';
export const OBJECTS = ['contacts', 'companies', 'deals'] as const;
export type ObjectName = (typeof OBJECTS)[number];

/**
 * object → normalised key → the properties pqlsync writes that HubSpot holds (and the record
 * id); `associations`: every association between held records, as
 * `contacts:a@x.io>companies:x.io#279,1` (keys, not ids, so two runs compare).
 */
export type Held = Record<ObjectName, Map<string, { id: string; properties: Record<string, string> }>> & { associations: Set<string> };

/** The shipped project on demo data without significance rules, built once; scenarios copy its file. */
export type Template = DemoTemplate;

/** Generates demo data, builds and tests the shipped models once, and closes the file. */
export async function buildTemplate(options: { users: number; seed: number }): Promise<Template> {
  // Delivery scenarios compare every record with the model after each change: nothing held back.
  return buildDemoTemplate({ ...options, edit: withoutSignificance });
}

export interface ScenarioOptions {
  sandbox?: Omit<SandboxOptions, 'accessToken'>;
  /** Options of the destination the library runs use (the CLI uses its defaults). */
  destination?: Partial<HubSpotDestinationOptions>;
  /** Put a proxy in front of the sandbox that strips objectWriteTraceId from batch inputs. */
  stripTraceIds?: boolean;
  /** Changes the built models before anything runs (bad rows, a broken model). */
  prepare?: (w: DuckDBWarehouse) => Promise<unknown>;
  /** Changes the project's config (pqlsync.yml) of this scenario. */
  editConfig?: (config: Record<string, any>) => void;
}

export interface SyncOutcome {
  code: number;
  error?: unknown;
  results: SyncStepResult[];
  /** Requests the sandbox received during the run. */
  requests: number;
  destination: HubSpotDestination;
}

export interface Scenario {
  dir: string;
  config: string;
  db: string;
  sandbox: Sandbox;
  /** Where the destination sends (the sandbox, or the proxy in front of it). */
  url: string;
  env: NodeJS.ProcessEnv;
  syncs: SyncConfig[];
  /** One `sync` through the library (as the CLI does it), with a test-tuned destination; never throws. */
  sync(options?: { force?: boolean; destination?: Partial<HubSpotDestinationOptions>; pageSize?: number; checkpointEvery?: number; select?: string[] }): Promise<SyncOutcome>;
  /** The CLI in-process: --config, --json, --as-of added. */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string; events: any[] }>;
  sql<T>(fn: (w: DuckDBWarehouse) => Promise<T>): Promise<T>;
  held(): Held;
  stateRows(): Promise<Row[]>;
  rowErrors(): Promise<Row[]>;
  /** Association state (none before a sync with associations ran). */
  associationRows(): Promise<Row[]>;
  close(): Promise<void>;
}

let scenarioCounter = 0;

export async function openScenario(template: Template, options: ScenarioOptions = {}): Promise<Scenario> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-faults-'));
  const db = path.join(dir, 'warehouse.duckdb');
  await copyFile(template.db, db);
  const configObject = { ...structuredClone(template.config), warehouse: { ...template.config.warehouse, path: db } };
  options.editConfig?.(configObject);
  const config = path.join(dir, 'pqlsync.yml');
  const text = JSON.stringify(configObject, null, 2);
  await writeFile(config, text);
  const project = parseProject(text, config);
  const sql = async <T>(fn: (w: DuckDBWarehouse) => Promise<T>): Promise<T> => {
    const w = await DuckDBWarehouse.open({ path: db });
    try {
      return await fn(w);
    } finally {
      await w.close();
    }
  };
  if (options.prepare) await sql(options.prepare);

  // A real portal's search index lags fresh writes, and it creates companies from contacts' email domains.
  const sandbox = await startSandbox({ requestsPer10s: 100, windowMs: 500, searchLagMs: 2_000, autoCreateCompanies: true, ...options.sandbox, accessToken: FAULTS_TOKEN });
  const proxy = options.stripTraceIds ? await startTraceIdStripper(sandbox.url) : null;
  const url = proxy?.url ?? sandbox.url;
  const env = { HUBSPOT_ACCESS_TOKEN: FAULTS_TOKEN, HUBSPOT_BASE_PATH: url };
  const id = ++scenarioCounter;

  return {
    dir,
    config,
    db,
    sandbox,
    url,
    env,
    syncs: project.config.syncs,
    async sync(o = {}) {
      const log = createLogger({ json: true, secrets: [FAULTS_TOKEN], out: memoryLogger().sink, err: memoryLogger().sink });
      const session = await openSession(project, { log, asOf: DEMO_AS_OF, env: {}, runId: `faults-${id}-${Date.now()}` });
      const destination = await createHubSpotDestination({
        accessToken: FAULTS_TOKEN,
        basePath: url,
        groupName: project.config.destination.property_group.name,
        groupLabel: project.config.destination.property_group.label,
        requestsPer10s: options.sandbox?.requestsPer10s ?? 100,
        requestsPerDay: 250_000,
        timeoutMs: 2_000,
        retry: { baseDelayMs: 20, maxDelayMs: 250, lockedWaitMs: 50 },
        ...options.destination,
        ...o.destination,
      });
      const before = sandbox.stats.requests;
      const results: SyncStepResult[] = [];
      try {
        const syncs = o.select ? project.config.syncs.filter((x) => o.select!.includes(x.name)) : project.config.syncs;
        await syncStep(session, destination, syncs, { force: o.force, pageSize: o.pageSize, checkpointEvery: o.checkpointEvery, onSyncDone: (r) => results.push(r) });
        const failed = results.reduce((n, r) => n + r.failed, 0);
        const deferred = results.reduce((n, r) => n + r.deferred, 0);
        return { code: deferred > 0 ? EXIT.deferred : failed > 0 ? EXIT.rowsFailed : EXIT.ok, results, requests: sandbox.stats.requests - before, destination };
      } catch (error) {
        return { code: exitCodeFor(error), error, results, requests: sandbox.stats.requests - before, destination };
      } finally {
        await closeSession(session);
      }
    },
    async cli(args, cliEnv = env) {
      const out = memoryLogger();
      const err = memoryLogger();
      const code = await runCli([...args, '--config', config, '--json', '--as-of', DEMO_AS_OF], { env: cliEnv, out: out.sink, err: err.sink });
      const outText = out.lines.join('');
      const events = outText
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      return { code, out: outText, err: err.lines.join(''), events };
    },
    sql,
    held: () => heldRecords(sandbox, keyPropertiesOf(configObject)),
    stateRows: () => sql((w) => w.query('select * from pqlsync.sync_state order by sync_name, record_key')),
    rowErrors: () => sql((w) => w.query('select * from pqlsync.row_errors order by sync_name, record_key')),
    associationRows: () => sql(async (w) => ((await w.describe({ schema: 'pqlsync', name: 'association_state' })) ? w.query('select * from pqlsync.association_state') : [])),
    async close() {
      await proxy?.stop();
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A scenario on a template of its own, which its close removes. */
export type OwnScenario = Scenario & { template: Template };

/** For a test file with one scenario: builds a template of its own and opens the scenario on it. */
export async function openOwnScenario(data: { users: number; seed: number }, options: ScenarioOptions = {}): Promise<OwnScenario> {
  const template = await buildTemplate(data);
  try {
    const scenario = await openScenario(template, options);
    return {
      ...scenario,
      template,
      async close() {
        await scenario.close();
        await template.cleanup();
      },
    };
  } catch (error) {
    await template.cleanup();
    throw error;
  }
}

/**
 * Gives the contacts sync's pql_score a min_change again (templates are built without
 * significance), which makes it a score: a move smaller than that is held back, and under a
 * tight daily budget a score move ranks between new PQLs and counters.
 */
export function withScoreMinChange(minChange: number): NonNullable<ScenarioOptions['editConfig']> {
  return (config) => {
    const contacts = config.syncs.find((x: { name: string }) => x.name === 'contacts');
    contacts.properties.find((p: { column: string }) => p.column === 'pql_score').min_change = minChange;
  };
}

const normaliseKey = (object: ObjectName, value: string) =>
  object === 'contacts' ? value.toLowerCase() : object === 'companies' ? value.toLowerCase().replace(/^www\./, '') : value;
const KEY_PROPERTY: Record<ObjectName, string> = { contacts: 'email', companies: 'domain', deals: 'pqlsync_trial_id' };

/** The property holding each object's sync key: contacts keyed by a product key hold it in their identity property. */
function keyPropertiesOf(config: Record<string, any>): Record<ObjectName, string> {
  const contacts = config.syncs.find((s: { name: string }) => s.name === 'contacts');
  return { ...KEY_PROPERTY, ...(contacts?.identity_property ? { contacts: contacts.identity_property } : {}) };
}
/** HubSpot's own deal properties pqlsync writes (besides its pqlsync_ ones). */
const DEAL_PROPERTIES = new Set(['dealname', 'dealstage', 'pipeline', 'amount', 'closedate']);

/**
 * What the sandbox holds, per object and normalised key, and the associations between those
 * records. Throws on a key held twice: a duplicate contact, company or deal is the one thing a
 * retry must never cause.
 */
export function heldRecords(sandbox: Sandbox, keyProperty: Record<ObjectName, string> = KEY_PROPERTY): Held {
  const held = { contacts: new Map(), companies: new Map(), deals: new Map(), associations: new Set<string>() } as Held;
  const keyOf = new Map<string, string>();
  for (const object of OBJECTS) {
    for (const record of sandbox.records(object)) {
      const key = keyProperty[object] === KEY_PROPERTY[object] ? normaliseKey(object, record.properties[keyProperty[object]] ?? '') : (record.properties[keyProperty[object]] ?? '');
      if (held[object].has(key)) throw new Error(`duplicate ${object} record for ${key}: ids ${held[object].get(key)!.id} and ${record.id}`);
      const properties = Object.fromEntries(Object.entries(record.properties).filter(([name]) => name.startsWith('pqlsync_') || (object === 'deals' && DEAL_PROPERTIES.has(name))));
      held[object].set(key, { id: record.id, properties });
      keyOf.set(`${object}:${record.id}`, `${object}:${key}`);
    }
  }
  for (const from of ['contacts', 'deals'] as const) {
    for (const { id } of held[from].values()) {
      for (const a of sandbox.associations(from, id)) {
        if (from === 'contacts' && a.toObjectType === 'deals') continue;
        const target = keyOf.get(`${a.toObjectType}:${a.toObjectId}`);
        held.associations.add(`${keyOf.get(`${from}:${id}`)}>${target ?? `${a.toObjectType}:id ${a.toObjectId}`}#${a.types.map((t) => t.associationTypeId).sort((x, y) => x - y).join(',')}`);
      }
    }
  }
  return held;
}

export interface InvalidRow {
  object: ObjectName;
  key: string;
  /** The HubSpot property at fault. */
  property: string;
  /** The category recorded (e.g. INVALID_OPTION), or a pattern. */
  category: string | RegExp;
}

export interface Comparison {
  /** Problems found; empty when the scenario matches the clean run. */
  problems: string[];
  delivered: Record<ObjectName | 'associations', number>;
}

/**
 * Compares a scenario with the clean run: every valid row identical; every invalid row
 * absent from HubSpot's pqlsync values and present in row_errors with its property and
 * reason; every sync_state key held by HubSpot (same record id) with the clean values.
 */
export async function compareWithClean(
  clean: Held,
  scenario: Scenario,
  invalid: InvalidRow[] = [],
  options: {
    /** false: the run did not finish; only check that what is held and claimed is right. */
    complete?: boolean;
    /** Keys of the clean run that are no longer in the model (not expected anywhere). */
    gone?: Array<{ object: ObjectName; key: string }>;
  } = {},
): Promise<Comparison> {
  const problems: string[] = [];
  let held: Held;
  try {
    held = scenario.held();
  } catch (error) {
    return { problems: [(error as Error).message], delivered: { contacts: 0, companies: 0, deals: 0, associations: 0 } };
  }
  const bad = new Set([...invalid, ...(options.gone ?? [])].map((r) => `${r.object}:${r.key}`));
  const complete = options.complete ?? true;
  for (const object of OBJECTS) {
    for (const [key, want] of clean[object]) {
      if (bad.has(`${object}:${key}`)) continue;
      const got = held[object].get(key);
      if (!got) {
        if (complete) problems.push(`${object} ${key}: missing in HubSpot`);
        continue;
      }
      const diff = diffProperties(want.properties, got.properties);
      if (diff && complete) problems.push(`${object} ${key}: ${diff}`);
    }
    for (const key of held[object].keys()) {
      if (!clean[object].has(key) && !bad.has(`${object}:${key}`)) problems.push(`${object} ${key}: held but not in the clean run`);
    }
  }
  if (complete) {
    const involves = (entry: string) => [...bad].some((b) => entry.includes(`${b}>`) || entry.includes(`>${b}#`));
    for (const entry of clean.associations) if (!held.associations.has(entry) && !involves(entry)) problems.push(`association ${entry}: missing in HubSpot`);
  }
  for (const entry of held.associations) if (!clean.associations.has(entry)) problems.push(`association ${entry}: held but not in the clean run`);
  const syncObject = new Map(scenario.syncs.map((s) => [s.name, s.object as ObjectName]));
  for (const row of await scenario.stateRows()) {
    const object = syncObject.get(String(row.sync_name))!;
    const key = String(row.record_key);
    const got = held[object].get(key);
    if (!got) {
      problems.push(`state claims ${object} ${key}, which HubSpot does not hold`);
      continue;
    }
    if (String(row.record_id) !== got.id) problems.push(`state has record id ${row.record_id} for ${object} ${key}; HubSpot holds ${got.id}`);
    const diff = diffProperties(clean[object].get(key)?.properties ?? {}, got.properties);
    if (diff) problems.push(`state claims ${object} ${key} delivered, but HubSpot holds other values: ${diff}`);
  }
  // Association state never claims a pair HubSpot does not hold.
  const keyed = (sync: string, key: string) => `${syncObject.get(sync)}:${key}`;
  for (const row of await scenario.associationRows()) {
    const prefix = `${keyed(String(row.sync_name), String(row.from_key))}>${keyed(String(row.to_sync), String(row.to_key))}#`;
    if (![...held.associations].some((entry) => entry.startsWith(prefix))) problems.push(`association state claims ${prefix.slice(0, -1)}, which HubSpot does not hold`);
  }
  const errors = await scenario.rowErrors();
  for (const r of invalid) {
    const sync = scenario.syncs.find((s) => s.object === r.object)!;
    const e = errors.find((row) => row.sync_name === sync.name && row.record_key === r.key);
    if (!e) {
      problems.push(`invalid ${r.object} ${r.key}: not in row_errors`);
      continue;
    }
    if (e.property !== r.property) problems.push(`invalid ${r.object} ${r.key}: row_errors names property ${e.property}, expected ${r.property}`);
    const categoryOk = typeof r.category === 'string' ? e.category === r.category : r.category.test(String(e.category));
    if (!categoryOk) problems.push(`invalid ${r.object} ${r.key}: category ${e.category}, expected ${r.category}`);
    if (!e.message) problems.push(`invalid ${r.object} ${r.key}: no reason in row_errors`);
    if (held[r.object].get(r.key)?.properties && Object.keys(held[r.object].get(r.key)!.properties).length > 0) {
      problems.push(`invalid ${r.object} ${r.key}: HubSpot holds pqlsync values for it`);
    }
  }
  if (complete) {
    for (const e of errors) {
      if (!invalid.some((r) => r.key === e.record_key)) problems.push(`row_errors holds ${e.sync_name} ${e.record_key} (${e.category}: ${e.message}), a valid row`);
    }
  }
  return { problems, delivered: { contacts: held.contacts.size, companies: held.companies.size, deals: held.deals.size, associations: held.associations.size } };
}

function diffProperties(want: Record<string, string>, got: Record<string, string>): string | null {
  const names = new Set([...Object.keys(want), ...Object.keys(got)]);
  const differing = [...names].filter((n) => (want[n] ?? '') !== (got[n] ?? ''));
  return differing.length === 0 ? null : differing.map((n) => `${n} ${JSON.stringify(got[n] ?? '')} ≠ clean ${JSON.stringify(want[n] ?? '')}`).join('; ');
}

/**
 * A proxy in front of the sandbox that removes `objectWriteTraceId` from batch write inputs:
 * a HubSpot that ignores trace ids (reported second-hand for upsert) rejects a whole batch
 * with a 400 for one bad record and does not say which.
 */
async function startTraceIdStripper(target: string): Promise<{ url: string; stop(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (/\/batch\/(upsert|create|update)$/.test(req.url ?? '') && body.length > 0) {
        const parsed = JSON.parse(body.toString('utf8')) as { inputs?: Array<Record<string, unknown>> };
        for (const input of parsed.inputs ?? []) delete input.objectWriteTraceId;
        body = Buffer.from(JSON.stringify(parsed));
      }
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
      const forward = http.request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * About 10 % of requests failing in random ways (seeded): every kind of transient fault,
 * independently drawn per request. Rules are drawn one after another and the first that
 * fires wins, so the share failing is 1 − Π(1 − pᵢ) ≈ 10 %.
 */
export const FAULT_MIX: FaultRule[] = [
  { fault: { type: 'status', status: 429 }, probability: 0.015 },
  { fault: { type: 'status', status: 429, retryAfterSeconds: 1 }, probability: 0.005 },
  { fault: { type: 'status', status: 500 }, probability: 0.015 },
  { fault: { type: 'status', status: 502, htmlBody: true }, probability: 0.015 },
  { fault: { type: 'status', status: 503 }, probability: 0.01 },
  { fault: { type: 'status', status: 504, emptyBody: true }, probability: 0.01 },
  { fault: { type: 'status', status: 423 }, probability: 0.005 },
  { fault: { type: 'reset' }, probability: 0.01 },
  { fault: { type: 'lost-response' }, probability: 0.01 },
  { fault: { type: 'slow', delayMs: 1_000 }, probability: 0.005 },
];
