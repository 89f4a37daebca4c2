/**
 * A bad model change lands (forced past the guardrail), then `pqlsync rollback <run>` puts every
 * contact back as it was before the bad run: 2,500 records (past one page and one checkpoint at
 * the default sizes), killed with SIGKILL halfway and run again, on DuckDB and PostgreSQL. A
 * contact a rep edited after the bad run is listed and keeps the rep's value; the contacts the
 * bad run created are listed and kept; nothing is written twice.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { ENGINES, engineFixture, type EngineFixture } from '../helpers/both-warehouses.ts';
import { AS_OF } from '../helpers/ops-fixture.ts';
import { REPO } from '../helpers/project.ts';

let f: EngineFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

const USERS = 2500;
const PROPERTIES = ['pql_score', 'pql_tier', 'pql_reason'] as const;

/** `pqlsync rollback` in a process of its own, SIGKILLed once HubSpot has taken `afterWrites` records. */
async function rollbackKilled(fx: EngineFixture, runId: string, afterWrites: number): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/pqlsync.js'), 'rollback', runId, '--config', fx.config, '--json', '--as-of', AS_OF], {
    env: { ...process.env, ...fx.env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const poll = setInterval(() => {
    if (fx.sandbox.stats.recordsWritten >= afterWrites) child.kill('SIGKILL');
  }, 1);
  try {
    return await exited;
  } finally {
    clearInterval(poll);
  }
}

describe.each(ENGINES)('rollback on %s', (engine) => {
  it('puts back every record the bad run changed, leaves the rep-edited one and the created ones, resumes after a kill without writing twice', async () => {
    // Each write takes a while, so the kill lands in the middle of the rollback.
    f = await engineFixture(engine, { users: USERS, sandbox: { latencyMs: 25 } });
    const fx = f;
    const first = await fx.cli(['run']);
    expect(first.code, first.err).toBe(EXIT.ok);
    // A normal day first, so "before the bad run" is not the first run's values.
    await fx.exec(`update ${fx.people} set score = score + 3 where id % 7 = 0`);
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    const snapshot = () => new Map(fx.sandbox.records('contacts').map((r) => [r.properties.email, r] as const));
    const before = snapshot();
    expect(before.size).toBe(USERS);

    // The bad change: every score 1,000 too high (every tier hot), and ten new people.
    await fx.exec(
      `update ${fx.people} set score = score + 1000`,
      `insert into ${fx.people} select id + 100000, 'newcomer' || cast(id as varchar) || '@example.com', score, updated_at, is_active from ${fx.people} where id <= 10`,
    );
    expect((await fx.cli(['run'])).code).toBe(EXIT.guardrail);
    const bad = await fx.cli(['run', '--force']);
    expect(bad.code, bad.err).toBe(EXIT.ok);
    const [{ run_id: badRun }] = await fx.query(`select run_id from ${fx.state}.runs where status = 'success' and sync_name = 'contact_sync' order by started_at desc limit 1`);
    const afterBad = snapshot();
    expect([...afterBad.values()].every((r) => r.properties.pql_tier === 'hot')).toBe(true);

    // A rep edits one contact after the bad run.
    const edited = [...before.values()][42];
    fx.sandbox.editRecord('contacts', edited.id, { pql_score: '17' });

    // The plan: what would be put back, and what is listed; nothing sent, nothing read.
    fx.sandbox.resetStats();
    const dry = await fx.cli(['rollback', String(badRun), '--dry-run']);
    expect(dry.code, dry.err).toBe(EXIT.ok);
    expect(dry.events.find((e) => e.event === 'rollback_plan')).toMatchObject({ resumed: false, counts: { restore: USERS, new: 10 } });
    expect(fx.sandbox.stats.requests).toBe(0);

    // Killed halfway, then run again.
    expect(await rollbackKilled(fx, String(badRun), 1200)).toBe('SIGKILL');
    const writtenBeforeKill = fx.sandbox.stats.recordsWritten;
    expect(writtenBeforeKill).toBeGreaterThanOrEqual(1200);
    expect(writtenBeforeKill).toBeLessThan(USERS - 1);
    const resumed = await fx.cli(['rollback', String(badRun)]);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    const resumedPlan = resumed.events.find((e) => e.event === 'rollback_plan');
    expect(resumedPlan).toMatchObject({ resumed: true });
    const done = resumed.events.find((e) => e.event === 'rollback_done');
    // What the killed attempt wrote is either in its checkpoints or found back in HubSpot on the rerun.
    expect((resumedPlan.counts.restored ?? 0) + done.already).toBe(writtenBeforeKill);
    expect(done.already, 'records written after the last checkpoint before the kill').toBeGreaterThan(0);
    expect(done).toMatchObject({ edited: 1, failed: 0, counts: { new: 10, edited: 1 } });
    expect(done.listed.edited).toEqual([{ key: edited.properties.email, message: expect.stringContaining('pql_score: HubSpot "17"') }]);
    // Every record put back was written exactly once, across the killed attempt and the rerun.
    expect(fx.sandbox.stats.recordsWritten).toBe(USERS - 1);
    expect(done.counts.restored + (done.counts.already ?? 0)).toBe(USERS - 1);

    // HubSpot, record by record: as before the bad run, but the rep's edit; the created ones kept.
    const after = snapshot();
    expect(after.size).toBe(USERS + 10);
    for (const [email, record] of before) {
      for (const p of PROPERTIES) {
        // The edited contact is left as the rep left it: the rep's score, the bad run's other values.
        const expected = record.id === edited.id ? (p === 'pql_score' ? '17' : afterBad.get(email)!.properties[p]) : record.properties[p];
        expect(after.get(email)?.properties[p], `${email}.${p}`).toBe(expected);
      }
    }
    expect([...after.keys()].filter((e) => e.startsWith('newcomer'))).toHaveLength(10);

    // A rollback run again does nothing more.
    fx.sandbox.resetStats();
    const again = await fx.cli(['rollback', String(badRun)]);
    expect(again.events.find((e) => e.event === 'rollback_done')).toMatchObject({ sent: 0, restored: 0 });
    expect(fx.sandbox.stats.recordsWritten).toBe(0);

    // State was moved back too: with the model fixed, a sync sends only the rep-edited contact
    // (pqlsync owns the property) and nothing for the records put back.
    await fx.exec(`update ${fx.people} set score = score - 1000`, `delete from ${fx.people} where id > 100000`);
    const plan = (await fx.cli(['run', '--dry-run'])).events.find((e) => e.event === 'plan');
    expect(plan).toMatchObject({ to_send: 1, changed: 1 });

    // status says which runs can be rolled back.
    const status = await fx.cli(['status']);
    const runs = status.events.find((e) => e.event === 'status').runs;
    expect(runs.find((r: any) => r.run_id === badRun && r.sync_name === 'contact_sync').rollback).toBe('rolled back');
    const normalDay = runs.filter((r: any) => r.sync_name === 'contact_sync' && r.command !== 'rollback' && r.status === 'success' && r.run_id !== badRun);
    expect(normalDay.map((r: any) => r.rollback)).toEqual([expect.stringMatching(/^yes: \d+ records, until /), expect.stringMatching(/^yes: 2500 records, until /)]);
  });
});
