/**
 * npm run bench -- --incremental [--users 20000] [--events-per-day 20000] [--history 30,60,120,300]
 *                  [--days 2] [--out bench/incremental.json]
 *
 * Incremental vs full rebuild, side by side, as history grows while new events arrive at a
 * constant rate. For each history length H (days of events already in the warehouse): a fresh
 * DuckDB file with the demo users and H days of synthetic events (events-per-day each day,
 * in time order, as a warehouse receives them); a first build of `+user_features` as of the
 * end of that history (the incremental one records its watermark); then for each of `days`
 * days, one day of new events is appended and both builds run as of the end of that day:
 * - incremental: the same models with their watermarks (user_event_totals folds one day);
 * - full: the same models into another schema, without watermarks (a rebuild from all history).
 * Each build's wall time and rows scanned (DuckDB's profiler: cumulative_rows_scanned summed over
 * every statement the build ran, after zone-map pruning) and CPU time are reported; the figure
 * per H is the median of the `days` measurements (the machine is shared).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { duckdbDialect } from '../connectors/duckdb/duckdb.dialect.ts';
import { DuckDBWarehouse } from '../connectors/duckdb/duckdb.warehouse.ts';
import { describeFromInformationSchema, toStatement } from '../connectors/shared/sql-text.ts';
import type { ColumnInfo, Query, Row, SqlRunner, TableName, Value, Warehouse } from '../connectors/warehouse.ts';
import { loadProject } from '../src/config/load-project.ts';
import { CORE_FEATURES, generateDemoData } from '../src/demo/generate-demo-data.ts';
import { orderModels, selectModels } from '../src/project/graph.ts';
import { loadModels } from '../src/project/load-models.ts';
import { buildModels } from '../src/run/build-models.ts';
import { ModelWatermarks } from '../src/state/model-watermarks.ts';
import { shippedDemoConfig } from '../src/util/package-root.ts';

const DAY = 86_400_000;
const END = Date.parse('2026-11-01T09:30:00.000Z');

/**
 * A DuckDB warehouse on one connection with DuckDB's profiler on, counting the rows every
 * statement scanned. Bench only: statements run one at a time (no stream, no concurrency).
 */
class ProfiledDuckDB implements Warehouse {
  readonly dialect = duckdbDialect;
  readonly capabilities = { maxParameters: 30_000, transactions: 'interactive' as const };
  rowsScanned = 0;
  /** Of those, rows of the source events table (raw.events). */
  eventRowsScanned = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly profileFile: string,
  ) {}

  static async open(file: string, profileFile: string): Promise<ProfiledDuckDB> {
    const instance = await DuckDBInstance.create(file, { threads: '2' });
    const connection = await instance.connect();
    await connection.run(`set enable_profiling = 'json'`);
    await connection.run(`set profiling_output = '${profileFile}'`);
    await connection.run(
      `set custom_profiling_settings = '{"CUMULATIVE_ROWS_SCANNED": "true", "OPERATOR_ROWS_SCANNED": "true", "OPERATOR_TYPE": "true", "EXTRA_INFO": "true"}'`,
    );
    return new ProfiledDuckDB(instance, connection, profileFile);
  }

  private async run(query: Query): Promise<Row[]> {
    const { sql, values } = toStatement(query);
    const params = values.length ? values.map((v) => (v instanceof Date ? v.toISOString() : (v as DuckDBValue))) : undefined;
    await rm(this.profileFile, { force: true });
    const started = performance.now();
    const reader = await this.connection.runAndReadAll(sql, params);
    // DDL without a query plan (CREATE SCHEMA, BEGIN) writes no profile: it scanned nothing.
    const text = await readFile(this.profileFile, 'utf8').catch(() => undefined);
    const profile = text ? (JSON.parse(text) as ProfileNode) : undefined;
    const scanned = profile?.cumulative_rows_scanned ?? 0;
    this.rowsScanned += scanned;
    if (profile) this.eventRowsScanned += eventScans(profile);
    if (process.env.PQLSYNC_BENCH_TRACE) console.error(`    ${String(scanned).padStart(10)} ${String(Math.round(performance.now() - started)).padStart(6)} ms  ${sql.replace(/\s+/g, ' ').slice(0, 110)}`);
    return reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : (v as Value)])));
  }

  async execute(query: Query): Promise<void> {
    await this.run(query);
  }
  query(query: Query): Promise<Row[]> {
    return this.run(query);
  }
  async insertRows(): Promise<void> {
    throw new Error('not used by the bench');
  }
  // eslint-disable-next-line require-yield
  async *stream(): AsyncIterable<Row[]> {
    throw new Error('not used by the bench');
  }
  describe(table: TableName): Promise<ColumnInfo[] | undefined> {
    return describeFromInformationSchema((q) => this.query(q), table);
  }
  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    await this.connection.run('begin transaction');
    try {
      const result = await fn(this);
      await this.connection.run('commit');
      return result;
    } catch (error) {
      await this.connection.run('rollback').catch(() => undefined);
      throw error;
    }
  }
  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

interface ProfileNode {
  operator_type?: string;
  operator_rows_scanned?: number;
  cumulative_rows_scanned?: number;
  extra_info?: { Table?: string };
  children?: ProfileNode[];
}

/** Rows the table scans of raw.events read in one statement's profile. */
function eventScans(node: ProfileNode): number {
  const own = node.operator_type === 'TABLE_SCAN' && /\braw\.events$/.test(node.extra_info?.Table ?? '') ? (node.operator_rows_scanned ?? 0) : 0;
  return own + (node.children ?? []).reduce((sum, child) => sum + eventScans(child), 0);
}

/** SQL appending `days` days of `perDay` synthetic events ending at `end` (ms), in time order. */
function eventsSql(users: number, perDay: number, firstDay: number, days: number, end: number): string {
  const names = ['login', 'login', 'login', 'login', 'feature_used', 'feature_used', 'feature_used', 'teammate_invited', 'integration_connected', 'paywall_hit', 'usage_limit_hit', 'premium_feature_attempted', 'billing_page_viewed', 'activation_reached', 'onboarding_completed'];
  const list = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
  const start = new Date(end - days * DAY).toISOString().replace('T', ' ').replace('Z', '');
  const h = (salt: number, n: number) => `cast(hash(k, ${salt}) % ${n} as bigint)`;
  return `insert into raw.events (event_id, user_id, account_id, event_name, feature, occurred_at)
    select concat('b', ${firstDay} + k // ${perDay}, '_', k % ${perDay}),
      concat('usr_', ${h(1, users)}),
      null,
      ${list(names)}[1 + ${h(2, names.length)}],
      case when ${h(2, names.length)} between 4 and 6 then ${list(CORE_FEATURES)}[1 + ${h(3, CORE_FEATURES.length)}]
           when ${h(2, names.length)} = 8 then 'slack' end,
      timestamp '${start}' + to_milliseconds(cast((k // ${perDay}) * 86400000 + (k % ${perDay}) * 86400000 // ${perDay} as bigint))
    from range(${days} * ${perDay}) r(k)
    order by k`;
}

interface Measure {
  /** Wall time of the build. */
  ms: number;
  /** CPU time (user + system) of this process during the build: DuckDB runs in it, and this is
   * less sensitive than wall time to other work on a shared machine. */
  cpuMs: number;
  rowsScanned: number;
  /** Of rowsScanned, the rows of the events table: what a warehouse that bills by scan charges for history. */
  eventRowsScanned: number;
}
interface Level {
  historyDays: number;
  events: number;
  incremental: Measure;
  full: Measure;
}

export async function runIncrementalBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      incremental: { type: 'boolean' },
      users: { type: 'string', default: '20000' },
      'events-per-day': { type: 'string', default: '20000' },
      history: { type: 'string', default: '30,60,120,300' },
      days: { type: 'string', default: '2' },
      out: { type: 'string', default: 'bench/incremental.json' },
    },
  });
  const users = Number(values.users);
  const perDay = Number(values['events-per-day']);
  const days = Number(values.days);
  const history = values.history!.split(',').map(Number);
  const project = await loadProject(shippedDemoConfig());
  const all = orderModels(await loadModels(project.modelsDir, { dialect: 'duckdb', projectRoot: project.root }), Object.keys(project.sources));
  const models = selectModels(all, ['+user_features']);
  console.error(`incremental bench: ${users.toLocaleString('en-US')} users, ${perDay.toLocaleString('en-US')} events/day, history ${history.join(', ')} days; builds ${models.map((m) => m.name).join(', ')}`);

  const levels: Level[] = [];
  for (const h of history) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pqlsync-incr-'));
    try {
      const file = path.join(dir, 'bench.duckdb');
      const seed = await DuckDBWarehouse.open({ path: file });
      await generateDemoData(seed, { users, seed: 5 });
      // A new table, not a delete: deleted rows would still sit in its row groups and be scanned.
      await seed.execute('create or replace table raw.events as select * from raw.events limit 0');
      await seed.execute(eventsSql(users, perDay, 0, h, END));
      await seed.close();

      const w = await ProfiledDuckDB.open(file, path.join(dir, 'profile.json'));
      const watermarks = new ModelWatermarks(w, 'bench_state', 'inc');
      const ctx = (schema: string, at: number) => ({ dialect: w.dialect, modelsSchema: schema, sources: project.sources, asOf: new Date(at).toISOString() });
      await buildModels(w, models, ctx('inc', END), undefined, { watermarks, allModels: all });
      const runs: { incremental: Measure; full: Measure }[] = [];
      for (let d = 1; d <= days; d++) {
        const at = END + d * DAY;
        await w.execute(eventsSql(users, perDay, h + d, 1, at));
        const measure = async (schema: string, withWatermarks: boolean): Promise<Measure> => {
          w.rowsScanned = 0;
          w.eventRowsScanned = 0;
          const started = performance.now();
          const cpu = process.cpuUsage();
          const built = await buildModels(w, models, ctx(schema, at), undefined, withWatermarks ? { watermarks, allModels: all } : {});
          const mode = built.find((b) => b.name === 'user_event_totals')?.incremental?.mode;
          if (withWatermarks && mode !== 'incremental') throw new Error(`expected an incremental build, got ${mode}`);
          const used = process.cpuUsage(cpu);
          return { ms: Math.round(performance.now() - started), cpuMs: Math.round((used.user + used.system) / 1000), rowsScanned: w.rowsScanned, eventRowsScanned: w.eventRowsScanned };
        };
        runs.push({ incremental: await measure('inc', true), full: await measure('full', false) });
      }
      // The median day of each (by wall time), so one slow or fast moment of the machine does not decide.
      const best = (k: 'incremental' | 'full'): Measure => runs.map((r) => r[k]).sort((a, b) => a.ms - b.ms)[Math.floor((runs.length - 1) / 2)];
      const [{ n }] = await w.query('select count(*) as n from raw.events');
      await w.close();
      const level: Level = { historyDays: h, events: Number(n), incremental: best('incremental'), full: best('full') };
      levels.push(level);
      console.error(
        `  history ${String(h).padStart(4)} d, ${level.events.toLocaleString('en-US').padStart(11)} events: incremental ${level.incremental.ms} ms (${level.incremental.cpuMs} ms CPU), ${level.incremental.rowsScanned.toLocaleString('en-US')} rows scanned (${level.incremental.eventRowsScanned.toLocaleString('en-US')} events); full ${level.full.ms} ms (${level.full.cpuMs} ms CPU), ${level.full.rowsScanned.toLocaleString('en-US')} rows scanned (${level.full.eventRowsScanned.toLocaleString('en-US')} events)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const first = levels[0];
  const last = levels[levels.length - 1];
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const summary = {
    command: `npm run bench -- ${argv.join(' ')}`,
    machine: { cpus: os.cpus().length, loadAvgAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    settings: { users, eventsPerDay: perDay, history, daysMeasured: days, models: models.map((m) => m.name) },
    levels,
    growth: {
      history: ratio(last.historyDays, first.historyDays),
      incremental: { ms: ratio(last.incremental.ms, first.incremental.ms), cpuMs: ratio(last.incremental.cpuMs, first.incremental.cpuMs), rowsScanned: ratio(last.incremental.rowsScanned, first.incremental.rowsScanned), eventRowsScanned: ratio(last.incremental.eventRowsScanned, first.incremental.eventRowsScanned) },
      full: { ms: ratio(last.full.ms, first.full.ms), cpuMs: ratio(last.full.cpuMs, first.full.cpuMs), rowsScanned: ratio(last.full.rowsScanned, first.full.rowsScanned), eventRowsScanned: ratio(last.full.eventRowsScanned, first.full.eventRowsScanned) },
    },
  };
  const table = [
    '| history (days) | events | incremental: wall ms | CPU ms | rows scanned | of which events | full rebuild: wall ms | CPU ms | rows scanned | of which events |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...levels.map(
      (l) =>
        `| ${l.historyDays} | ${l.events.toLocaleString('en-US')} | ${l.incremental.ms} | ${l.incremental.cpuMs} | ${l.incremental.rowsScanned.toLocaleString('en-US')} | ${l.incremental.eventRowsScanned.toLocaleString('en-US')} | ${l.full.ms} | ${l.full.cpuMs} | ${l.full.rowsScanned.toLocaleString('en-US')} | ${l.full.eventRowsScanned.toLocaleString('en-US')} |`,
    ),
    '',
    `History ×${summary.growth.history}: incremental wall ×${summary.growth.incremental.ms}, CPU ×${summary.growth.incremental.cpuMs}, rows scanned ×${summary.growth.incremental.rowsScanned} (events ×${summary.growth.incremental.eventRowsScanned}); ` +
      `full rebuild wall ×${summary.growth.full.ms}, CPU ×${summary.growth.full.cpuMs}, rows scanned ×${summary.growth.full.rowsScanned} (events ×${summary.growth.full.eventRowsScanned}). Load average at the end: ${summary.machine.loadAvgAtEnd.join(', ')} on ${summary.machine.cpus} CPUs.`,
  ].join('\n');
  console.log(table);
  await writeFile(values.out!, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(values.out!.replace(/\.json$/, '') + '.md', `# Incremental vs full rebuild\n\n\`${summary.command}\`\n\n${table}\n`);
  console.error(`wrote ${values.out}`);
}
