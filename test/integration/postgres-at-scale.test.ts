/**
 * Nothing lost on PostgreSQL at real sizes, with default page, checkpoint and batch sizes:
 * a first sync of every row, a run with many changes and a removed set (on_removed: clear),
 * and a full backfill. During each sync, a pull request's `build` and `plan` (another model,
 * another mapping, a schema of its own) and a production `plan` run again and again beside it;
 * the sync must deliver exactly its own plan. Checked record by record against the model, and
 * by a final plan that finds nothing left to send.
 *
 * Issue 9: before the fix, the first sync sent 1,000 rows and exited 0 (the runner regrouped
 * pages by splicing the array the PostgreSQL stream still read), and a plan beside a sync
 * rewrote the changes table the sync was streaming.
 * PQLSYNC_SCALE_USERS sets the size (default 12,000; the closing note's run used 50,000).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { personEmail, NO_GUARDRAILS, postgresFixture, pullRequestProject, type PostgresFixture } from '../helpers/postgres-fixture.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const USERS = Number(process.env.PQLSYNC_SCALE_USERS ?? 12_000);
const CHANGED = Math.round(USERS * 0.4);
const REMOVED = Math.round(USERS * 0.04);

noteSkippedPostgres('PostgreSQL at scale');

describe.skipIf(!postgresUrl)(`PostgreSQL at scale (${USERS} contacts, default sizes)`, () => {
  let f: PostgresFixture;
  let prConfig: string;
  let prSchema: string;

  beforeAll(async () => {
    f = await postgresFixture({
      users: USERS,
      onRemoved: 'clear',
      // 190 requests a 10 s window (Professional), the window shortened to 1 s for the suite;
      // answers take 150 ms, so that plans and builds complete while the sync sends.
      sandbox: { requestsPer10s: 190, windowMs: 1000, latencyMs: 150 },
      edit: (c) => {
        c.destination.requests_per_10s = 190;
        c.syncs[0].guardrails = NO_GUARDRAILS;
      },
    });
    // The pull request: another model and another mapping, the same sync name.
    ({ config: prConfig, schema: prSchema } = await pullRequestProject(f));
  }, 120_000);

  afterAll(async () => f?.cleanup());

  /**
   * Runs `args` while a pull request's build + plan and a production plan loop beside it,
   * starting once HubSpot has seen the sync's first requests. Answers the sync's result and
   * how many side plans completed while it sent.
   */
  async function syncBesidePlans(args: string[]) {
    let done = false;
    const before = f.sandbox.stats.requests;
    const sync = f.cli(args).finally(() => (done = true));
    let sidePlans = 0;
    const side = (async () => {
      while (!done && f.sandbox.stats.requests < before + 3) await new Promise((r) => setTimeout(r, 20));
      while (!done) {
        const results = await Promise.all([
          f.cli(['build', '--models-schema', prSchema], { config: prConfig }).then((r) => (r.code === EXIT.ok ? f.cli(['plan', '--models-schema', prSchema], { config: prConfig }) : r)),
          f.cli(['plan']),
        ]);
        if (!done) sidePlans += results.filter((r) => r.code === EXIT.ok).length;
      }
    })();
    const [result] = await Promise.all([sync, side]);
    const summary = result.events.find((e) => e.event === 'sync_done');
    console.log(JSON.stringify({ command: args.join(' '), users: USERS, exit: result.code, ...(summary && { new: summary.new, changed: summary.changed, removed: summary.removed, sent: summary.sent, delivered: summary.delivered, requests: summary.requests, ms: summary.ms }), sidePlansDuringSync: sidePlans }));
    return { result, sidePlans };
  }

  async function expectHubSpotEqualsModel(removed: Set<string>) {
    expect((await f.compareWithModel(USERS, removed)).slice(0, 10)).toEqual([]);
  }

  async function expectNothingLeftToSend(stateRows: number) {
    const left = await f.leftOver();
    expect(left.plan).toMatchObject({ new: 0, changed: 0, retrying: 0, removed: 0, to_send: 0 });
    expect(left.stateRows).toBe(stateRows);
    expect(left.runTables, 'per-run tables left behind').toBe(0);
  }

  it('delivers every row of a first sync, with plans and a pull request build running beside it', async () => {
    const { result, sidePlans } = await syncBesidePlans(['run']);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.events.find((e) => e.event === 'sync_done')).toMatchObject({ new: USERS, sent: USERS, delivered: USERS, failed: 0 });
    expect(sidePlans).toBeGreaterThan(0);
    await expectHubSpotEqualsModel(new Set());
    await expectNothingLeftToSend(USERS);
  });

  it('delivers exactly the changed rows and clears exactly the removed ones', async () => {
    await f.sql(async (w) => {
      const people = w.dialect.table({ schema: f.schemas.raw, name: 'people' });
      await w.execute(`update ${people} set score = (score + 7) % 100 where id <= ${CHANGED}`);
      await w.execute(`update ${people} set is_active = false where id > ${USERS - REMOVED}`);
    });
    const { result, sidePlans } = await syncBesidePlans(['run']);
    expect(result.code, result.err).toBe(EXIT.ok);
    const done = result.events.find((e) => e.event === 'sync_done');
    expect(done.removed).toBe(REMOVED);
    expect(done.changed).toBe(CHANGED);
    expect(done.sent).toBe(CHANGED + REMOVED);
    expect(done.delivered).toBe(done.sent);
    expect(sidePlans).toBeGreaterThan(0);
    const removed = new Set(Array.from({ length: REMOVED }, (_, i) => personEmail(USERS - i)));
    await expectHubSpotEqualsModel(removed);
    await expectNothingLeftToSend(USERS - REMOVED);
  });

  it('backfills every row, whatever state says', async () => {
    f.sandbox.resetStats();
    const { result, sidePlans } = await syncBesidePlans(['backfill', 'contact_sync', '--full', '--yes']);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.events.find((e) => e.event === 'sync_done')).toMatchObject({ sent: USERS - REMOVED, delivered: USERS - REMOVED });
    expect(f.sandbox.stats.recordsWritten).toBe(USERS - REMOVED);
    expect(sidePlans).toBeGreaterThan(0);
    await expectNothingLeftToSend(USERS - REMOVED);
    expect(await f.cli(['backfill', 'contact_sync', '--resume', '--yes']).then((r) => r.err)).toMatch(/no unfinished backfill/);
  });
});
