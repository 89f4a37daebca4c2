/**
 * An interrupted backfill resumes: stopped after two pages (the signal a SIGTERM raises),
 * it committed what landed; the same command then sends the rest and nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../connectors/registry.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { backfillSyncOptions, prepareBackfill } from '../../src/run/backfill.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { syncContext, syncStep } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { memoryLogger } from '../helpers/project.ts';
import { AS_OF, opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';

let f: OpsFixture;
beforeAll(async () => {
  f = await opsFixture({ users: 300 });
  const first = await f.cli(['run']);
  expect(first.code, first.err).toBe(EXIT.ok);
}, 120_000);
afterAll(async () => f?.cleanup());

function stamps(): Map<string, string> {
  return new Map(f.sandbox.records('contacts').map((r) => [r.properties.email, r.updatedAt]));
}
function writtenSince(before: Map<string, string>): string[] {
  return [...stamps()].filter(([email, at]) => before.get(email) !== at).map(([email]) => email).sort();
}

describe('an interrupted backfill', () => {
  it('stops after the page under way, keeps what landed, and the same command sends only the rest', async () => {
    const project = await loadProject(f.config);
    const log = createLogger({ json: true, secrets: [], out: memoryLogger().sink, err: memoryLogger().sink });
    const session = await openSession(project, { log, env: f.env, asOf: AS_OF });
    const sync = project.config.syncs[0];
    const ctx = syncContext(session);
    const before = stamps();
    f.sandbox.resetStats();
    const controller = new AbortController();
    let firstPart: Awaited<ReturnType<typeof syncStep>>[number];
    try {
      const prepared = await prepareBackfill(ctx, sync, { selection: { kind: 'full' } });
      expect(prepared.total).toBe(300);
      const destination = await openDestination(project.config.destination, { env: f.env });
      [firstPart] = await syncStep(session, destination, [sync], {
        pageSize: 50,
        checkpointEvery: 50,
        signal: controller.signal,
        // SIGTERM after the second page: the third is never read.
        onProgress: (p) => p.sent >= 100 && controller.abort(),
      }, backfillSyncOptions(prepared));
    } finally {
      await closeSession(session);
    }
    expect(firstPart.stopped).toBe(true);
    expect(firstPart.sent).toBe(100);
    const landed = writtenSince(before);
    expect(landed).toHaveLength(100);
    expect(f.sandbox.stats.recordsWritten).toBe(100);

    // Another selection cannot start while this one is unfinished.
    const other = await f.cli(['backfill', 'contact_sync', '--where', 'pql_score > 50', '--yes']);
    expect(other.code).toBe(EXIT.config);
    expect(other.err).toMatch(/unfinished backfill of 'contact_sync'.*100 of 300 sent.*--resume/);

    const mid = stamps();
    f.sandbox.resetStats();
    const rest = await f.cli(['backfill', 'contact_sync', '--full', '--yes']);
    expect(rest.code, rest.err).toBe(EXIT.ok);
    const plan = rest.events.find((e) => e.event === 'backfill_plan');
    expect(plan).toMatchObject({ resumed: true, selected: 300, sent_before: 100, to_send: 200 });
    const second = writtenSince(mid);
    expect(second).toHaveLength(200);
    expect(f.sandbox.stats.recordsWritten).toBe(200);
    expect(second.filter((email) => landed.includes(email))).toEqual([]);
    expect(new Set([...landed, ...second]).size).toBe(300);

    // State moved forward for every key, and the finished backfill left nothing to resume.
    const inState = await f.sql(async (w) => (await w.query("select count(*) as n from pqlsync.sync_state where sync_name = 'contact_sync'"))[0].n);
    expect(inState).toBe(300);
    expect((await f.cli(['backfill', 'contact_sync', '--resume', '--yes'])).code).toBe(EXIT.config);
    const runs = (await f.cli(['status'])).events.find((e) => e.event === 'status').runs as Record<string, unknown>[];
    expect(runs.filter((r) => r.command === 'backfill').map((r) => r.status)).toEqual(['success', 'stopped']);
  });

  it('continues with --resume after a stop by the CLI signal, sending nothing twice', async () => {
    // A signal already raised: the backfill stops before its first page and keeps its selection.
    const stopped = new AbortController();
    stopped.abort();
    f.sandbox.resetStats();
    const first = await f.cli(['backfill', 'contact_sync', '--where', 'pql_tier = \'hot\'', '--yes'], { signal: stopped.signal });
    expect(first.code, first.err).toBe(EXIT.ok);
    expect(first.events.find((e) => e.event === 'backfill_stopped')).toBeDefined();
    expect(f.sandbox.stats.recordsWritten).toBe(0);
    const hot = await f.sql(async (w) => (await w.query("select count(*) as n from pqlsync_models.people_scores where pql_tier = 'hot'"))[0].n);
    const resumed = await f.cli(['backfill', 'contact_sync', '--resume', '--yes']);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    expect(resumed.events.find((e) => e.event === 'backfill_plan')).toMatchObject({ resumed: true, to_send: hot });
    expect(f.sandbox.stats.recordsWritten).toBe(hot);
  });
});
