/**
 * The whole daily `pqlsync run` (build + test + every sync) of the demo project at N users, as a
 * user runs it: the CLI in a process of its own, with pqlsync's default settings (no memory
 * limit in pqlsync.yml, none in the environment), against the local HubSpot sandbox.
 *
 * Steps: demo data for N users in a DuckDB file (this process, generation is not measured);
 * run 1, the first run (builds every model, sends every record); one more day of events
 * (appendDemoDay, this process); run 2, the daily run (incremental builds, only what changed).
 * Each run's peak RSS is the process's own maxRSS, written by bench/max-rss.mjs as it exits.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { DuckDBWarehouse } from '../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox } from '../connectors/hubspot/sandbox/index.ts';
import { loadProject } from '../src/config/load-project.ts';
import { appendDemoDay, DEMO_AS_OF, generateDemoData } from '../src/demo/generate-demo-data.ts';
import { shippedDemoConfig } from '../src/util/package-root.ts';

const HERE = import.meta.dirname;
const TOKEN = 'pat-bench-daily-run';
const DAY_MS = 86_400_000;

export interface DailyRunOptions {
  users: number;
  /** Sandbox window (HubSpot: 10,000 ms); compressed so the first run's full sync is short. */
  windowMs: number;
  /** Run dist/ (npm run build first), as an installed package does; otherwise the sources through tsx. */
  compiled: boolean;
  /** Written to pqlsync.yml (warehouse.memory_limit); default: none, pqlsync's default applies. */
  memoryLimit?: string;
  log: (message: string) => void;
}

export interface RunMeasurement {
  /** Exit code of `pqlsync run`. */
  exitCode: number;
  wallMs: number;
  /** The process's maxRSS (getrusage), MB. */
  peakRssMb: number;
  /** The run's model build and sync lines, as it logged them (JSON lines, abridged). */
  summary: string[];
  /**
   * The steps with the highest RSS, from /proc samples every 100 ms: each sample belongs to the
   * step whose log line ('model_built', 'sync_done', …) comes next, so "where the peak is" is known.
   */
  peakSteps: Array<{ step: string; rssMb: number }>;
}

export interface DailyRunResult {
  users: number;
  events: number;
  appendedEvents: number;
  memoryLimit: string;
  /** 'compiled JavaScript (dist/)' or 'TypeScript through tsx'. */
  runs: string;
  firstRun: RunMeasurement;
  dailyRun: RunMeasurement;
}

/** Runs the first and the daily run of the demo project at `options.users` users; see the file's comment. */
export async function runDailyRunBench(options: DailyRunOptions): Promise<DailyRunResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `pqlsync-bench-daily-${options.users}-`));
  try {
    // The shipped demo project, its database here and its models where they are.
    const shipped = await loadProject(shippedDemoConfig());
    const document = parseDocument(await readFile(shipped.configFile, 'utf8'));
    const databaseFile = path.join(dir, 'demo.duckdb');
    document.setIn(['warehouse', 'path'], databaseFile);
    document.setIn(['models_path'], shipped.modelsDir);
    if (document.hasIn(['warehouse', 'memory_limit'])) document.deleteIn(['warehouse', 'memory_limit']);
    if (options.memoryLimit) document.setIn(['warehouse', 'memory_limit'], options.memoryLimit);
    const configFile = path.join(dir, 'pqlsync.yml');
    await writeFile(configFile, document.toString());

    let t = performance.now();
    const generator = await DuckDBWarehouse.open({ path: databaseFile, memoryLimit: '4GB' });
    const counts = await generateDemoData(generator, { users: options.users, seed: 1 });
    await generator.close();
    options.log(`demo data for ${options.users.toLocaleString('en-US')} users in ${Math.round(performance.now() - t)} ms: ${JSON.stringify(counts)}`);

    const sandbox = await startSandbox({ requestsPer10s: 190, windowMs: options.windowMs, dailyLimit: 1_000_000_000, accessToken: TOKEN });
    for (const group of Object.values(shipped.config.handoff?.routing?.groups ?? {})) {
      for (const email of group.owners ?? []) sandbox.seedOwner({ email });
    }
    try {
      const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url };
      const entry = options.compiled ? path.join(HERE, '..', 'dist', 'src', 'cli', 'main.js') : path.join(HERE, '..', 'bin', 'pqlsync.js');
      const firstRun = await runCli(dir, entry, configFile, DEMO_AS_OF, env);
      options.log(`first run: exit ${firstRun.exitCode}, ${firstRun.wallMs} ms, peak RSS ${firstRun.peakRssMb} MB`);

      t = performance.now();
      const appender = await DuckDBWarehouse.open({ path: databaseFile, memoryLimit: '4GB' });
      const added = await appendDemoDay(appender, { seed: 1, day: DEMO_AS_OF });
      await appender.close();
      options.log(`appended a day: ${JSON.stringify(added)} in ${Math.round(performance.now() - t)} ms`);

      const nextDay = new Date(Date.parse(DEMO_AS_OF) + DAY_MS).toISOString();
      const dailyRun = await runCli(dir, entry, configFile, nextDay, env);
      options.log(`daily run: exit ${dailyRun.exitCode}, ${dailyRun.wallMs} ms, peak RSS ${dailyRun.peakRssMb} MB`);
      return { users: options.users, events: counts.events ?? 0, appendedEvents: added.events, memoryLimit: options.memoryLimit ?? "pqlsync's default", runs: options.compiled ? 'compiled JavaScript (dist/)' : 'TypeScript through tsx', firstRun, dailyRun };
    } finally {
      await sandbox.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `pqlsync run --json` as a user starts it (bin/pqlsync.js), with only what the run needs in its environment. */
async function runCli(dir: string, entry: string, configFile: string, asOf: string, extraEnv: Record<string, string>): Promise<RunMeasurement> {
  const rssFile = path.join(dir, `maxrss-${Date.now()}.txt`);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ...extraEnv, PQLSYNC_BENCH_MAXRSS_FILE: rssFile };
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', path.join(HERE, 'max-rss.mjs'), entry, 'run', '--json', '--config', configFile, '--as-of', asOf], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  // RSS of the step under way, attributed when the step's log line arrives.
  const stepPeaks = new Map<string, number>();
  let stepRss = 0;
  const sampler = setInterval(() => {
    readFile(`/proc/${child.pid}/status`, 'utf8').then(
      (status) => (stepRss = Math.max(stepRss, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)),
      () => undefined,
    );
  }, 100);
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter((l) => /build_done|sync_done|"level":"error"|"level":"warn"/.test(l)));
    for (const line of parts) {
      const step = stepOf(line);
      if (!step) continue;
      stepPeaks.set(step, Math.max(stepPeaks.get(step) ?? 0, stepRss));
      stepRss = 0;
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  clearInterval(sampler);
  const peakSteps = [...stepPeaks]
    .map(([step, rss]) => ({ step, rssMb: Math.round(rss * 10) / 10 }))
    .sort((a, b) => b.rssMb - a.rssMb)
    .slice(0, 4);
  const wallMs = Math.round(performance.now() - started);
  const maxRssKb = Number((await readFile(rssFile, 'utf8').catch(() => '0')).trim());
  if (exitCode !== 0) lines.push(`exit ${exitCode}: ${stderr.slice(0, 600)}`);
  return { exitCode, wallMs, peakRssMb: Math.round((maxRssKb / 1024) * 10) / 10, summary: lines, peakSteps };
}

/** The step a JSON log line ends: a model built, a sync (or its associations) done, the handoff. */
function stepOf(line: string): string | null {
  try {
    const e = JSON.parse(line) as { event?: string; model?: string; sync?: string };
    if (e.event === 'model_built') return `build ${e.model}`;
    if (e.event === 'sync_done' || e.event === 'associations_done') return `sync ${e.sync}`;
    if (e.event === 'handoff') return 'handoff';
    return null;
  } catch {
    return null;
  }
}
