/**
 * A rollback leaves out of its search the windows when the run's own syncs of the same object
 * type were writing (docs/change-control.md): here a second contacts sync (`contact_labels`)
 * rewrites every contact of the bad run right after `contact_sync`, within the second the
 * search starts before the run's last checkpoint. Rolling back `contact_sync` reads only the
 * contact a rep edited after the run (listed, left as the rep left it), not the 449 contacts
 * only pqlsync rewrote; 450 contacts (past a batch of 100), on DuckDB and PostgreSQL.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { ENGINES, engineFixture, type EngineFixture } from '../helpers/both-warehouses.ts';

let f: EngineFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

const USERS = 450;

/** Epoch ms of a timestamp as the warehouse answers it. */
const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : Date.parse(String(v)));

const PEOPLE_LABELS = `/*
materialized: table
unique_key: email
*/
select email, 'label ' || cast(score as varchar) as pql_label, updated_at
from {{ ref('stg_people') }}
where is_active`;

describe.each(ENGINES)('rollback beside another sync of the same object on %s', (engine) => {
  it('reads only the rep-edited record, not those the run\'s other contacts sync rewrote after it', async () => {
    f = await engineFixture(engine, {
      users: USERS,
      edit: (config) => {
        config.syncs.push({
          name: 'contact_labels',
          model: 'people_labels',
          object: 'contacts',
          key: 'email',
          on_removed: 'keep',
          properties: [{ column: 'pql_label', property: 'pql_label', type: 'string', label: 'PQL label' }],
          guardrails: { max_changed_share: 1, max_tier_shift: 1, min_rows: 0 },
        });
      },
    });
    const fx = f;
    await writeFile(path.join(fx.dir, 'models', 'people_labels.sql'), PEOPLE_LABELS);
    const first = await fx.cli(['run']);
    expect(first.code, first.err).toBe(EXIT.ok);
    const snapshot = () => new Map(fx.sandbox.records('contacts').map((r) => [r.properties.email, r] as const));
    const before = snapshot();
    expect(before.size).toBe(USERS);

    await fx.exec(`update ${fx.people} set score = score + 1000`);
    const bad = await fx.cli(['run', '--force']);
    expect(bad.code, bad.err).toBe(EXIT.ok);
    const runs = await fx.query(`select run_id, sync_name, started_at, finished_at, n_sent from ${fx.state}.runs where command = 'sync' order by started_at desc limit 2`);
    const own = runs.find((r) => r.sync_name === 'contact_sync')!;
    const other = runs.find((r) => r.sync_name === 'contact_labels')!;
    expect(other.run_id).toBe(own.run_id);
    expect(ms(other.started_at)).toBeGreaterThanOrEqual(ms(own.finished_at));
    expect([Number(own.n_sent), Number(other.n_sent)]).toEqual([USERS, USERS]);
    const badRun = String(own.run_id);
    const afterBad = snapshot();

    // What a search from the run's last checkpoint less a second would find without the windows:
    // contact_labels' writes (so this test would read them without the feature).
    const [{ at }] = await fx.query(`select max(recorded_at) as at from ${fx.state}.run_values where run_id = '${badRun}'`);
    const since = ms(at) - 1_000;
    const rewritten = [...afterBad.values()].filter((r) => Date.parse(r.properties.lastmodifieddate) > since).length;
    expect(rewritten, 'contact_labels wrote within the search\'s reach').toBeGreaterThan(1);

    // A rep edits one contact after the run (outside every pqlsync window).
    const edited = [...before.values()][42];
    fx.sandbox.editRecord('contacts', edited.id, { pql_score: '17' });

    fx.sandbox.resetStats();
    const rollback = await fx.cli(['rollback', badRun, '--sync', 'contact_sync']);
    expect(rollback.code, rollback.err).toBe(EXIT.ok);
    const done = rollback.events.find((e) => e.event === 'rollback_done');
    expect(done).toMatchObject({ restored: USERS - 1, edited: 1, failed: 0, checked: 1 });
    expect(done.listed.edited).toEqual([{ key: edited.properties.email, message: expect.stringContaining('pql_score: HubSpot "17"') }]);
    const routes = fx.sandbox.stats.requestsByRoute;
    expect(routes['POST /crm/v3/objects/contacts/search']).toBe(1);
    expect(routes['POST /crm/v3/objects/contacts/batch/read']).toBe(1);

    const after = snapshot();
    for (const [email, old] of before) {
      const now = after.get(email)!.properties;
      // contact_labels was not rolled back: its label stays as the bad run wrote it.
      expect(now.pql_label, email).toBe(afterBad.get(email)!.properties.pql_label);
      if (email === edited.properties.email) {
        expect(now.pql_score).toBe('17');
        continue;
      }
      expect({ score: now.pql_score, tier: now.pql_tier, reason: now.pql_reason }, email).toEqual({
        score: old.properties.pql_score,
        tier: old.properties.pql_tier,
        reason: old.properties.pql_reason,
      });
    }
  });
});
