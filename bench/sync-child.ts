/**
 * The measured process: opens the bench project (models already built), and runs only
 * pqlsync's sync step against the sandbox in the parent process (the parent starts one such
 * process per phase), sampling
 * its own RSS. What this process holds: Node, tsx's loader (as bin/pqlsync.js runs it),
 * the pqlsync runner, @hubspot/api-client and DuckDB in-process with its memory limit.
 * The sandbox and the data generation live in other processes.
 *
 * Input: one JSON argument (SyncChildInput). Output: messages to the parent (ipc.ts).
 */
import { aroundEachSend } from '../test/helpers/before-each-send.ts';
import { loadProject } from '../src/config/load-project.ts';
import type { Destination } from '../connectors/destination.ts';
import type { Row } from '../connectors/warehouse.ts';
import { createHubSpotDestination } from '../connectors/hubspot/hubspot.destination.ts';
import { RecordStore } from '../src/state/record-store.ts';
import { closeSession, openSession } from '../src/run/session.ts';
import { syncContext, syncStep } from '../src/run/steps.ts';
import { planSync } from '../src/run/sync.ts';
import { createLogger } from '../src/util/logger.ts';
import { createRpc, sendToParent, type RssSample, type SyncPhaseResult } from './ipc.ts';

export interface SyncChildInput {
  projectFile: string;
  sandboxUrl: string;
  token: string;
  phases: Array<SyncPhaseResult['phase']>;
  sampleEveryMs: number;
  /**
   * What-if, off by default: re-chunk the warehouse stream into pages of exactly the page
   * size, as the fix proposed for `pages()` in src/run/sync.ts would (full batches of 100).
   */
  fullPages?: boolean;
}

const MB = 1024 * 1024;
const input = JSON.parse(process.argv[2]) as SyncChildInput;
const rpc = createRpc();

/** Samples RSS every few ms; `take()` returns the phase's samples and peak and starts anew. */
function rssSampler(everyMs: number) {
  let started = performance.now();
  let samples: RssSample[] = [];
  let peak = 0;
  let heapPeak = 0;
  let externalPeak = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    const mb = usage.rss / MB;
    peak = Math.max(peak, mb);
    heapPeak = Math.max(heapPeak, usage.heapUsed / MB);
    externalPeak = Math.max(externalPeak, usage.external / MB);
    samples.push([Math.round(performance.now() - started), Math.round(mb * 10) / 10]);
  };
  const timer = setInterval(sample, everyMs);
  return {
    take() {
      sample();
      const r = (n: number) => Math.round(n * 10) / 10;
      const out = { samples, peak: r(peak), heapPeak: r(heapPeak), externalPeak: r(externalPeak) };
      started = performance.now();
      samples = [];
      peak = 0;
      heapPeak = 0;
      externalPeak = 0;
      return out;
    },
    stop: () => clearInterval(timer),
  };
}

async function main(): Promise<void> {
  const project = await loadProject(input.projectFile);
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  const log = createLogger({ json: true, secrets: [input.token], out: sink, err: sink });
  // The memory limit comes from the bench pqlsync.yml (warehouse.memory_limit), not the environment.
  const session = await openSession(project, { log, env: {} });
  const sync = session.project.config.syncs[0];
  const inner: Destination = await createHubSpotDestination({
    accessToken: input.token,
    basePath: input.sandboxUrl,
    groupName: project.config.destination.property_group.name,
    groupLabel: project.config.destination.property_group.label,
    requestsPer10s: project.config.destination.requests_per_10s,
    requestsPerDay: project.config.destination.requests_per_day,
  });
  const timing = { firstSend: 0, lastAnswer: 0, busy: 0, gaps: 0, calls: 0, checkpoint: 0, checkpoints: 0 };
  // The real destination, timed around its send calls.
  const destination = aroundEachSend(inner, async (send) => {
    const start = performance.now();
    if (timing.firstSend === 0) timing.firstSend = start;
    else timing.gaps += start - timing.lastAnswer;
    const outcomes = await send();
    timing.lastAnswer = performance.now();
    timing.busy += timing.lastAnswer - start;
    timing.calls++;
    return outcomes;
  });
  // Timing only: the same checkpoint, measured.
  const checkpoint = session.state.checkpoint.bind(session.state);
  session.state.checkpoint = async (...args) => {
    const start = performance.now();
    await checkpoint(...args);
    timing.checkpoint += performance.now() - start;
    timing.checkpoints++;
  };
  if (input.fullPages) {
    const stream = session.warehouse.stream.bind(session.warehouse);
    session.warehouse.stream = (query, pageSize = 2048) => exactPages(stream(query, pageSize), pageSize);
  }
  const ctx = syncContext(session);
  const sampler = rssSampler(input.sampleEveryMs);
  await sendToParent({ type: 'ready', baseRssMb: Math.round((process.memoryUsage.rss() / MB) * 10) / 10 });
  sampler.take();

  for (const phase of input.phases) {
    const extra: Partial<SyncPhaseResult> = {};
    if (phase === 'incremental') {
      // The parent changed the model before starting this process (model building is not the sync step).
      let t = performance.now();
      await (await new RecordStore(session.warehouse, session.state, ctx.schemas).diff(sync, { runId: `${ctx.runId}-diff` })).drop();
      extra.diffMs = Math.round(performance.now() - t);
      t = performance.now();
      await planSync(ctx, sync);
      extra.planMs = Math.round(performance.now() - t);
    }
    await rpc('reset');
    const requestsBefore = inner.stats.requests;
    Object.assign(timing, { firstSend: 0, lastAnswer: 0, busy: 0, gaps: 0, calls: 0, checkpoint: 0, checkpoints: 0 });
    const cpu = process.cpuUsage();
    const started = performance.now();
    const [result] = await syncStep(session, destination, [sync]);
    const wallMs = performance.now() - started;
    const cpuUsed = process.cpuUsage(cpu);
    const sandbox = await rpc('stats');
    const rss = sampler.take();
    const out: SyncPhaseResult = {
      phase,
      rows: result.plan.diff.rows,
      toSend: result.plan.toSend,
      sent: result.sent,
      delivered: result.delivered,
      failed: result.failed,
      destinationRequests: inner.stats.requests - requestsBefore,
      sandbox,
      wallMs: Math.round(wallMs),
      sendWindowMs: timing.firstSend === 0 ? 0 : Math.round(timing.lastAnswer - timing.firstSend),
      sendBusyMs: Math.round(timing.busy),
      sendGapsMs: Math.round(timing.gaps),
      checkpointMs: Math.round(timing.checkpoint),
      checkpoints: timing.checkpoints,
      sendCalls: timing.calls,
      cpuMs: Math.round((cpuUsed.user + cpuUsed.system) / 1000),
      heapUsedPeakMb: rss.heapPeak,
      externalPeakMb: rss.externalPeak,
      ...extra,
      rssPeakMb: rss.peak,
      maxRssMb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
      rssSamples: rss.samples,
    };
    await sendToParent({ type: 'phase', result: out });
  }
  sampler.stop();
  await closeSession(session);
}

/** Pages of exactly `size` rows (the last may be shorter), carrying leftovers across the stream's pages. */
async function* exactPages(stream: AsyncIterable<Row[]>, size: number): AsyncIterable<Row[]> {
  let carry: Row[] = [];
  for await (const page of stream) {
    carry = carry.length > 0 ? carry.concat(page) : page;
    while (carry.length >= size) {
      yield carry.slice(0, size);
      carry = carry.slice(size);
    }
  }
  if (carry.length > 0) yield carry;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
