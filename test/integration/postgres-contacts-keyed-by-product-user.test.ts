/**
 * Contacts keyed by a stable product key (pqlsync_user_key; docs/hubspot.md, "Contact identity")
 * on PostgreSQL, at 2,500 people with default page, checkpoint (2,000) and batch sizes: under
 * lost answers on every contact request and under a random 10 % mix, the first sync stamps the
 * contacts that existed before pqlsync (by primary or secondary email) and creates the rest,
 * each once; then 300 people change email and the next sync moves each email on the same
 * contact. And `pqlsync sync` SIGKILLed past its first checkpoint: the rerun makes no contact
 * twice. HubSpot equals the model, record by record, and no contact is held twice.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../connectors/hubspot/sandbox/index.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { FAULT_MIX } from '../helpers/faults-harness.ts';
import { NO_GUARDRAILS, personEmail, postgresFixture, startChildSync, type PostgresFixture } from '../helpers/postgres-fixture.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const USERS = 2500;
const EXISTING = 40;
const MOVED = 300;

noteSkippedPostgres('contacts keyed by product user on PostgreSQL');

/** people_scores with the product's user id, the key of the sync. */
const KEYED_MODEL = `/*
materialized: table
unique_key: person_id
tests:
  unique: [person_id]
  not_null: [person_id]
*/
select
  cast(person_id as varchar) as person_id,
  email,
  score as pql_score,
  case when score >= 80 then 'hot' when score >= 40 then 'warm' else 'cold' end as pql_tier,
  'score ' || cast(score as varchar) as pql_reason,
  updated_at
from {{ ref('stg_people') }}
where is_active`;

let f: PostgresFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

async function keyedFixture(sandbox: NonNullable<Parameters<typeof postgresFixture>[0]['sandbox']>): Promise<PostgresFixture> {
  const fx = await postgresFixture({
    users: USERS,
    sandbox: { requestsPer10s: 190, windowMs: 1000, ...sandbox },
    edit: (c) => {
      c.destination.requests_per_10s = 190;
      const contacts = c.syncs[0];
      contacts.key = 'person_id';
      contacts.identity_property = 'pqlsync_user_key';
      contacts.properties.push({ column: 'email', property: 'email', type: 'string', label: 'Email' });
      contacts.guardrails = NO_GUARDRAILS;
    },
  });
  await writeFile(path.join(fx.dir, 'models', 'people_scores.sql'), KEYED_MODEL);
  // Contacts that existed before pqlsync: half by their primary email, half holding it as a secondary one.
  for (let i = 1; i <= EXISTING; i++) {
    if (i % 2 === 1) fx.sandbox.seedRecord('contacts', { email: personEmail(i), firstname: 'Existing' });
    else fx.sandbox.addSecondaryEmail(fx.sandbox.seedRecord('contacts', { email: `before.${i}@elsewhere.test` }).id, personEmail(i));
  }
  return fx;
}

/** Syncs until a run exits 0 (a mix may exhaust a record's retries; the next run sends the rest). */
async function syncUntilOk(fx: PostgresFixture, command: 'run' | 'sync'): Promise<void> {
  let result = await fx.cli([command]);
  for (let runs = 1; result.code !== EXIT.ok && runs < 3; runs++) result = await fx.cli(['sync']);
  expect(result.code, result.err).toBe(EXIT.ok);
}

/** Every person's contact, by user key: one per key, holding the model's email and values. */
async function expectOneContactPerPerson(fx: PostgresFixture): Promise<Map<string, string>> {
  expect((await fx.compareWithModel(USERS, new Set())).slice(0, 10)).toEqual([]);
  const ids = new Map<string, string>();
  for (const record of fx.sandbox.records('contacts')) {
    const key = record.properties.pqlsync_user_key;
    expect(key, record.properties.email).toBeTruthy();
    expect(ids.has(key), `user ${key} held twice`).toBe(false);
    ids.set(key, record.id);
  }
  expect(ids.size).toBe(USERS);
  return ids;
}

const CASES: Array<[string, FaultRule[], number]> = [
  ['lost answers on contact reads, upserts and updates', [{ fault: { type: 'lost-response' }, pathIncludes: '/contacts/', probability: 0.3, maxTimes: 8 }], 3],
  ['a random 10 % mix of 429s, 5xx, 423s, resets and lost answers', FAULT_MIX, 5],
];

describe.skipIf(!postgresUrl)('PostgreSQL: contacts keyed by product user, under faults (2,500 people, default sizes)', () => {
  for (const [name, rules, seed] of CASES) {
    it(`${name}: existing contacts stamped, the rest created once; an email change moves on the same contact`, async () => {
      f = await keyedFixture({ faults: { seed, rules } });
      const seeded = new Map(f.sandbox.records('contacts').map((r) => [r.id, r]));
      await syncUntilOk(f, 'run');
      const ids = await expectOneContactPerPerson(f);
      // The contacts that existed are the ones stamped with their person's key (none made anew).
      for (let i = 1; i <= EXISTING; i++) expect(seeded.has(ids.get(String(i))!), `person ${i}`).toBe(true);
      expect(f.sandbox.stats.faultsInjected).toBeGreaterThan(0);

      // 300 people change email in the product: each contact keeps its record, with the new email.
      await f.sql((w) => w.execute(`update ${w.dialect.table({ schema: f!.schemas.raw, name: 'people' })} set email = 'moved.' || email where id <= ${MOVED}`));
      expect((await f.cli(['build'])).code).toBe(EXIT.ok);
      await syncUntilOk(f, 'sync');
      const after = await expectOneContactPerPerson(f);
      expect(after).toEqual(ids);
      for (let i = 1; i <= MOVED; i += 37) {
        const record = f.sandbox.records('contacts').find((r) => r.id === ids.get(String(i)))!;
        expect(record.properties.email).toBe(`moved.${personEmail(i)}`);
      }
    }, 240_000);
  }

  it('SIGKILL past the first checkpoint of a first sync: the rerun stamps and creates each contact once', async () => {
    // Answers take a little while, so the kill lands while pages and checkpoints are in flight.
    f = await keyedFixture({ latencyMs: 40 });
    const seeded = new Set(f.sandbox.records('contacts').map((r) => r.id));
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
    const run = startChildSync(f);
    const poll = setInterval(() => {
      if (f!.sandbox.stats.recordsWritten >= 2_200) run.child.kill('SIGKILL');
    }, 1);
    const killed = await run.exited;
    clearInterval(poll);
    expect(killed.signal, `finished before the kill (exit ${killed.code}): ${run.output().slice(-800)}`).toBe('SIGKILL');
    const [committed] = await f.sql((w) => w.query(`select count(*)::int as n from "${f!.schemas.state}".sync_state`));
    expect(Number(committed.n)).toBeGreaterThan(0); // a checkpoint (2,000) had committed
    expect(Number(committed.n)).toBeLessThan(USERS);
    const rerun = startChildSync(f);
    const done = await rerun.exited;
    expect(done.code, rerun.output().slice(-2000)).toBe(EXIT.ok);
    const ids = await expectOneContactPerPerson(f);
    for (let i = 1; i <= EXISTING; i++) expect(seeded.has(ids.get(String(i))!), `person ${i}`).toBe(true);
  }, 240_000);
});
