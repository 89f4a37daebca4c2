/**
 * npm run bench -- --continuous [--users 1000000] [--every "* * * * *"] [--rounds 5] [--touch 20]
 *                  [--window-ms 10000] [--first-sync-window-ms 1000] [--tier 100] [--out bench/continuous.json]
 *
 * Event-to-HubSpot latency of `pqlsync run --every`. The shipped demo project (its pqlsync.yml
 * and models) on a fresh DuckDB file with the demo data at N users, history ending now; the
 * local HubSpot sandbox (this process) with its rate limit on:
 * 1. the first build + sync: the real CLI `run`, once, with the sandbox's window compressed
 *    (first-sync-window-ms; only to get 1 M contacts in quickly);
 * 2. the window set to `window-ms` (HubSpot's real 10 s by default), then the real CLI
 *    `run --every <cron> --wait 600` as a child process, left running;
 * 3. each round: at a varied moment, a loader lands events in raw.events for `touch` users
 *    (a login and a feature use, stamped just before they land), as a warehouse loader would:
 *    DuckDB lets one process at a time open the file and the runner holds it only during a
 *    run, so the loader queues for the file (the same lock wait as `--wait`) and writes between
 *    runs. T0 = when its insert returned (landed). The sandbox's records are then polled
 *    in-process (its index, no HTTP, no rate-limit slot) until every touched contact holds the
 *    new pqlsync_last_active_at; T1 = when the last one does. Latency = T1 - T0.
 * The runner's JSON log says when each run started, its build, tests, each sync's diff and
 * sending, and its requests; the sandbox counts requests and 429s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { DuckDBWarehouse } from '../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox, type Sandbox } from '../connectors/hubspot/sandbox/index.ts';
import { loadProject } from '../src/config/load-project.ts';
import { generateDemoData, touchUsers } from '../src/demo/generate-demo-data.ts';
import { parseSchedule } from '../src/run/schedule.ts';
import { waitForLock } from '../src/run/session.ts';
import { createLogger } from '../src/util/logger.ts';
import { shippedDemoConfig } from '../src/util/package-root.ts';
import { createPrng } from '../connectors/shared/prng.ts';

const TOKEN = 'pat-bench-continuous';
const REPO = path.join(import.meta.dirname, '..');
const TOUCH_KIND = 'login';
/** touchUsers' 'login' kind: a login at `at` and a feature use at `at` + 1 s: last activity = at + 1 s. */
const LAST_EVENT_OFFSET_MS = 1000;

interface Settings {
  users: number;
  every: string;
  rounds: number;
  touch: number;
  tier: number;
  windowMs: number;
  firstSyncWindowMs: number;
  seed: number;
  roundTimeoutMs: number;
  out: string;
}

/** One line of the runner's JSON log, with the time this process read it. */
interface LogEvent {
  time: string;
  event?: string;
  [key: string]: unknown;
}

/** One run of the `--every` loop, from its JSON events. */
interface RunRecord {
  index: number;
  /** The time the schedule started it (its schedule_wait's `next`). */
  startedAt: number;
  /** The time the loop logged its next wait (the run and its session were closed). */
  endedAt: number | null;
  buildMs: number | null;
  /** Models built incrementally / rebuilt, by name → ms (the five slowest). */
  slowestModels: Array<{ model: string; ms: number; incremental?: string }>;
  testMs: number | null;
  syncs: Array<{ sync: string; diffMs: number | null; ms: number; sendMs: number | null; sent: number; requests: number; changed: number; new: number; doneAt: number }>;
  requests: number;
  lockWaited: boolean;
  errors: string[];
}

interface Round {
  round: number;
  touched: number;
  /** The loader wanted to write (events ready). */
  readyAt: string;
  /** Its insert returned: the events are in the warehouse. T0. */
  landedAt: string;
  /** How long the loader queued for the DuckDB file (a run held it) plus the insert itself. */
  loaderWaitMs: number;
  /** When every touched contact held the new value. T1. */
  deliveredAt: string | null;
  latencyMs: number | null;
  /** The run that delivered them: its index, and how long after T0 it started (waiting for the tick). */
  run: number | null;
  waitForTickMs: number | null;
  /** From that run's start to T1. */
  runToDeliveredMs: number | null;
  loadAvg: number[];
}

function parseSettings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      users: { type: 'string', default: '1000000' },
      every: { type: 'string', default: '* * * * *' },
      rounds: { type: 'string', default: '5' },
      touch: { type: 'string', default: '20' },
      tier: { type: 'string', default: '100' },
      'window-ms': { type: 'string', default: '10000' },
      'first-sync-window-ms': { type: 'string', default: '1000' },
      seed: { type: 'string', default: '7' },
      'round-timeout-s': { type: 'string', default: '600' },
      out: { type: 'string', default: path.join(REPO, 'bench', 'continuous.json') },
    },
  });
  const int = (name: string) => {
    const n = Number(String(values[name]).replace(/_/g, ''));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${values[name]}"`);
    return n;
  };
  return {
    users: int('users'),
    every: String(values.every),
    rounds: int('rounds'),
    touch: int('touch'),
    tier: int('tier'),
    windowMs: int('window-ms'),
    firstSyncWindowMs: int('first-sync-window-ms'),
    seed: int('seed'),
    roundTimeoutMs: int('round-timeout-s') * 1000,
    out: String(values.out),
  };
}

const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (msg: string) => console.error(`[continuous ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** The shipped demo project with its DuckDB file in `dir` and its models where they ship. */
async function writeProject(dir: string): Promise<{ config: string; db: string }> {
  const shipped = await loadProject(shippedDemoConfig());
  const document = parseDocument(await readFile(shipped.configFile, 'utf8'));
  const db = path.join(dir, 'warehouse.duckdb');
  document.setIn(['warehouse', 'path'], db);
  document.setIn(['models_path'], shipped.modelsDir);
  // The sandbox's day is not the portal's: the first sync alone takes more than a Starter day.
  document.setIn(['destination', 'requests_per_day'], 1_000_000_000);
  const config = path.join(dir, 'pqlsync.yml');
  await writeFile(config, document.toString());
  return { config, db };
}

/** Starts the real CLI (bin/pqlsync.js) with --json; every JSON line goes to `onEvent`. */
function startCli(args: string[], config: string, sandbox: Sandbox, onEvent: (e: LogEvent) => void): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'pqlsync.js'), ...args, '--config', config, '--json'], {
    cwd: path.dirname(config),
    env: { ...process.env, HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let e: LogEvent;
      try {
        e = JSON.parse(line) as LogEvent;
      } catch {
        continue; // not a JSON event
      }
      if (['build_done', 'sync_done', 'schedule_wait', 'lock_wait'].includes(String(e.event)) || e.level === 'error' || e.level === 'warn') {
        console.error(`  runner ${String(e.time).slice(11, 19)} ${String(e.msg ?? e.event)}`);
      }
      onEvent(e);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

/** Folds the --every loop's events into runs. */
class RunTracker {
  readonly runs: RunRecord[] = [];
  private current: RunRecord | null = null;
  private lastMark = 0;

  onEvent(e: LogEvent): void {
    const at = Date.parse(e.time);
    if (e.event === 'schedule_wait') {
      if (this.current) this.current.endedAt = at;
      this.current = { index: this.runs.length, startedAt: Date.parse(String(e.next)), endedAt: null, buildMs: null, slowestModels: [], testMs: null, syncs: [], requests: 0, lockWaited: false, errors: [] };
      this.runs.push(this.current);
      return;
    }
    const run = this.current;
    if (!run) return;
    if (e.event === 'lock_wait') run.lockWaited = true;
    if (e.event === 'model_built') {
      run.slowestModels.push({ model: String(e.model), ms: Number(e.ms), ...(e.incremental ? { incremental: String(e.incremental) } : {}) });
      run.slowestModels.sort((a, b) => b.ms - a.ms);
      run.slowestModels.length = Math.min(run.slowestModels.length, 5);
    }
    if (e.event === 'build_done') {
      run.buildMs = Number(e.ms);
      this.lastMark = at;
    }
    if (e.event === 'models_tested') {
      run.testMs = at - this.lastMark;
    }
    if (e.event === 'sync_done') {
      const diffMs = e.diff_ms === undefined ? null : Number(e.diff_ms);
      run.syncs.push({
        sync: String(e.sync),
        diffMs,
        ms: Number(e.ms),
        sendMs: diffMs === null ? null : Number(e.ms) - diffMs,
        sent: Number(e.sent),
        requests: Number(e.requests),
        changed: Number(e.changed),
        new: Number(e.new),
        doneAt: at,
      });
      run.requests += Number(e.requests);
    }
    if (e.level === 'error') run.errors.push(String(e.msg));
  }

  /** The contacts sync of the first run that started at or after `t` and finished it. */
  runAfter(t: number): RunRecord | undefined {
    return this.runs.find((r) => r.startedAt >= t && r.syncs.some((s) => s.sync === 'contacts'));
  }

  /** Runs that ran to the end (a next wait was logged). */
  finished(): RunRecord[] {
    return this.runs.filter((r) => r.endedAt !== null && r.buildMs !== null);
  }
}

/** A contact's pqlsync_last_active_at, as ms (HubSpot datetimes are epoch ms; ISO accepted too). */
function lastActiveMs(sandbox: Sandbox, email: string): number | null {
  const value = sandbox.findByUniqueValue('contacts', 'email', email)?.properties.pqlsync_last_active_at;
  if (!value) return null;
  return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
};

export async function runContinuousBench(argv: string[]): Promise<void> {
  const settings = parseSettings(argv);
  const started = new Date();
  const loadAtStart = load();
  log(`${settings.users.toLocaleString('en-US')} users, run --every "${settings.every}", ${settings.rounds} rounds of ${settings.touch} users; sandbox tier ${settings.tier} per ${settings.windowMs} ms (first sync: per ${settings.firstSyncWindowMs} ms); load ${loadAtStart.join(', ')}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pqlsync-continuous-'));
  const quiet = createLogger({ json: true, secrets: [], out: { write: () => true } as unknown as NodeJS.WritableStream, err: process.stderr });
  let sandbox: Sandbox | undefined;
  let runner: { child: ChildProcess; exited: Promise<number | null> } | undefined;
  try {
    const { config, db } = await writeProject(dir);

    // The demo data, its history ending now: the runner's "now" is the clock.
    let t = performance.now();
    const dataEnd = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString();
    const generator = await DuckDBWarehouse.open({ path: db, memoryLimit: '4GB', threads: 2 });
    const counts = await generateDemoData(generator, { users: settings.users, seed: settings.seed, asOf: dataEnd });
    await generator.close();
    const generateMs = Math.round(performance.now() - t);
    log(`generated in ${generateMs} ms: ${Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`);

    sandbox = await startSandbox({ requestsPer10s: settings.tier, windowMs: settings.firstSyncWindowMs, dailyLimit: 1_000_000_000, accessToken: TOKEN });
    const shipped = await loadProject(config);
    for (const group of Object.values(shipped.config.handoff?.routing?.groups ?? {})) for (const email of group.owners ?? []) sandbox.seedOwner({ email });

    // 1. The first build + sync, once.
    t = performance.now();
    const firstEvents: LogEvent[] = [];
    const first = startCli(['run'], config, sandbox, (e) => firstEvents.push(e));
    const firstCode = await first.exited;
    const firstSync = {
      exitCode: firstCode,
      wallMs: Math.round(performance.now() - t),
      buildMs: Number(firstEvents.find((e) => e.event === 'build_done')?.ms ?? NaN),
      syncs: firstEvents.filter((e) => e.event === 'sync_done').map((e) => ({ sync: e.sync, sent: e.sent, requests: e.requests, ms: e.ms, diffMs: e.diff_ms })),
      requests: sandbox.stats.requests,
      rateLimited: sandbox.stats.rateLimited,
      loadAvg: load(),
    };
    log(`first run: exit ${firstCode} in ${firstSync.wallMs} ms (build ${firstSync.buildMs} ms), ${firstSync.requests} requests, ${firstSync.rateLimited} answered 429; ${JSON.stringify(firstSync.syncs)}`);
    if (firstCode !== 0 && firstCode !== 7) {
      throw new Error(`the first run exited ${firstCode}: ${firstEvents.filter((e) => e.level === 'error').map((e) => e.msg).join('; ')}`);
    }

    // The users each round touches: contacts HubSpot holds, spread over the model.
    const picker = await DuckDBWarehouse.open({ path: db });
    const candidates = await picker.query(
      `select user_id, email from ${shipped.config.schema}.contact_sync where email is not null order by hash(user_id, ${settings.seed}) limit ${settings.rounds * settings.touch * 3}`,
    );
    await picker.close();
    const users = candidates
      .map((r) => ({ userId: String(r.user_id), email: String(r.email) }))
      .filter((u) => lastActiveMs(sandbox!, u.email) !== null)
      .slice(0, settings.rounds * settings.touch);
    if (users.length < settings.rounds * settings.touch) throw new Error(`only ${users.length} touchable contacts in the sandbox`);

    // 2. HubSpot's window from now on; the runner starts.
    sandbox.setRateLimit({ windowMs: settings.windowMs, requestsPer10s: settings.tier });
    sandbox.resetStats();
    const continuousStarted = Date.now();
    const tracker = new RunTracker();
    runner = startCli(['run', '--every', settings.every, '--wait', '600'], config, sandbox, (e) => tracker.onEvent(e));
    // The first scheduled run catches up with the minutes since the first sync; rounds start after it.
    const warmupEnd = Date.now() + settings.roundTimeoutMs;
    while (tracker.finished().length < 1) {
      if (Date.now() > warmupEnd) throw new Error('the first scheduled run did not finish');
      await sleep(250);
    }
    log(`first scheduled run done: ${JSON.stringify(tracker.finished()[0])}`);

    // 3. Rounds.
    const rounds: Round[] = [];
    const rand = createPrng(settings.seed);
    const [a, b] = parseSchedule(settings.every).nextRuns(2);
    const intervalMs = b.getTime() - a.getTime();
    for (let r = 0; r < settings.rounds; r++) {
      await sleep(Math.round(rand() * intervalMs));
      const touched = users.slice(r * settings.touch, (r + 1) * settings.touch);
      const readyAt = Date.now();
      // The loader: queue for the file as long as a run holds it (a run at 1 M takes minutes at most).
      const warehouse = await waitForLock(30 * 60_000, quiet, () => DuckDBWarehouse.open({ path: db }));
      const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 2000);
      const expected = at.getTime() + LAST_EVENT_OFFSET_MS;
      let landedAt: number;
      try {
        await touchUsers(warehouse, { userIds: touched.map((u) => u.userId), at: at.toISOString(), kind: TOUCH_KIND });
        landedAt = Date.now();
      } finally {
        await warehouse.close();
      }
      log(`round ${r + 1}: ${touched.length} users' events landed at ${new Date(landedAt).toISOString()} (loader waited ${landedAt - readyAt} ms)`);
      const pending = new Set(touched.map((u) => u.email));
      let deliveredAt: number | null = null;
      const deadline = landedAt + settings.roundTimeoutMs;
      while (Date.now() < deadline) {
        for (const email of [...pending]) if (lastActiveMs(sandbox, email) === expected) pending.delete(email);
        if (pending.size === 0) {
          deliveredAt = Date.now();
          break;
        }
        await sleep(100);
      }
      const round: Round = {
        round: r + 1,
        touched: touched.length,
        readyAt: new Date(readyAt).toISOString(),
        landedAt: new Date(landedAt).toISOString(),
        loaderWaitMs: landedAt - readyAt,
        deliveredAt: deliveredAt === null ? null : new Date(deliveredAt).toISOString(),
        latencyMs: deliveredAt === null ? null : deliveredAt - landedAt,
        run: null,
        waitForTickMs: null,
        runToDeliveredMs: null,
        loadAvg: load(),
      };
      rounds.push(round);
      log(`round ${r + 1}: ${round.latencyMs === null ? `NOT delivered within ${settings.roundTimeoutMs / 1000} s (${pending.size} missing)` : `latency ${round.latencyMs} ms`}; load ${round.loadAvg.join(', ')}`);
    }

    // Let the run under way finish, then stop the loop the way a scheduler does (SIGTERM).
    const lastRuns = tracker.runs.length;
    const endWait = Date.now() + settings.roundTimeoutMs;
    while (tracker.finished().length < lastRuns && Date.now() < endWait) await sleep(250);
    runner.child.kill('SIGTERM');
    const runnerCode = await runner.exited;
    runner = undefined;
    const continuousMs = Date.now() - continuousStarted;
    const stats = { requests: sandbox.stats.requests, rateLimited: sandbox.stats.rateLimited, requestsByRoute: { ...sandbox.stats.requestsByRoute } };

    // Which run delivered each round (its sync_done lines come after the sandbox holds the values).
    for (const round of rounds) {
      const run = tracker.runAfter(Date.parse(round.landedAt));
      if (!run) continue;
      round.run = run.index;
      round.waitForTickMs = run.startedAt - Date.parse(round.landedAt);
      round.runToDeliveredMs = round.deliveredAt === null ? null : Date.parse(round.deliveredAt) - run.startedAt;
    }
    const latencies = rounds.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs]));
    const finished = tracker.finished();
    const summary = {
      command: `npm run bench -- ${argv.join(' ')}`.trim(),
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10, node: process.version, loadAvgAtStart: loadAtStart, loadAvgAtEnd: load() },
      settings: { ...settings, touchKind: TOUCH_KIND },
      data: { rows: counts, generateMs },
      firstSync,
      continuous: {
        wallMs: continuousMs,
        runnerExitCode: runnerCode,
        requests: stats.requests,
        rateLimited: stats.rateLimited,
        requestsByRoute: stats.requestsByRoute,
        limitPer10s: settings.tier,
        windowMs: settings.windowMs,
        averageRequestsPer10s: Math.round((stats.requests / continuousMs) * 10_000 * 100) / 100,
        requestsPerDayAtThisRate: Math.round((stats.requests / continuousMs) * 86_400_000),
      },
      latency: { rounds: latencies.length, delivered: latencies.length, of: rounds.length, medianMs: median(latencies), maxMs: latencies.length ? Math.max(...latencies) : null, minMs: latencies.length ? Math.min(...latencies) : null },
      rounds,
      runs: finished.map((r) => ({ ...r, startedAt: new Date(r.startedAt).toISOString(), endedAt: r.endedAt === null ? null : new Date(r.endedAt).toISOString(), wallMs: r.endedAt === null ? null : r.endedAt - r.startedAt })),
    };
    await mkdir(path.dirname(settings.out), { recursive: true });
    await writeFile(settings.out, `${JSON.stringify(summary, null, 2)}\n`);
    const md = renderMarkdown(summary);
    await writeFile(settings.out.replace(/\.json$/, '') + '.md', md);
    console.log(md);
    log(`wrote ${settings.out}`);
  } finally {
    if (runner) {
      runner.child.kill('SIGTERM');
      await Promise.race([runner.exited, sleep(30_000)]);
      runner.child.kill('SIGKILL');
    }
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}


type Summary = {
  command: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAvgAtStart: number[]; loadAvgAtEnd: number[] };
  settings: Settings & { touchKind: string };
  data: { rows: Record<string, number>; generateMs: number };
  firstSync: { wallMs: number; buildMs: number; requests: number; rateLimited: number };
  continuous: { wallMs: number; requests: number; rateLimited: number; limitPer10s: number; windowMs: number; averageRequestsPer10s: number; requestsPerDayAtThisRate: number; runnerExitCode: number | null };
  latency: { medianMs: number | null; maxMs: number | null; minMs: number | null; delivered: number; of: number };
  rounds: Round[];
  runs: Array<Omit<RunRecord, 'startedAt' | 'endedAt'> & { startedAt: string; endedAt: string | null; wallMs: number | null }>;
};

const s = (ms: number | null | undefined) => (ms === null || ms === undefined || Number.isNaN(ms) ? '–' : (ms / 1000).toFixed(1));

function renderMarkdown(r: Summary): string {
  const lines = [
    '# Event-to-HubSpot latency in continuous mode',
    '',
    `\`${r.command}\``,
    '',
    `${r.settings.users.toLocaleString('en-US')} users on DuckDB (demo data: ${r.data.rows.events.toLocaleString('en-US')} events), the shipped project and models, ` +
      `\`pqlsync run --every "${r.settings.every}" --wait 600\` as a child process against the HubSpot sandbox at ${r.settings.tier} requests per ${r.settings.windowMs / 1000} s window` +
      ` (the first full sync ran before it at a window compressed to ${r.settings.firstSyncWindowMs} ms). Each round lands a login and a feature use for ${r.settings.touch} users` +
      ` and times until every one of them holds the new \`pqlsync_last_active_at\` in the sandbox. Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node};` +
      ` load average ${r.machine.loadAvgAtStart.join(', ')} at the start, ${r.machine.loadAvgAtEnd.join(', ')} at the end (other jobs were running).`,
    '',
    `**Latency (T1 − T0): median ${s(r.latency.medianMs)} s, max ${s(r.latency.maxMs)} s, min ${s(r.latency.minMs)} s; ${r.latency.delivered} of ${r.latency.of} rounds delivered.** ` +
      `T0 is when the loader's insert returned; before it, the loader queued for the DuckDB file while a run held it (the column "loader queued"): an event that is ready while a run is under way lands only when the run ends.`,
    '',
    '| round | latency T1 − T0 (s) | of which waiting for the tick (s) | run start → delivered (s) | run | loader queued for the file before T0 (s) | ready → delivered (s) | load average |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.rounds.map(
      (x) =>
        `| ${x.round} | ${s(x.latencyMs)} | ${s(x.waitForTickMs)} | ${s(x.runToDeliveredMs)} | ${x.run ?? '–'} | ${s(x.loaderWaitMs)} | ${s(x.latencyMs === null ? null : x.latencyMs + x.loaderWaitMs)} | ${x.loadAvg.join(', ')} |`,
    ),
    '',
    'Runs of the loop (wall time from the scheduled start to the next wait; the diff is the plan in the warehouse, sending is the rest of each sync):',
    '',
    '| run | wall (s) | build (s) | tests (s) | contacts: diff / send (s), sent | all syncs: diff / send (s) | requests | slowest models (s) |',
    '| ---: | ---: | ---: | ---: | --- | --- | ---: | --- |',
    ...r.runs.map((run) => {
      const c = run.syncs.find((x) => x.sync === 'contacts');
      const diff = run.syncs.reduce((n, x) => n + (x.diffMs ?? 0), 0);
      const send = run.syncs.reduce((n, x) => n + (x.sendMs ?? 0), 0);
      return `| ${run.index} | ${s(run.wallMs)} | ${s(run.buildMs)} | ${s(run.testMs)} | ${c ? `${s(c.diffMs)} / ${s(c.sendMs)}, ${c.sent}` : '–'} | ${s(diff)} / ${s(send)} | ${run.requests} | ${run.slowestModels.slice(0, 3).map((m) => `${m.model} ${s(m.ms)}${m.incremental ? ` (${m.incremental})` : ''}`).join(', ')} |`;
    }),
    '',
    `Requests while the loop ran: ${r.continuous.requests} in ${s(r.continuous.wallMs)} s (${r.continuous.averageRequestsPer10s} per 10 s on average against a limit of ${r.continuous.limitPer10s}; ` +
      `${r.continuous.requestsPerDayAtThisRate.toLocaleString('en-US')} a day at this rate); answered 429: ${r.continuous.rateLimited}. ` +
      `The first full sync: ${s(r.firstSync.wallMs)} s (build ${s(r.firstSync.buildMs)} s), ${r.firstSync.requests} requests, ${r.firstSync.rateLimited} answered 429. The loop exited ${r.continuous.runnerExitCode} on SIGTERM.`,
    '',
  ];
  return lines.join('\n');
}
