/**
 * The library entry (`import { run, sync, plan } from 'pqlsync'`) does what the CLI does, from code:
 * build, test, sync; a dry run plans; errors are PqlsyncErrors with the CLI's exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, EXIT, exitCodeFor, plan, run, sync } from '../../src/index.ts';
import { AS_OF, opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';

let f: OpsFixture;
beforeAll(async () => {
  f = await opsFixture({ users: 150 });
}, 60_000);
afterAll(async () => f?.cleanup());

describe('the library entry', () => {
  it('run() builds, tests and syncs; then plan() and a dry run see nothing left; sync() sends only a change', async () => {
    const first = await run({ config: f.config, env: f.env, asOf: AS_OF });
    expect(first.built.map((m) => m.name)).toContain('people_scores');
    expect(first.syncs).toHaveLength(1);
    expect(first.syncs[0]).toMatchObject({ sent: 150, delivered: 150, failed: 0 });
    expect(f.sandbox.records('contacts')).toHaveLength(150);

    expect((await plan({ config: f.config, env: f.env, asOf: AS_OF }))[0]).toMatchObject({ sync: 'contact_sync', toSend: 0 });
    const dry = await run({ config: f.config, env: f.env, asOf: AS_OF, dryRun: true });
    expect(dry.syncs).toEqual([]);
    expect(dry.plans[0].toSend).toBe(0);

    await f.sql((w) => w.execute('update pqlsync_models.people_scores set pql_score = 100 where email in (select email from pqlsync_models.people_scores order by email limit 3)'));
    const [changed] = await sync({ config: f.config, env: f.env, asOf: AS_OF });
    expect(changed).toMatchObject({ sent: 3, delivered: 3, failed: 0 });
  });

  it('a whole-run failure throws a PqlsyncError whose exit code is the CLI one', async () => {
    await f.sql((w) => w.execute("update pqlsync_models.people_scores set pql_reason = 'changed' where email in (select email from pqlsync_models.people_scores order by email limit 1)"));
    const error = await sync({ config: f.config, env: { ...f.env, HUBSPOT_ACCESS_TOKEN: 'pat-wrong' }, asOf: AS_OF }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(exitCodeFor(error)).toBe(EXIT.auth);
  });

  it('the library\'s runs are in the run log beside the CLI\'s, with the same exit codes; a dry run is not', async () => {
    const { events } = await f.cli(['status']);
    const log = events.find((e) => e.event === 'status').run_log.map((r: { command: string; exit_code: number; status: string }) => [r.command, r.exit_code, r.status]);
    // Newest first: the failed sync (bad token), the sync, the run. No dry run.
    expect(log).toEqual([
      ['sync', EXIT.auth, 'failed'],
      ['sync', EXIT.ok, 'success'],
      ['run', EXIT.ok, 'success'],
    ]);
  });
});
