import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { appendDemoDay, DEMO_AS_OF, DEMO_TABLES, generateDemoData, touchUsers } from '../../src/demo/generate-demo-data.ts';

let warehouse: DuckDBWarehouse;
beforeEach(async () => {
  warehouse = await DuckDBWarehouse.open({ path: ':memory:' });
});
afterEach(async () => {
  await warehouse.close();
});

/** An order-independent fingerprint of a whole table. */
async function fingerprint(table: string): Promise<string> {
  const [row] = await warehouse.query(
    `select count(*) as n, coalesce(string_agg(h, '' order by h), '') as hashes from (select md5(cast(t as varchar)) as h from raw.${table} t) x`,
  );
  return `${row.n}:${String(row.hashes).length}:${hashText(String(row.hashes))}`;
}

function hashText(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return h;
}

async function one(sql: string): Promise<number> {
  const [row] = await warehouse.query(sql);
  return Number(Object.values(row)[0]);
}

describe('generateDemoData', () => {
  it('creates every raw table with exactly the requested users and about 15-20 events each', async () => {
    const counts = await generateDemoData(warehouse, { users: 2000, seed: 1 });
    expect(Object.keys(counts)).toEqual([...DEMO_TABLES]);
    expect(counts.users).toBe(2000);
    expect(counts.user_outcomes).toBe(2000);
    expect(counts.account_outcomes).toBe(counts.accounts);
    expect(counts.events / counts.users).toBeGreaterThan(10);
    expect(counts.events / counts.users).toBeLessThan(25);
    expect(await one(`select count(*) from raw.events where occurred_at >= timestamp '2026-11-01 00:00:00'`)).toBe(0);
    expect(await one(`select count(*) from raw.events e left join raw.users u using (user_id) where u.user_id is null`)).toBe(0);
    expect(await one(`select count(*) - count(distinct event_id) from raw.events`)).toBe(0);
    expect(await one(`select count(*) from raw.events e join raw.users u using (user_id) where e.occurred_at < u.signup_at`)).toBe(0);
  });

  it('is deterministic: same seed and size give identical tables, another seed differs', async () => {
    await generateDemoData(warehouse, { users: 1500, seed: 7 });
    const first = await Promise.all(DEMO_TABLES.map(fingerprint));
    await generateDemoData(warehouse, { users: 1500, seed: 7 });
    const second = await Promise.all(DEMO_TABLES.map(fingerprint));
    expect(second).toEqual(first);
    await generateDemoData(warehouse, { users: 1500, seed: 8 });
    const other = await Promise.all(DEMO_TABLES.map(fingerprint));
    expect(other[2]).not.toEqual(first[2]);
  });

  it('has messy values, free-mail users and accounts big enough for the sales-assisted motion', async () => {
    await generateDemoData(warehouse, { users: 20000, seed: 3 });
    expect(await one(`select count(*) from raw.users where email <> lower(email)`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.users where email <> trim(email)`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.users where email is null or email not like '%@%'`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.users where job_title is null`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.users where email like '%@gmail.com'`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.accounts where lower(domain) like 'www.%'`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.accounts where domain <> lower(domain)`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.accounts where domain = 'gmail.com'`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.accounts where employees is null and domain is not null and domain <> 'gmail.com'`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.accounts where seats >= 50`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.accounts where seats < 50`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from raw.subscriptions where ended_at is not null`)).toBeGreaterThan(0);
    expect(await one(`select count(distinct status) from raw.trials`)).toBeGreaterThanOrEqual(2);
    const kinds = await warehouse.query(`select distinct event_name from raw.events order by 1`);
    expect(kinds.map((k) => k.event_name)).toEqual([
      'activation_reached', 'billing_page_viewed', 'enterprise_feature_attempted', 'feature_used', 'integration_connected',
      'login', 'onboarding_completed', 'paywall_hit', 'premium_feature_attempted', 'teammate_invited', 'usage_limit_hit',
    ]);
  });

  it('correlates outcomes with behaviour: converters show far more intent signals', async () => {
    await generateDemoData(warehouse, { users: 20000, seed: 5 });
    const rows = await warehouse.query(`
      select o.converted, avg(coalesce(x.n, 0)) as intent_events
      from raw.user_outcomes o
      left join (select user_id, count(*) as n from raw.events
                 where event_name in ('paywall_hit', 'teammate_invited', 'integration_connected', 'billing_page_viewed') group by user_id) x using (user_id)
      group by o.converted order by o.converted`);
    const [no, yes] = rows.map((r) => Number(r.intent_events));
    expect(yes).toBeGreaterThan(2 * no);
    expect(await one(`select count(*) from raw.user_outcomes where converted and converted_at is null`)).toBe(0);
    expect(await one(`select count(*) from raw.user_outcomes where converted`)).toBeGreaterThan(0);
  });
});

describe('appendDemoDay', () => {
  it('appends one day of events for a few percent of users plus new signups, deterministically', async () => {
    await generateDemoData(warehouse, { users: 5000, seed: 11 });
    const before = await fingerprint('events');
    const added = await appendDemoDay(warehouse, { seed: 11, day: DEMO_AS_OF });
    expect(added.users).toBeGreaterThanOrEqual(1);
    expect(added.events).toBeGreaterThan(0);
    const activeUsers = await one(`select count(distinct user_id) from raw.events where occurred_at >= timestamp '2026-11-01 00:00:00'`);
    expect(activeUsers).toBeGreaterThan(5000 * 0.01);
    expect(activeUsers).toBeLessThan(5000 * 0.2);
    expect(await one(`select count(*) from raw.events where occurred_at >= timestamp '2026-11-02 00:00:00'`)).toBe(0);
    expect(await one(`select count(*) - count(distinct event_id) from raw.events`)).toBe(0);
    const after = await fingerprint('events');

    await generateDemoData(warehouse, { users: 5000, seed: 11 });
    expect(await fingerprint('events')).toBe(before);
    await appendDemoDay(warehouse, { seed: 11, day: DEMO_AS_OF });
    expect(await fingerprint('events')).toBe(after);
  });
});

describe('touchUsers', () => {
  it('appends strong events for exactly the given users, with unique ids on repeated calls', async () => {
    await generateDemoData(warehouse, { users: 500, seed: 2 });
    const at = '2026-10-31T12:00:00.000Z';
    const n = await touchUsers(warehouse, { userIds: ['usr_1', 'usr_2', 'usr_3', 'no_such_user'], at, kind: 'paywall' });
    expect(n).toBe(6);
    const again = await touchUsers(warehouse, { userIds: ['usr_1'], at });
    expect(again).toBeGreaterThan(0);
    const touched = await warehouse.query(`select distinct user_id from raw.events where event_id like 'touch_%' order by 1`);
    expect(touched.map((r) => r.user_id)).toEqual(['usr_1', 'usr_2', 'usr_3']);
    expect(await one(`select count(*) - count(distinct event_id) from raw.events`)).toBe(0);
    await expect(touchUsers(warehouse, { userIds: ['usr_1'], at, kind: 'nonsense' })).rejects.toThrow(/unknown kind/);
  });
});
