/**
 * Sync what you already model: a sync with `relation: schema.table` reads a table pqlsync did not
 * build (here, what a `dbt build` would have left in a marts schema) and sends it like a model,
 * only what changed; `model:` and `relation:` together are a config error naming the key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';

let f: OpsFixture;
beforeAll(async () => {
  f = await opsFixture({
    users: 120,
    edit: (config) => {
      delete config.syncs[0].model;
      config.syncs[0].relation = 'dbt_marts.contact_scores';
    },
  });
  // The table another tool built: pqlsync's own models are never built in this test.
  await f.sql(async (w) => {
    await w.execute('create schema dbt_marts');
    await w.execute(`create table dbt_marts.contact_scores as
      select email, score as pql_score, case when score >= 80 then 'hot' when score >= 40 then 'warm' else 'cold' end as pql_tier,
        'from dbt' as pql_reason
      from raw.people`);
  });
}, 60_000);
afterAll(async () => f?.cleanup());

describe('a sync reading a relation pqlsync did not build', () => {
  it('sends its rows, then nothing when nothing changed, then only the changed rows', async () => {
    const first = await f.cli(['sync']);
    expect(first.code, first.err).toBe(0);
    const done = first.events.find((e) => e.event === 'sync_done');
    expect(done).toMatchObject({ sync: 'contact_sync', new: 120, delivered: 120, failed: 0 });
    expect(f.sandbox.records('contacts')).toHaveLength(120);
    expect(f.sandbox.records('contacts')[0].properties.pql_reason).toBe('from dbt');
    expect(await f.sql((w) => w.describe({ schema: 'pqlsync_models', name: 'contact_scores' }))).toBeUndefined();

    expect((await f.cli(['sync'])).events.find((e) => e.event === 'sync_done')).toMatchObject({ new: 0, changed: 0, sent: 0 });

    await f.sql((w) => w.execute("update dbt_marts.contact_scores set pql_reason = 'changed in dbt' where pql_score >= 90"));
    const changed = await f.sql(async (w) => Number((await w.query('select count(*) as n from dbt_marts.contact_scores where pql_score >= 90'))[0].n));
    expect(changed).toBeGreaterThan(0);
    expect((await f.cli(['sync'])).events.find((e) => e.event === 'sync_done')).toMatchObject({ new: 0, changed, sent: changed, failed: 0 });
  });

  it('model: and relation: together are a config error naming the sync', async () => {
    const { parseProject } = await import('../../src/config/load-project.ts');
    const text = JSON.stringify({
      name: 'x',
      warehouse: { type: 'duckdb', path: 'x.duckdb' },
      sources: {},
      destination: { type: 'hubspot' },
      syncs: [{ name: 's', model: 'm', relation: 'a.b', object: 'contacts', key: 'email', properties: [{ column: 'c', property: 'c', type: 'string', label: 'C' }] }],
    });
    expect(() => parseProject(text, '/p/pqlsync.yml')).toThrow(/syncs\.0\.relation.*one of model: and relation:/s);
  });
});
