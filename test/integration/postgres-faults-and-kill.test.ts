/**
 * The delivery guarantees on PostgreSQL, at 10,000 contacts with a removed set and default
 * page, checkpoint and batch sizes:
 * - a run under about 10 % of requests failing in random ways (429s, 5xx, 423, resets, answers
 *   lost after HubSpot applied the write) exits 0 with HubSpot equal to the model;
 * - `pqlsync sync` as a child process, SIGKILLed in the middle of a first sync and of a run
 *   with changes and removed rows (clear): the rerun leaves HubSpot equal to the model, no
 *   record twice, and state with nothing left to send.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FAULT_MIX } from '../helpers/faults-harness.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { personEmail, NO_GUARDRAILS, postgresFixture, startChildSync, type PostgresFixture } from '../helpers/postgres-fixture.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const USERS = 10_000;
const REMOVED = 500;
const CHANGED = 3000;


noteSkippedPostgres('PostgreSQL faults and kills');

let f: PostgresFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

function fixture(sandbox: Parameters<typeof postgresFixture>[0]['sandbox'] = {}) {
  return postgresFixture({
    users: USERS,
    onRemoved: 'clear',
    sandbox: { requestsPer10s: 190, windowMs: 1000, ...sandbox },
    edit: (c) => {
      c.destination.requests_per_10s = 190;
      c.syncs[0].guardrails = NO_GUARDRAILS;
    },
  });
}

/** 3,000 scores move, the last 500 people leave the model. */
async function changeAndRemove(fx: PostgresFixture): Promise<Set<string>> {
  await fx.sql(async (w) => {
    const people = w.dialect.table({ schema: fx.schemas.raw, name: 'people' });
    await w.execute(`update ${people} set score = (score + 13) % 100 where id <= ${CHANGED}`);
    await w.execute(`update ${people} set is_active = false where id > ${USERS - REMOVED}`);
  });
  expect((await fx.cli(['build'])).code).toBe(EXIT.ok);
  return new Set(Array.from({ length: REMOVED }, (_, i) => personEmail(USERS - i)));
}

async function expectEqualToModel(fx: PostgresFixture, removed: Set<string>) {
  expect((await fx.compareWithModel(USERS, removed)).slice(0, 10)).toEqual([]);
  const left = await fx.leftOver();
  expect(left.plan).toMatchObject({ new: 0, changed: 0, retrying: 0, removed: 0, to_send: 0 });
  expect(left.stateRows).toBe(USERS - removed.size);
  expect(left.runTables).toBe(0);
}

describe.skipIf(!postgresUrl)('PostgreSQL under HubSpot faults (10,000 contacts, default sizes)', () => {
  it('a first sync and a run with changes and removed rows each land everything once, in one run', async () => {
    f = await fixture({ faults: { seed: 7, rules: FAULT_MIX } });
    const first = await f.cli(['run']);
    expect(first.code, first.err).toBe(EXIT.ok);
    await expectEqualToModel(f, new Set());
    const removed = await changeAndRemove(f);
    const second = await f.cli(['sync']);
    expect(second.code, second.err).toBe(EXIT.ok);
    expect(second.events.find((e) => e.event === 'sync_done')).toMatchObject({ changed: CHANGED, removed: REMOVED, delivered: CHANGED + REMOVED });
    expect(f.sandbox.stats.faultsInjected).toBeGreaterThan(5);
    await expectEqualToModel(f, removed);
  }, 120_000);
});

describe.skipIf(!postgresUrl)('PostgreSQL, sync SIGKILLed mid-run (10,000 contacts, default sizes)', () => {
  /** Kills a child sync once `afterRecords` records were written, then reruns it to the end. */
  async function killThenRerun(fx: PostgresFixture, afterRecords: number) {
    const before = fx.sandbox.stats.recordsWritten;
    const run = startChildSync(fx);
    const poll = setInterval(() => {
      if (fx.sandbox.stats.recordsWritten - before >= afterRecords) run.child.kill('SIGKILL');
    }, 1);
    const { signal, code } = await run.exited;
    clearInterval(poll);
    expect(signal, `finished before the kill (exit ${code}): ${run.output().slice(-800)}`).toBe('SIGKILL');
    // Killed: never a record twice, and never a key in state that HubSpot does not hold.
    const held = new Set(fx.sandbox.records('contacts').map((r) => r.properties.email));
    expect(held.size).toBe(fx.sandbox.records('contacts').length);
    const state = await fx.sql((w) => w.query(`select record_key from "${fx.schemas.state}".sync_state`));
    expect(state.filter((r) => !held.has(String(r.record_key)))).toEqual([]);
    const rerun = startChildSync(fx);
    const done = await rerun.exited;
    expect(done.code, rerun.output().slice(-2000)).toBe(EXIT.ok);
    return state.length;
  }

  it('the rerun after a kill in a first sync, and after a kill in a run with changes and removed rows, equals the model', async () => {
    // Answers take a little while, so the kill lands while pages and checkpoints are in flight.
    f = await fixture({ latencyMs: 40 });
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
    const committedAtFirstKill = await killThenRerun(f, 7_000);
    expect(committedAtFirstKill).toBeGreaterThan(0); // a checkpoint (2,000) had committed
    expect(committedAtFirstKill).toBeLessThan(USERS);
    await expectEqualToModel(f, new Set());
    const removed = await changeAndRemove(f);
    await killThenRerun(f, CHANGED + 200); // while clearing the removed rows
    await expectEqualToModel(f, removed);
  }, 180_000);
});
