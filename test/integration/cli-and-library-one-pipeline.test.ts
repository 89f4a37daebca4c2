/**
 * One pipeline: `pqlsync run|sync|backfill` and `import { run, sync, backfill } from 'pqlsync'` go
 * through the same entry points (src/run/pipeline.ts), so the same scenario on two copies of one
 * project leaves the same records in HubSpot and the same run history: the run log (command,
 * status, exit code) and the per-sync runs (command, status, counts, requests).
 *
 * The scenario: a dry run, a run, a change of 130 rows (more than one batch of 100) then a sync,
 * a dry-run backfill, a full backfill of 250 rows (three batches, pages past one checkpoint).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill, run, sync } from '../../src/index.ts';
import { AS_OF, opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';

const USERS = 250;
let cli: OpsFixture;
let lib: OpsFixture;

beforeAll(async () => {
  cli = await opsFixture({ users: USERS, edit: loosenGuardrails });
  lib = await opsFixture({ users: USERS, edit: loosenGuardrails });
}, 60_000);
afterAll(async () => {
  await cli?.cleanup();
  await lib?.cleanup();
});

/** The change below moves more than half the rows: a scenario, not an accident. */
function loosenGuardrails(config: Record<string, any>): void {
  config.syncs[0].guardrails = { ...config.syncs[0].guardrails, max_changed_share: 1, max_tier_shift: 1 };
}

const CHANGE = "update pqlsync_models.people_scores set pql_reason = 'changed' where email in (select email from pqlsync_models.people_scores order by email limit 130)";

/** What the portal holds, without the ids and times that differ between two portals. */
function portal(f: OpsFixture): Array<Record<string, string | undefined>> {
  return f.sandbox
    .records('contacts')
    .map((r) => ({ email: r.properties.email, pql_score: r.properties.pql_score, pql_tier: r.properties.pql_tier, pql_reason: r.properties.pql_reason }))
    .sort((a, b) => String(a.email).localeCompare(String(b.email)));
}

async function history(f: OpsFixture): Promise<{ runLog: unknown[]; runs: unknown[]; state: unknown[] }> {
  return f.sql(async (w) => ({
    runLog: (await w.query('select command, status, exit_code from pqlsync.run_log order by started_at')).map((r) => ({ ...r, exit_code: Number(r.exit_code) })),
    runs: (
      await w.query(
        'select command, sync_name, status, n_rows, n_new, n_changed, n_unchanged, n_removed, n_sent, n_failed, requests from pqlsync.runs order by started_at',
      )
    ).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))),
    state: await w.query('select sync_name, record_key, row_hash from pqlsync.sync_state order by record_key'),
  }));
}

describe('the CLI and the library run one pipeline', () => {
  it('run, dry run, sync and backfill leave the same records and the same run history', async () => {
    // A dry run: built and tested, nothing sent, nothing in the run log.
    const dryCli = await cli.cli(['run', '--dry-run']);
    const dryLib = await run({ config: lib.config, env: lib.env, asOf: AS_OF, dryRun: true });
    expect(dryCli.code).toBe(0);
    expect(dryLib.exitCode).toBe(0);
    const planned = dryCli.events.find((e) => e.event === 'plan');
    expect(dryLib.plans[0].toSend).toBe(USERS);
    expect(planned.to_send).toBe(USERS);
    expect(dryLib.associationPlans.get('contact_sync')).toEqual([]);
    expect(cli.sandbox.records('contacts')).toHaveLength(0);
    expect(lib.sandbox.records('contacts')).toHaveLength(0);

    // A run.
    expect((await cli.cli(['run'])).code).toBe(0);
    const first = await run({ config: lib.config, env: lib.env, asOf: AS_OF });
    expect(first.exitCode).toBe(0);
    expect(first.syncs[0]).toMatchObject({ sent: USERS, delivered: USERS, failed: 0 });
    expect(portal(lib)).toHaveLength(USERS);
    expect(portal(cli)).toEqual(portal(lib));

    // 130 rows change; a sync sends them.
    await cli.sql((w) => w.execute(CHANGE));
    await lib.sql((w) => w.execute(CHANGE));
    expect((await cli.cli(['sync'])).code).toBe(0);
    const [changed] = await sync({ config: lib.config, env: lib.env, asOf: AS_OF });
    expect(changed).toMatchObject({ sent: 130, delivered: 130, failed: 0 });
    expect(portal(lib).filter((r) => r.pql_reason === 'changed')).toHaveLength(130);
    expect(portal(cli)).toEqual(portal(lib));

    // A dry-run backfill sends nothing and is not in the run log; a full one re-sends every row.
    expect((await cli.cli(['backfill', 'contact_sync', '--full', '--dry-run'])).code).toBe(0);
    const dryBackfill = await backfill({ config: lib.config, env: lib.env, asOf: AS_OF, sync: 'contact_sync', selection: { kind: 'full' }, dryRun: true });
    expect(dryBackfill.exitCode).toBe(0);
    expect(dryBackfill.result).toBeUndefined();
    expect(dryBackfill.plan.toSend).toBe(USERS);
    const requestsBefore = [cli.sandbox.stats.requests, lib.sandbox.stats.requests];
    expect((await cli.cli(['backfill', 'contact_sync', '--full', '--yes'])).code).toBe(0);
    const full = await backfill({ config: lib.config, env: lib.env, asOf: AS_OF, sync: 'contact_sync', selection: { kind: 'full' } });
    expect(full.exitCode).toBe(0);
    expect(full.result).toMatchObject({ sent: USERS, delivered: USERS, failed: 0 });
    expect(cli.sandbox.stats.requests - requestsBefore[0]).toBeGreaterThanOrEqual(3);
    expect(lib.sandbox.stats.requests - requestsBefore[1]).toBe(cli.sandbox.stats.requests - requestsBefore[0]);
    expect(portal(cli)).toEqual(portal(lib));

    const [h1, h2] = [await history(cli), await history(lib)];
    expect(h1.runLog).toEqual([
      { command: 'run', status: 'success', exit_code: 0 },
      { command: 'sync', status: 'success', exit_code: 0 },
      { command: 'backfill', status: 'success', exit_code: 0 },
    ]);
    expect(h2.runLog).toEqual(h1.runLog);
    expect(h1.runs.map((r: any) => [r.command, r.n_sent])).toEqual([
      ['sync', USERS],
      ['sync', 130],
      ['backfill', USERS],
    ]);
    expect(h2.runs).toEqual(h1.runs);
    expect(h1.state).toHaveLength(USERS);
    expect(h2.state).toEqual(h1.state);
  });
});
