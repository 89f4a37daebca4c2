/**
 * Change control on the demo project at N users (docs/change-control.md), the CLI in processes of
 * its own against the local sandbox:
 *  1. the first run, with the shipped pqlsync.yml (significance on the counters);
 *  2. one more day of events, then the models are built and the day is planned twice: with the
 *     significance rules stripped (what every change would send) and as shipped;
 *  3. the daily sync as shipped: its share of contacts, and every tier, hot trigger and lead stage
 *     change of the day checked in HubSpot (against the plan without significance);
 *  4. a broken model (warm_min typed 3 instead of 30) planned: the guardrail's default stops it;
 *  5. the daily run rolled back (contacts): records per second against the sync's;
 *  6. the history's storage: rows and bytes (copied into a DuckDB file of its own).
 *
 * npx tsx bench/change-control.ts --users 1000000 [--window-ms 200] [--out bench/change-control.json]
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { DuckDBWarehouse } from '../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox } from '../connectors/hubspot/sandbox/index.ts';
import { loadProject } from '../src/config/load-project.ts';
import { appendDemoDay, DEMO_AS_OF, generateDemoData } from '../src/demo/generate-demo-data.ts';
import { RUN_VALUES } from '../src/state/run-history-values.ts';
import { syncTable } from '../src/state/run-tables.ts';
import { significantChange } from '../src/state/significance.ts';
import { StateStore } from '../src/state/state-store.ts';
import { shippedDemoConfig } from '../src/util/package-root.ts';

/** The contacts sync's delivered snapshot and the run history, named by the state layer (the demo's state schema is pqlsync). */
const DELIVERED = `pqlsync.${syncTable('pqlsync', 'delivered', 'contacts').name}`;
const HISTORY = `pqlsync.${RUN_VALUES}`;

const HERE = import.meta.dirname;
const TOKEN = 'pat-bench-change-control';
/** Columns of the contacts sync whose every change must land the day it happens. */
const MUST_LAND = ['pql_tier', 'hot_trigger', 'lead_stage'] as const;

interface CliRun {
  code: number;
  ms: number;
  events: Array<Record<string, any>>;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const users = Number(arg('users', '100000'));
  const windowMs = Number(arg('window-ms', '200'));
  const out = arg('out', '');
  const log = (m: string) => console.log(`[${new Date().toISOString()}] ${m}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), `pqlsync-bench-change-${users}-`));
  const result: Record<string, any> = { users, windowMs, started: new Date().toISOString() };
  try {
    const shipped = await loadProject(shippedDemoConfig());
    const models = path.join(dir, 'models');
    await cp(shipped.modelsDir, models, { recursive: true });
    const db = path.join(dir, 'demo.duckdb');
    const document = parseDocument(await readFile(shipped.configFile, 'utf8'));
    document.setIn(['warehouse', 'path'], db);
    document.setIn(['models_path'], models);
    const shippedConfig = path.join(dir, 'pqlsync.yml');
    await writeFile(shippedConfig, document.toString());
    // The same project with every significance rule taken out.
    const plain = document.clone();
    for (const sync of (plain.get('syncs') as any).items) {
      for (const p of sync.get('properties').items) for (const k of ['min_change', 'buckets', 'granularity', 'send_alone']) p.delete(k);
    }
    const plainConfig = path.join(dir, 'pqlsync-no-significance.yml');
    await writeFile(plainConfig, plain.toString());

    let t = performance.now();
    const generator = await DuckDBWarehouse.open({ path: db, memoryLimit: '4GB' });
    const counts = await generateDemoData(generator, { users, seed: 1 });
    await generator.close();
    log(`demo data: ${JSON.stringify(counts)} in ${Math.round(performance.now() - t)} ms`);

    const sandbox = await startSandbox({ requestsPer10s: 190, windowMs, dailyLimit: 1_000_000_000, accessToken: TOKEN });
    for (const group of Object.values(shipped.config.handoff?.routing?.groups ?? {})) for (const email of group.owners ?? []) sandbox.seedOwner({ email });
    const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url };
    const cli = (args: string[], config: string, asOf: string) => runCli(dir, env, [...args, '--config', config, '--as-of', asOf]);
    try {
      const first = await cli(['run'], shippedConfig, DEMO_AS_OF);
      log(`first run: exit ${first.code}, ${first.ms} ms`);
      if (first.code !== 0) throw new Error(`first run failed: ${JSON.stringify(first.events.filter((e) => e.level === 'error'))}`);

      t = performance.now();
      const appender = await DuckDBWarehouse.open({ path: db, memoryLimit: '4GB' });
      result.appended = await appendDemoDay(appender, { seed: 1, day: DEMO_AS_OF });
      await appender.close();
      log(`appended a day: ${JSON.stringify(result.appended)} in ${Math.round(performance.now() - t)} ms`);
      const nextDay = new Date(Date.parse(DEMO_AS_OF) + 86_400_000).toISOString();
      const built = await cli(['build'], shippedConfig, nextDay);
      if (built.code !== 0) throw new Error('build failed');

      // What each sync would send with and without significance.
      const planOf = async (config: string) => Object.fromEntries((await cli(['plan'], config, nextDay)).events.filter((e) => e.event === 'plan').map((e) => [e.sync, e]));
      const withoutPlan = await planOf(plainConfig);
      const withPlan = await planOf(shippedConfig);
      result.plans = Object.fromEntries(
        Object.keys(withPlan).map((s) => [
          s,
          {
            rows: withPlan[s].rows,
            without_significance: { to_send: withoutPlan[s].to_send, share: withoutPlan[s].to_send / withPlan[s].rows, guardrails: withoutPlan[s].guardrails.violations, changed_properties: withoutPlan[s].changed_properties.slice(0, 8) },
            with_significance: { to_send: withPlan[s].to_send, share: withPlan[s].to_send / withPlan[s].rows, held_back: withPlan[s].heldBack, guardrails: withPlan[s].guardrails.violations, changed_properties: withPlan[s].changed_properties.slice(0, 12) },
          },
        ]),
      );
      log(`plans: ${JSON.stringify(result.plans, null, 1)}`);

      // Rows are joined on the contacts sync's own key (the product key in the demo, an email in older projects).
      const contactsSync = shipped.config.syncs.find((s) => s.name === 'contacts')!;
      const contactKey = contactsSync.key;
      const recordKeyOf = (record: { properties: Record<string, string | null | undefined> }) =>
        String(record.properties[contactsSync.properties.find((p) => p.column === contactKey)?.property ?? contactsSync.identity_property ?? 'email'] ?? '');
      // A join that matches nothing would report "0 of 0 landed": stop instead.
      const [{ n: joined }] = await withWarehouse(db, (w) =>
        w.query(`select count(*) as n from ${DELIVERED} s join pqlsync_models.contact_sync m on cast(m.${contactKey} as varchar) = s.record_key`),
      );
      if (Number(joined) === 0) throw new Error(`bench: no delivered contact matches contact_sync on ${contactKey}`);
      // The day's tier, hot trigger and lead stage changes (model vs what HubSpot was sent).
      const mustLand = await withWarehouse(db, async (w) =>
        w.query(`select s.record_key, ${MUST_LAND.map((c) => `cast(m.${c} as varchar) as ${c}`).join(', ')}
          from ${DELIVERED} s join pqlsync_models.contact_sync m on cast(m.${contactKey} as varchar) = s.record_key
          where ${MUST_LAND.map((c) => `s.${c} is distinct from cast(m.${c} as varchar)`).join(' or ')}`),
      );
      log(`tier, trigger or stage changes today: ${mustLand.length}`);
      // Which property makes a contact significant today, each counted alone (a row may have several).
      result.significant_by_property = await withWarehouse(db, async (w) => {
        const [row] = await w.query(`select ${contactsSync.properties
          .map((p, i) => `sum(case when ${significantChange(w.dialect, p, `m.${w.dialect.quote(p.column)}`, `s.${w.dialect.quote(p.column)}`)} then 1 else 0 end) as p${i}`)
          .join(', ')} from ${DELIVERED} s join pqlsync_models.contact_sync m on cast(m.${contactKey} as varchar) = s.record_key`);
        const counts = Object.fromEntries(contactsSync.properties.map((p, i) => [p.property, Number(row[`p${i}`])]));
        // The floor: rows whose tier, stage, trigger or another always-significant property changed.
        const always = contactsSync.properties.filter((p) => p.min_change === undefined && p.buckets === undefined && p.granularity === undefined && p.send_alone !== false);
        const [floor] = await w.query(`select count(*) as n from ${DELIVERED} s join pqlsync_models.contact_sync m on cast(m.${contactKey} as varchar) = s.record_key
          where ${always.map((p) => significantChange(w.dialect, p, `m.${w.dialect.quote(p.column)}`, `s.${w.dialect.quote(p.column)}`)).join(' or ')}`);
        return { ...counts, rows_with_an_always_significant_change: Number(floor.n) };
      });
      log(`significant changes by property: ${JSON.stringify(result.significant_by_property)}`);

      const daily = await cli(['sync'], shippedConfig, nextDay);
      const done = Object.fromEntries(daily.events.filter((e) => e.event === 'sync_done').map((e) => [e.sync, e]));
      log(`daily sync: exit ${daily.code}, ${daily.ms} ms; ${JSON.stringify(done)}`);
      if (daily.code !== 0) throw new Error(`daily sync failed: ${JSON.stringify(daily.events.filter((e) => e.level === 'error' || e.level === 'warn'))}`);
      const contactRows = withPlan.contacts.rows;
      result.daily = {
        exit: daily.code,
        ms: daily.ms,
        syncs: Object.fromEntries(Object.entries(done).map(([s, e]: [string, any]) => [s, { sent: e.sent, held_back: e.held_back, ms: e.ms, requests: e.requests }])),
        contacts_share: done.contacts.sent / contactRows,
      };

      // Every must-land change is in HubSpot now.
      const wanted = new Map(mustLand.map((r) => [String(r.record_key), r]));
      const property = (column: string) => shipped.config.syncs.find((s) => s.name === 'contacts')!.properties.find((p) => p.column === column)!.property;
      let landed = 0;
      const missing: string[] = [];
      for (const record of sandbox.records('contacts')) {
        const row = wanted.get(recordKeyOf(record));
        if (!row) continue;
        const ok = MUST_LAND.every((c) => (record.properties[property(c)] ?? '') === (row[c] ?? ''));
        if (ok) landed++;
        else if (missing.length < 5) missing.push(`${recordKeyOf(record)}: ${MUST_LAND.map((c) => `${c} HubSpot ${record.properties[property(c)]} model ${row[c]}`).join(', ')}`);
      }
      result.must_land = { changes: mustLand.length, landed, missing };
      log(`must-land changes in HubSpot: ${landed} of ${mustLand.length} ${missing.join('; ')}`);

      // The daily run rolled back (contacts), against the sync's rate for the same records.
      const [{ run_id: dailyRun }] = await withWarehouse(db, (w) =>
        new StateStore(w, 'pqlsync').lastRuns(50).then((runs) => runs.filter((r) => r.command === 'sync' && r.sync_name === 'contacts' && r.status === 'success')),
      );
      const historyRows = await withWarehouse(db, (w) =>
        w.query(`select run_id = '${dailyRun}' as daily, kind, count(*) as n, count(distinct record_key) as records,
          sum(length(coalesce(before_value, '')) + length(coalesce(after_value, ''))) as value_chars
          from ${HISTORY} group by all order by all`),
      );
      result.history = { rows: historyRows.map((r) => ({ daily_run: r.daily, kind: r.kind, rows: Number(r.n), records: Number(r.records), value_chars: Number(r.value_chars) })) };
      result.history.daily_bytes = await historyBytes(dir, db, `run_id = '${dailyRun}'`);
      result.history.all_bytes = await historyBytes(dir, db, 'true');
      log(`history: ${JSON.stringify(result.history)}`);

      sandbox.resetStats();
      const rollback = await cli(['rollback', String(dailyRun), '--sync', 'contacts'], shippedConfig, nextDay);
      const undone = rollback.events.find((e) => e.event === 'rollback_done');
      log(`rollback: exit ${rollback.code}, ${rollback.ms} ms; ${JSON.stringify(undone)}`);
      const syncRate = done.contacts.sent / (done.contacts.ms / 1000);
      const rollbackMs = undone ? undone.ms : NaN;
      const routes = sandbox.stats.requestsByRoute;
      const route = (suffix: string) => Object.entries(routes).filter(([r]) => r.endsWith(suffix)).reduce((n, [, c]) => n + c, 0);
      const search = route('/contacts/search');
      result.rollback = {
        exit: rollback.code,
        restored: undone?.restored,
        sent: undone?.sent,
        edited: undone?.edited,
        // Records read before writing: those search said changed after the run.
        checked: undone?.checked,
        ms: rollbackMs,
        cli_ms: rollback.ms,
        records_per_s: undone ? undone.sent / (rollbackMs / 1000) : null,
        sync_records_per_s: syncRate,
        rate_vs_sync: undone ? undone.sent / (rollbackMs / 1000) / syncRate : null,
        requests: sandbox.stats.requests,
        requests_by_route: routes,
        // Requests that count in the 10-second window (search is outside it), per 100 records, against the sync's.
        windowed_requests_per_100: undone ? ((sandbox.stats.requests - search) / undone.sent) * 100 : null,
        writes_per_100: undone ? ((route('/contacts/batch/update') + route('/contacts/batch/upsert')) / undone.sent) * 100 : null,
        reads_per_100: undone ? (route('/contacts/batch/read') / undone.sent) * 100 : null,
        search_requests: search,
        sync_requests: done.contacts.requests,
        sync_requests_per_100: (done.contacts.requests / done.contacts.sent) * 100,
      };

      // A broken model on a normal day: the guardrail's default stops it.
      const points = path.join(models, 'config', 'scoring_points.sql');
      await writeFile(points, (await readFile(points, 'utf8')).replace('30 as warm_min', '3 as warm_min'));
      const brokenBuild = await cli(['build'], shippedConfig, nextDay);
      const broken = Object.fromEntries((await cli(['plan'], shippedConfig, nextDay)).events.filter((e) => e.event === 'plan').map((e) => [e.sync, e]));
      result.broken_model = { build_exit: brokenBuild.code, contacts: { to_send: broken.contacts?.to_send, share: broken.contacts?.to_send / contactRows, guardrails: broken.contacts?.guardrails.violations } };
      log(`broken model: ${JSON.stringify(result.broken_model)}`);
    } finally {
      await sandbox.stop();
    }
  } finally {
    result.finished = new Date().toISOString();
    if (out) await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    await rm(dir, { recursive: true, force: true });
  }
}

async function withWarehouse<T>(db: string, fn: (w: DuckDBWarehouse) => Promise<T>): Promise<T> {
  const w = await DuckDBWarehouse.open({ path: db, memoryLimit: '2GB' });
  try {
    return await fn(w);
  } finally {
    await w.close();
  }
}

/** Bytes of the history rows matching `where`, copied into a DuckDB file of their own (compressed as DuckDB stores them). */
async function historyBytes(dir: string, db: string, where: string): Promise<number> {
  const file = path.join(dir, `history-${Date.now()}.duckdb`);
  await withWarehouse(db, async (w) => {
    await w.execute(`attach '${file}' as h`);
    await w.execute(`create table h.${RUN_VALUES} as select * from ${HISTORY} where ${where}`);
    await w.execute('detach h');
  });
  const bytes = (await stat(file)).size;
  await rm(file, { force: true });
  return bytes;
}

/** `pqlsync <args> --json` in a process of its own; every JSON event it logged. */
async function runCli(dir: string, env: Record<string, string>, args: string[]): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(HERE, '..', 'bin', 'pqlsync.js'), ...args, '--json'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  const events = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  if (code !== 0 && code !== 9) console.error(stderr.slice(0, 2000));
  return { code, ms: Math.round(performance.now() - started), events };
}

await main();
