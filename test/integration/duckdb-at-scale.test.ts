/**
 * Nothing lost on DuckDB past every boundary at the default sizes: 5,000 contacts are five
 * pages (1,000), three checkpoints (2,000) and fifty batches (100). A first sync, then 2,000
 * changed and 300 removed (cleared), then a full backfill; HubSpot is compared with the model
 * record by record after each, sync state holds each key of the model once, and a plan then
 * finds nothing to send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';
import { NO_GUARDRAILS } from '../helpers/postgres-fixture.ts';

const USERS = 5000;
const CHANGED = 2000;
const REMOVED = 300;
const PROPERTIES = ['pql_score', 'pql_tier', 'pql_reason'];

let f: OpsFixture;
beforeAll(async () => {
  f = await opsFixture({ users: USERS, onRemoved: 'clear', sandbox: { requestsPer10s: 190 }, edit: (c) => (c.syncs[0].guardrails = NO_GUARDRAILS) });
}, 120_000);
afterAll(async () => f?.cleanup());

async function expectHubSpotEqualsModel(removed: Set<string>) {
  const model = await f.sql((w) => w.query('select email, pql_score, pql_tier, pql_reason from pqlsync_models.people_scores'));
  const records = f.sandbox.records('contacts');
  const held = new Map(records.map((r) => [r.properties.email, r.properties]));
  expect(records).toHaveLength(USERS);
  expect(held.size).toBe(USERS);
  expect(model).toHaveLength(USERS - removed.size);
  const wrong = model.filter((row) => PROPERTIES.some((p) => held.get(String(row.email))?.[p] !== String(row[p])));
  expect(wrong.slice(0, 5)).toEqual([]);
  for (const email of removed) for (const p of PROPERTIES) expect(held.get(email)?.[p] ?? '', `${email}.${p}`).toBe('');
  // No unique constraint guards sync state (DuckDB would hold its index in memory): the runner
  // itself keeps one row per key, through updates, clears and backfills.
  const [state] = await f.sql((w) => w.query('select count(*) as n, count(distinct sync_name || record_key) as keys from pqlsync.sync_state'));
  expect([Number(state.n), Number(state.keys)]).toEqual([USERS - removed.size, USERS - removed.size]);
  const plan = (await f.cli(['plan'])).events.find((e) => e.event === 'plan');
  expect(plan).toMatchObject({ new: 0, changed: 0, retrying: 0, removed: 0, to_send: 0 });
}

describe(`DuckDB at scale (${USERS} contacts, default sizes)`, () => {
  it('delivers every row of a first sync', async () => {
    const r = await f.cli(['run']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.events.find((e) => e.event === 'sync_done')).toMatchObject({ new: USERS, sent: USERS, delivered: USERS });
    await expectHubSpotEqualsModel(new Set());
  });

  it('delivers exactly the changed rows and clears exactly the removed ones', async () => {
    await f.sql(async (w) => {
      await w.execute(`update raw.people set score = (score + 7) % 100 where id <= ${CHANGED}`);
      await w.execute(`update raw.people set is_active = false where id > ${USERS - REMOVED}`);
    });
    const r = await f.cli(['run']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.events.find((e) => e.event === 'sync_done')).toMatchObject({ changed: CHANGED, removed: REMOVED, sent: CHANGED + REMOVED, delivered: CHANGED + REMOVED });
    const removed = new Set(Array.from({ length: REMOVED }, (_, i) => `person${String(USERS - i).padStart(4, '0')}@example.com`));
    await expectHubSpotEqualsModel(removed);
  });

  it('backfills every row, whatever state says', async () => {
    f.sandbox.resetStats();
    const r = await f.cli(['backfill', 'contact_sync', '--full', '--yes']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.events.find((e) => e.event === 'sync_done')).toMatchObject({ sent: USERS - REMOVED, delivered: USERS - REMOVED });
    expect(f.sandbox.stats.recordsWritten).toBe(USERS - REMOVED);
  });
});
