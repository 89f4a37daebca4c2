/**
 * Rows that leave a model with `on_removed: clear` have exactly their pqlsync properties
 * emptied in HubSpot (shown in plan first); `run --select` builds only the selected models
 * and their upstream, and runs the syncs of those models.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';
import { crmRequests } from '../helpers/project.ts';

let f: OpsFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

const PROPERTIES = ['pql_score', 'pql_tier', 'pql_reason'];

describe('on_removed: clear', () => {
  it('empties the pqlsync properties of exactly the rows that left the model, and nothing else', async () => {
    f = await opsFixture({ users: 200, onRemoved: 'clear' });
    const fx = f;
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    const before = new Map(fx.sandbox.records('contacts').map((r) => [r.properties.email, r.properties]));
    const gone = ['person0005@example.com', 'person0050@example.com', 'person0150@example.com'];
    await fx.sql((w) => w.execute('update raw.people set is_active = false where id in (5, 50, 150)'));
    expect((await fx.cli(['build'])).code).toBe(EXIT.ok);

    fx.sandbox.resetStats();
    const plan = (await fx.cli(['plan'])).events.find((e) => e.event === 'plan');
    expect(plan).toMatchObject({ removed: 3, on_removed: 'clear', to_send: 3, removed_sample: gone });
    expect(crmRequests(fx.sandbox)).toBe(0);

    const synced = await fx.cli(['sync']);
    expect(synced.code, synced.err).toBe(EXIT.ok);
    expect(synced.events.find((e) => e.event === 'sync_done')).toMatchObject({ sent: 3, delivered: 3, removed: 3 });
    for (const record of fx.sandbox.records('contacts')) {
      const email = record.properties.email;
      for (const p of PROPERTIES) {
        if (gone.includes(email)) expect(record.properties[p] ?? '', `${email}.${p}`).toBe('');
        else expect(record.properties[p], `${email}.${p}`).toBe(before.get(email)![p]);
      }
    }
    // The cleared keys left state (and the records stay in HubSpot, with their email).
    const keys = await fx.sql(async (w) => (await w.query('select record_key from pqlsync.sync_state')).map((r) => String(r.record_key)));
    expect(keys).toHaveLength(197);
    expect(keys.filter((k) => gone.includes(k))).toEqual([]);
    expect(fx.sandbox.records('contacts')).toHaveLength(200);

    // Back in the model: sent again as a change.
    await fx.sql((w) => w.execute('update raw.people set is_active = true where id = 5'));
    expect((await fx.cli(['build'])).code).toBe(EXIT.ok);
    const back = (await fx.cli(['sync'])).events.find((e) => e.event === 'sync_done');
    expect(back).toMatchObject({ sent: 1, removed: 0 });
    expect(fx.sandbox.findByProperty('contacts', 'email', gone[0])[0].properties.pql_score).not.toBe('');
  });
});

describe('run --select', () => {
  it('+<sync> builds only its model and the upstream, and runs that sync', async () => {
    f = await opsFixture({ users: 50 });
    const fx = f;
    const r = await fx.cli(['run', '--select', '+contact_sync']);
    expect(r.code, r.err).toBe(EXIT.ok);
    const built = r.events.filter((e) => e.event === 'model_built').map((e) => e.model);
    expect(built).toEqual(['stg_people', 'people_scores']);
    expect(r.events.find((e) => e.event === 'sync_done')).toMatchObject({ sync: 'contact_sync', sent: 50 });
    const tables = await fx.sql(async (w) =>
      (await w.query("select table_name from information_schema.tables where table_schema = 'pqlsync_models' order by 1")).map((t) => t.table_name),
    );
    expect(tables).toEqual(['people_scores', 'stg_people']);
  });

  it('a model with no sync builds alone and sends nothing', async () => {
    f = await opsFixture({ users: 50 });
    const fx = f;
    const r = await fx.cli(['run', '--select', 'unrelated_rollup']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.events.filter((e) => e.event === 'model_built').map((e) => e.model)).toEqual(['unrelated_rollup']);
    expect(r.events.find((e) => e.event === 'sync_done')).toBeUndefined();
    expect(crmRequests(fx.sandbox)).toBe(0);
  });

  it('an unknown name is a config error that suggests the close one', async () => {
    f = await opsFixture({ users: 10 });
    const r = await f.cli(['run', '--select', '+people_score']);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/did you mean 'people_scores'/);
  });
});
