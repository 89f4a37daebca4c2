/**
 * npm run bench -- [--sizes 10000,100000,1000000,10000000] [--tier 100|190] [--window-ms N]
 *                  [--memory-limit 128MB] [--full-sync-max N] [--baseline-sample N]
 *                  [--daily-run-users 1000000] [--tsx] [--quick] [--out file.json]
 * npm run bench -- --incremental [...]   incremental vs full model builds as history grows (bench/incremental.ts)
 * npm run bench -- --continuous [...]    event-to-HubSpot latency of run --every (bench/continuous.ts)
 * npm run bench -- --evaluate [...]      evaluate --suggest on the demo and the second data set: time, fit time, AUC (bench/evaluate.ts)
 *
 * Generates scored users in DuckDB and measures pqlsync's sync step against the local
 * HubSpot sandbox with its rate limit on (window compressed, stated in the output), side by
 * side with a hand-written one-request-per-contact sync, and prints a table and writes JSON
 * and Markdown. Processes: this one generates the data and hosts the sandbox; each size's
 * sync step runs in a child of its own (so RSS peaks do not mix); the baseline in another.
 * Then the whole daily `pqlsync run` of the demo project at --daily-run-users users, with
 * pqlsync's default settings, as compiled JavaScript (what an installed package runs): see
 * bench/daily-run.ts. DuckDB's memory limit in the sync step is pqlsync's default unless
 * --memory-limit says otherwise.
 */
import { execFileSync } from 'node:child_process';
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MEMORY_LIMIT, DuckDBWarehouse } from '../connectors/duckdb/duckdb.warehouse.ts';
import { runDailyRunBench, type DailyRunResult } from './daily-run.ts';
import { startSandbox, type Sandbox } from '../connectors/hubspot/sandbox/index.ts';
import { RecordStore } from '../src/state/record-store.ts';
import { closeSession, openSession } from '../src/run/session.ts';
import { createLogger } from '../src/util/logger.ts';
import type { BaselineChildInput } from './baseline-child.ts';
import { serveRpc, type BaselineResult, type ChildMessage, type SyncPhaseResult } from './ipc.ts';
import { buildReport, renderMarkdown, renderTerminal, type BenchRun, type SizeRun } from './report.ts';
import { changeOnePercentSql, changedRows, generateScoredUsers, MODEL, MODELS_SCHEMA, STATE_SCHEMA, writeBenchProject } from './scored-users.ts';
import type { SyncChildInput } from './sync-child.ts';
import { runIncrementalBench } from './incremental.ts';
import { runContinuousBench } from './continuous.ts';
import { runEvaluateBench } from './evaluate.ts';

const TOKEN = 'pat-bench-token';
/** The first lines a failed child wrote, by size. */
const lastError = new Map<number, string>();
let currentRows = 0;
const HERE = import.meta.dirname;

interface Settings {
  sizes: number[];
  /** Sizes above this skip the full first sync: state is seeded in SQL (see seedState). */
  fullSyncMax: number;
  tier: number;
  windowMs: number;
  /** DuckDB's memory limit in the sync step (and the verification); pqlsync's default unless --memory-limit. */
  memoryLimit: string;
  memoryLimitGiven: boolean;
  threads: number;
  /** Users of the daily-run measurement (0: skip it). */
  dailyRunUsers: number;
  /** Run the measured sync child through tsx instead of compiled (adds tsx's loader to its RSS). */
  tsx: boolean;
  baselineSample: number;
  quick: boolean;
  /** What-if: the proposed full-pages fix, applied in the measured process only (see sync-child.ts). */
  fullPages: boolean;
  out: string;
}

function parseSettings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string' },
      tier: { type: 'string' },
      'window-ms': { type: 'string' },
      'memory-limit': { type: 'string' },
      'full-sync-max': { type: 'string' },
      'baseline-sample': { type: 'string' },
      'daily-run-users': { type: 'string' },
      tsx: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      'what-if-full-pages': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const int = (raw: string | undefined, name: string, fallback: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 0 || (n === 0 && name !== 'daily-run-users')) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
    return n;
  };
  const sizes = values.sizes
    ? values.sizes.split(',').map((s) => int(s.trim(), 'sizes', 0))
    : quick
      ? [10_000, 100_000]
      : [10_000, 100_000, 1_000_000, 10_000_000];
  const tier = int(values.tier, 'tier', 100);
  if (tier !== 100 && tier !== 190) throw new Error(`--tier must be 100 or 190 (requests per 10 s), got ${tier}`);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    fullSyncMax: int(values['full-sync-max'], 'full-sync-max', 1_000_000),
    tier,
    windowMs: int(values['window-ms'], 'window-ms', 2000),
    memoryLimit: values['memory-limit'] ?? DEFAULT_MEMORY_LIMIT,
    memoryLimitGiven: values['memory-limit'] !== undefined,
    tsx: values.tsx ?? false,
    dailyRunUsers: int(values['daily-run-users'], 'daily-run-users', quick ? 0 : 1_000_000),
    threads: 2,
    baselineSample: int(values['baseline-sample'], 'baseline-sample', quick ? 500 : 2000),
    quick,
    fullPages: values['what-if-full-pages'] ?? false,
    out: values.out ?? path.join(HERE, 'results', `bench-${stamp}${quick ? '-quick' : ''}.json`),
  };
}

function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    cpuMHz: cpus[0]?.speed ?? 0,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAvgAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Where the measured child is compiled to (bench/results is not committed). */
const COMPILED = path.join(HERE, 'results', '.compiled');

/**
 * Compiles the measured child (bench/sync-child.ts and what it imports) to JavaScript, so that
 * it runs as an installed package does, without tsx's loader (about 35 MB of RSS).
 */
function compileSyncChild(): void {
  const flags = ['--outDir', COMPILED, '--rootDir', path.join(HERE, '..'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022'];
  flags.push('--rewriteRelativeImportExtensions', '--allowImportingTsExtensions', '--skipLibCheck', '--esModuleInterop', '--resolveJsonModule', '--types', 'node', '--strict');
  execFileSync('npx', ['tsc', path.join(HERE, 'sync-child.ts'), ...flags], { cwd: path.join(HERE, '..'), stdio: 'inherit' });
}

/**
 * Runs a child script, compiled (the sync child, unless --tsx) or with tsx's loader (as
 * bin/pqlsync.js does in a source checkout); collects its messages.
 */
function runChild(script: string, input: unknown, sandbox: Sandbox | null, onMessage: (m: ChildMessage) => void, compiled = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = compiled
      ? fork(path.join(COMPILED, 'bench', script.replace(/\.ts$/, '.js')), [JSON.stringify(input)], { execArgv: [], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
      : fork(path.join(HERE, script), [JSON.stringify(input)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderr += chunk.toString();
    });
    child.on('exit', () => {
      if (stderr) lastError.set(currentRows, stderr.split('\n').slice(0, 2).join(' ').slice(0, 400));
    });
    if (sandbox) {
      serveRpc(
        child,
        () => ({ requests: sandbox.stats.requests, requestsByRoute: { ...sandbox.stats.requestsByRoute }, recordsWritten: sandbox.stats.recordsWritten, rateLimited: sandbox.stats.rateLimited }),
        () => sandbox.resetStats(),
      );
    }
    child.on('message', (m: ChildMessage) => onMessage(m));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with code ${code}`))));
  });
}

/**
 * For sizes whose full first sync would take too long: state as if every row had been
 * delivered, written in SQL from the diff's own hashes (so the next diff sees only what
 * changes afterwards). HubSpot does not hold these contacts; the incremental run's upserts
 * create the changed ones.
 */
async function seedState(projectFile: string): Promise<void> {
  const { loadProject } = await import('../src/config/load-project.ts');
  const project = await loadProject(projectFile);
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  const session = await openSession(project, { log: createLogger({ json: true, secrets: [], out: sink, err: sink }), env: {} });
  try {
    const sync = project.config.syncs[0];
    await new RecordStore(session.warehouse, session.state, { models: MODELS_SCHEMA, state: STATE_SCHEMA }).seedDelivered(sync, 'bench-seed');
  } finally {
    await closeSession(session);
  }
}

/** Every model row is in the sandbox, once, with the values of its last sync (score, logins). */
async function verifyDelivered(sandbox: Sandbox, databaseFile: string, memoryLimit: string, expectedOnlyChanged: boolean) {
  const held = new Map<string, Record<string, string>>();
  let duplicates = 0;
  for (const record of sandbox.records('contacts')) {
    const email = (record.properties.email ?? '').toLowerCase();
    if (held.has(email)) duplicates++;
    held.set(email, record.properties);
  }
  const warehouse = await DuckDBWarehouse.open({ path: databaseFile, memoryLimit });
  let expected = 0;
  let missing = 0;
  let wrong = 0;
  try {
    const where = expectedOnlyChanged ? `where n % 100 = 42` : '';
    for await (const page of warehouse.stream(`select email, pql_score, logins_14d from ${MODELS_SCHEMA}.${MODEL} ${where}`, 10_000)) {
      for (const row of page) {
        expected++;
        const properties = held.get(String(row.email));
        if (!properties) missing++;
        else if (Number(properties.pqlsync_pql_score) !== Number(row.pql_score) || Number(properties.pqlsync_logins_14d) !== Number(row.logins_14d)) wrong++;
      }
    }
  } finally {
    await warehouse.close();
  }
  return { expected, held: held.size, duplicates, missing, wrongValues: wrong };
}

async function runSize(settings: Settings, rows: number, withBaseline: boolean): Promise<SizeRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `pqlsync-bench-${rows}-`));
  const full = rows <= settings.fullSyncMax;
  currentRows = rows;
  const log = (msg: string) => console.error(`[bench ${rows.toLocaleString('en-US')}] ${msg}`);
  try {
    const project = await writeBenchProject({ dir, tier: settings.tier, memoryLimit: settings.memoryLimitGiven ? settings.memoryLimit : undefined, threads: settings.threads });
    const databaseFile = path.join(dir, 'bench.duckdb');
    let t = performance.now();
    // Generation is not measured against the targets; it gets more memory to go fast.
    const generator = await DuckDBWarehouse.open({ path: databaseFile, memoryLimit: '2GB', threads: settings.threads });
    await generateScoredUsers(generator, rows);
    await generator.close();
    const generateMs = Math.round(performance.now() - t);
    log(`generated in ${generateMs} ms`);
    let seedMs: number | null = null;
    if (!full) {
      t = performance.now();
      await seedState(project.configFile);
      seedMs = Math.round(performance.now() - t);
      log(`state seeded in SQL in ${seedMs} ms`);
    }

    const sandbox = await startSandbox({ requestsPer10s: settings.tier, windowMs: settings.windowMs, dailyLimit: 1_000_000_000, accessToken: TOKEN });
    try {
      const phases: SyncPhaseResult[] = [];
      let baseRssMb = 0;
      // Each phase in a process of its own, as each scheduled sync is: its peak RSS is its own.
      // The model change between the full and the incremental sync is model building, done here.
      for (const phase of full ? (['full', 'incremental', 'nochange'] as const) : (['incremental', 'nochange'] as const)) {
        let changeSqlMs: number | undefined;
        if (phase === 'incremental') {
          t = performance.now();
          const changer = await DuckDBWarehouse.open({ path: databaseFile, memoryLimit: '2GB', threads: settings.threads });
          await changer.execute(changeOnePercentSql());
          await changer.execute('checkpoint');
          await changer.close();
          changeSqlMs = Math.round(performance.now() - t);
        }
        const input: SyncChildInput = {
          projectFile: project.configFile,
          sandboxUrl: sandbox.url,
          token: TOKEN,
          phases: [phase],
          sampleEveryMs: 50,
          fullPages: settings.fullPages,
        };
        await runChild('sync-child.ts', input, sandbox, (m) => {
          if (m.type === 'ready' && baseRssMb === 0) baseRssMb = m.baseRssMb;
          if (m.type === 'phase') {
            phases.push({ ...m.result, ...(changeSqlMs === undefined ? {} : { changeSqlMs }) });
            log(`${m.result.phase}: sent ${m.result.sent}, ${m.result.sandbox.requests} requests, ${m.result.wallMs} ms, peak RSS ${m.result.rssPeakMb} MB, maxRSS ${m.result.maxRssMb} MB`);
          }
        }, !settings.tsx);
      }
      t = performance.now();
      const verification = await verifyDelivered(sandbox, databaseFile, settings.memoryLimit, !full);
      log(`verified in ${Math.round(performance.now() - t)} ms: ${JSON.stringify(verification)}`);

      let baseline: BaselineResult | null = null;
      if (withBaseline) {
        const sample = Math.min(settings.baselineSample, rows);
        const binput: BaselineChildInput = {
          databaseFile,
          memoryLimit: settings.memoryLimit,
          sandboxUrl: sandbox.url,
          token: TOKEN,
          sample,
          requestsPerWindow: settings.tier,
          windowMs: settings.windowMs,
        };
        sandbox.resetStats();
        await runChild('baseline-child.ts', binput, null, (m) => {
          if (m.type === 'baseline') baseline = m.result;
        });
        log(`baseline: ${JSON.stringify(baseline)} (sandbox counted ${sandbox.stats.requests} requests)`);
      }
      return { rows, mode: full ? 'full' : 'seeded', changed: changedRows(rows), generateMs, seedMs, baseRssMb, phases, verification, baseline };
    } finally {
      await sandbox.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const started = new Date();
  const m = machine();
  console.error(
    `pqlsync bench: sizes ${settings.sizes.join(', ')}; tier ${settings.tier} requests per ${settings.windowMs} ms window (HubSpot: per 10,000 ms); DuckDB memory_limit ${settings.memoryLimit}, ${settings.threads} threads`,
  );
  if (!settings.tsx) compileSyncChild();
  const fullSizes = settings.sizes.filter((s) => s <= settings.fullSyncMax);
  // The baseline needs contacts that exist: it runs once, on the largest fully synced size.
  const baselineSize = fullSizes.length > 0 ? fullSizes[fullSizes.length - 1] : null;
  const sizes: SizeRun[] = [];
  const failures: Array<{ rows: number; error: string }> = [];
  for (const rows of settings.sizes) {
    try {
      sizes.push(await runSize(settings, rows, rows === baselineSize));
    } catch (error) {
      // A size that fails (DuckDB out of memory under its limit, say) is a result too.
      const message = error instanceof Error ? error.message : String(error);
      console.error(`[bench ${rows.toLocaleString('en-US')}] failed: ${message}`);
      failures.push({ rows, error: lastError.get(rows) ?? message });
    }
  }
  let dailyRun: DailyRunResult | null = null;
  let dailyRunError: string | null = null;
  if (settings.dailyRunUsers > 0) {
    const log = (msg: string) => console.error(`[bench daily run ${settings.dailyRunUsers.toLocaleString('en-US')}] ${msg}`);
    try {
      // The daily run is measured as an installed package runs it: compiled JavaScript, no tsx.
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: path.join(HERE, '..'), stdio: 'inherit' });
      dailyRun = await runDailyRunBench({ users: settings.dailyRunUsers, windowMs: 200, compiled: true, log });
    } catch (error) {
      dailyRunError = error instanceof Error ? error.message : String(error);
      log(`failed: ${dailyRunError}`);
    }
  }
  const run: BenchRun = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...m, loadAvgAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    settings: {
      quick: settings.quick,
      tier: settings.tier,
      windowMs: settings.windowMs,
      compression: 10_000 / settings.windowMs,
      ceilingRecordsPerSecond: (100 * settings.tier * 1000) / settings.windowMs,
      memoryLimit: settings.memoryLimitGiven ? settings.memoryLimit : `${settings.memoryLimit} (pqlsync's default)`,
      threads: settings.threads,
      syncChild: settings.tsx ? 'TypeScript through tsx' : 'compiled JavaScript',
      fullSyncMax: settings.fullSyncMax,
      baselineSample: settings.baselineSample,
      whatIfFullPages: settings.fullPages,
      changeSql: changeOnePercentSql().replace(/\s+/g, ' '),
    },
    sizes,
    failures,
    dailyRun,
    dailyRunError,
  };
  const report = buildReport(run);
  console.log(renderTerminal(report));
  await mkdir(path.dirname(settings.out), { recursive: true });
  await writeFile(settings.out, `${JSON.stringify(report, null, 2)}\n`);
  const md = settings.out.replace(/\.json$/, '') + '.md';
  await writeFile(md, renderMarkdown(report));
  console.error(`wrote ${settings.out} and ${md}`);
}

(process.argv.includes('--incremental')
  ? runIncrementalBench(process.argv.slice(2))
  : process.argv.includes('--continuous')
    ? runContinuousBench(process.argv.slice(2))
    : process.argv.includes('--evaluate')
      ? runEvaluateBench(process.argv.slice(2))
      : main()).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
