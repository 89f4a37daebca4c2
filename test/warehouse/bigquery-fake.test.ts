/**
 * BigQuery through the official client (@google-cloud/bigquery 8) against the offline fake:
 * first the client on its own (what the connector relies on), then the connector.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BigQuery } from '@google-cloud/bigquery';
import { OAuth2Client, PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigqueryDialect, bigqueryEntry, bigquerySettingsFrom } from '../../connectors/bigquery/index.ts';
import { BigQueryWarehouse } from '../../connectors/bigquery/bigquery.warehouse.ts';
import { ConfigError, WarehouseError } from '../../contracts/errors.ts';
import { BigQueryFake } from '../fakes/bigquery-fake.ts';

const SECRET_TOKEN = 'ya29.s3cret-access-token-never-printed';

function tokenClient(token: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}

describe('the official BigQuery client against the fake', () => {
  let fake: BigQueryFake;
  let bq: BigQuery;
  beforeAll(async () => {
    fake = await BigQueryFake.start();
    bq = new BigQuery({ projectId: 'test-project', apiEndpoint: fake.url, authClient: new PassThroughClient() });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  it('runs a query job with positional parameters', async () => {
    const [job] = await bq.createQueryJob({ query: 'select ? + 1 as n, ? as s', params: [41, 'x'], location: 'US' });
    const [rows] = await job.getQueryResults();
    expect(rows).toEqual([{ n: 42, s: 'x' }]);
  });

  it('pages through results with maxResults and pageToken', async () => {
    const [job] = await bq.createQueryJob({ query: 'SELECT g FROM UNNEST(GENERATE_ARRAY(0, 24)) AS g ORDER BY g' });
    const pages: number[][] = [];
    let options: Record<string, unknown> | null = { maxResults: 10, autoPaginate: false };
    while (options) {
      const [rows, next] = await job.getQueryResults(options);
      pages.push(rows.map((r: { g: number }) => r.g));
      options = next as Record<string, unknown> | null;
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(fake.requests.filter((r) => r.path.includes('/queries/')).map((r) => r.query.pageToken ?? '')).toContain('20');
  });

  it('runs a statement whose comments hold quotes, as BigQuery does', async () => {
    const query = `-- the user's last login
      select /* a block comment */ TIMESTAMP_DIFF(TIMESTAMP '2026-01-02 00:00:00', TIMESTAMP_ADD(TIMESTAMP '2026-01-01 00:00:00', INTERVAL 1 HOUR), HOUR) as h # o'clock
      , 'a''s' as s`;
    const [job] = await bq.createQueryJob({ query: query.replace("'a''s'", '"a\'s"'), location: 'US' });
    const [rows] = await job.getQueryResults();
    expect(rows).toEqual([{ h: 23, s: "a's" }]);
  });

  it("surfaces a query error's message", async () => {
    await expect(bq.createQueryJob({ query: 'select * from no_such_table' })).rejects.toThrow(/no_such_table/);
  });
});

describe('BigQuery connector against the fake', () => {
  let fake: BigQueryFake;
  let w: BigQueryWarehouse;
  beforeAll(async () => {
    fake = await BigQueryFake.start({ pendingPolls: 1 });
    w = (await bigqueryEntry.open(
      { type: 'bigquery', project: 'test-project', location: 'EU', api_endpoint: fake.url },
      { projectRoot: process.cwd(), env: {} },
    )) as BigQueryWarehouse;
  });
  afterAll(async () => {
    await w?.close();
    await fake?.stop();
  });

  it('creates a dataset and a table, inserts with typed parameters, and reads contract values back', async () => {
    await w.execute(w.dialect.createSchema('pqlsync'));
    const t = { schema: 'pqlsync', name: 'people' };
    await w.execute(`CREATE OR REPLACE TABLE ${w.dialect.table(t)} (id INT64, email STRING, score FLOAT64, active BOOL, seen_at TIMESTAMP, born DATE)`);
    await w.insertRows(t, ['id', 'email', 'score', 'active', 'seen_at', 'born'], [
      [1, 'a@x.io', 1.5, true, new Date('2026-01-02T03:04:05.678Z'), '2000-02-29'],
      [2, null, null, null, null, null],
    ]);
    expect(await w.query({ sql: `SELECT * FROM ${w.dialect.table(t)} WHERE id >= ? ORDER BY id`, values: [1] })).toEqual([
      { id: 1, email: 'a@x.io', score: 1.5, active: true, seen_at: new Date('2026-01-02T03:04:05.678Z'), born: '2000-02-29' },
      { id: 2, email: null, score: null, active: null, seen_at: null, born: null },
    ]);
    expect(await w.describe(t)).toEqual([
      { name: 'id', type: 'INT64' },
      { name: 'email', type: 'STRING' },
      { name: 'score', type: 'FLOAT64' },
      { name: 'active', type: 'BOOL' },
      { name: 'seen_at', type: 'TIMESTAMP' },
      { name: 'born', type: 'DATE' },
    ]);
    expect(await w.describe({ schema: 'pqlsync', name: 'missing' })).toBeUndefined();
    // Jobs ran in the configured location.
    expect(fake.requests.some((r) => r.query.location === 'EU')).toBe(true);
  });

  it('streams pages of pageSize rows (waiting for the job first) and keeps big integers exact', async () => {
    const sizes: number[] = [];
    let first: unknown;
    for await (const page of w.stream('SELECT g, CAST(9007199254740993 AS INT64) AS big FROM UNNEST(GENERATE_ARRAY(0, 2499)) AS g ORDER BY g', 1000)) {
      first ??= page[0];
      sizes.push(page.length);
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(first).toEqual({ g: 0, big: '9007199254740993' });
  });

  it('chunks inserts under 10,000 parameters', async () => {
    const t = { schema: 'pqlsync', name: 'many' };
    await w.execute(`CREATE OR REPLACE TABLE ${w.dialect.table(t)} (a INT64, b STRING)`);
    const before = fake.requests.filter((r) => r.method === 'POST').length;
    await w.insertRows(t, ['a', 'b'], Array.from({ length: 12_000 }, (_, i) => [i, `r${i}`]));
    expect(fake.requests.filter((r) => r.method === 'POST').length - before).toBe(3); // 24,000 values
    expect(await w.query(`SELECT COUNT(*) AS n FROM ${w.dialect.table(t)}`)).toEqual([{ n: 12_000 }]);
  });

  it("wraps a query error with the engine's message and the statement", async () => {
    const error = await w.query('SELECT * FROM `pqlsync`.`nope`').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as Error).message).toMatch(/^BigQuery: .*nope/s);
    expect((error as Error).message).toContain('in: SELECT * FROM `pqlsync`.`nope`');
  });
});

describe('BigQuery authentication failures', () => {
  let fake: BigQueryFake;
  beforeAll(async () => {
    fake = await BigQueryFake.start({ accessToken: 'the-right-token' });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  it('the client gets a 401 for a wrong token, and the token is not in the error', async () => {
    const bq = new BigQuery({ projectId: 'p', apiEndpoint: fake.url, authClient: tokenClient(SECRET_TOKEN) });
    const error = await bq.createQueryJob({ query: 'select 1' }).catch((e: unknown) => e);
    expect((error as { code?: number }).code).toBe(401);
    expect((error as Error).message).not.toContain(SECRET_TOKEN);
  });

  it('the connector reports 401 as an authentication failure without the secret', async () => {
    const w = BigQueryWarehouse.open({ projectId: 'p', clientOptions: { apiEndpoint: fake.url, authClient: tokenClient(SECRET_TOKEN) } });
    const error = await w.query('select 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as Error).message).toMatch(/authentication failed \(401\)/);
    expect((error as Error).message).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
    expect((error as Error).message).not.toContain(SECRET_TOKEN);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(SECRET_TOKEN);
  });

  it('the right token passes', async () => {
    const w = BigQueryWarehouse.open({ projectId: 'p', clientOptions: { apiEndpoint: fake.url, authClient: tokenClient('the-right-token') } });
    expect(await w.query('select 1 as one')).toEqual([{ one: 1 }]);
  });
});

describe('BigQuery settings', () => {
  const context = (env: NodeJS.ProcessEnv) => ({ projectRoot: process.cwd(), env });

  it('names warehouse.project and GOOGLE_CLOUD_PROJECT when no project is set', async () => {
    await expect(bigquerySettingsFrom({ type: 'bigquery' }, context({}))).rejects.toThrow(ConfigError);
    await expect(bigquerySettingsFrom({ type: 'bigquery' }, context({}))).rejects.toThrow(/warehouse\.project .*GOOGLE_CLOUD_PROJECT/);
  });

  it('takes project and location from the environment, and the emulator host without credentials', async () => {
    const s = await bigquerySettingsFrom({ type: 'bigquery' }, context({ GOOGLE_CLOUD_PROJECT: 'p1', BIGQUERY_LOCATION: 'EU', BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:9050' }));
    expect(s).toMatchObject({ projectId: 'p1', location: 'EU' });
    expect(s.clientOptions?.apiEndpoint).toBe('http://127.0.0.1:9050');
    expect(s.clientOptions?.authClient).toBeInstanceOf(PassThroughClient);
  });

  it('names GOOGLE_APPLICATION_CREDENTIALS when its file is missing or not a key, without printing the content', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pqlsync-bq-'));
    await expect(bigquerySettingsFrom({ type: 'bigquery', project: 'p' }, context({ GOOGLE_APPLICATION_CREDENTIALS: path.join(dir, 'none.json') })))
      .rejects.toThrow(/GOOGLE_APPLICATION_CREDENTIALS names a file that cannot be read \(ENOENT\)/);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nMIIsecretkeymaterial\n-----END PRIVATE KEY-----');
    const error = await bigquerySettingsFrom({ type: 'bigquery', project: 'p' }, context({ GOOGLE_APPLICATION_CREDENTIALS: bad })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/GOOGLE_APPLICATION_CREDENTIALS: .* is not JSON/);
    expect((error as Error).message).not.toContain('MIIsecretkeymaterial');
    const good = path.join(dir, 'key.json');
    writeFileSync(good, JSON.stringify({ type: 'service_account', project_id: 'p', private_key: 'x', client_email: 'a@b' }));
    const s = await bigquerySettingsFrom({ type: 'bigquery', project: 'p' }, context({ GOOGLE_APPLICATION_CREDENTIALS: good }));
    expect(s.clientOptions?.keyFilename).toBe(good);
  });
});

describe("the fake checks every statement with ZetaSQL, BigQuery's analyzer", () => {
  let fake: BigQueryFake;
  let w: BigQueryWarehouse;
  const t = { schema: 'zs', name: 't' };
  beforeAll(async () => {
    fake = await BigQueryFake.start();
    w = BigQueryWarehouse.open({ projectId: 'test-project', clientOptions: { apiEndpoint: fake.url, authClient: new PassThroughClient() } });
    await w.execute(w.dialect.createSchema('zs'));
    await w.execute(`CREATE OR REPLACE TABLE ${w.dialect.table(t)} (k STRING, n INT64)`);
  });
  afterAll(async () => {
    await fake?.stop();
  });
  const rows = () => w.query(`SELECT k, n FROM ${w.dialect.table(t)} WHERE TRUE ORDER BY k`);

  // Fails on main before the analyzer (8b6abcf): DuckDB ran `delete from t` and emptied the table.
  it('rejects DELETE without WHERE as BigQuery does, and runs nothing of it', async () => {
    await w.insertRows(t, ['k', 'n'], [['a', 1]]);
    const error = await w.execute(`delete from ${w.dialect.table(t)}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as Error).message).toMatch(/^BigQuery: .*DELETE must have a WHERE clause/);
    expect(await rows()).toEqual([{ k: 'a', n: 1 }]);
    await w.execute(`delete from ${w.dialect.table(t)} where true`);
    expect(await rows()).toEqual([]);
  });

  it('rejects what DuckDB would run but BigQuery would not: CONCAT with BYTES, datediff, unknown tables and columns', async () => {
    const cases: Array<[string, RegExp]> = [
      [`SELECT concat(k, md5(k)) FROM ${w.dialect.table(t)}`, /No matching signature for function CONCAT/],
      [`SELECT datediff(CURRENT_DATE(), CURRENT_DATE())`, /Function not found: datediff/],
      [`SELECT nope FROM ${w.dialect.table(t)}`, /Unrecognized name: nope/],
      ['SELECT * FROM `zs`.`missing`', /Table not found/],
      [`SELECT count(*) FILTER (WHERE n > 1) FROM ${w.dialect.table(t)}`, /Syntax error/],
    ];
    for (const [sql, message] of cases) await expect(w.query(sql), sql).rejects.toThrow(message);
    expect(fake.rejected.length).toBeGreaterThanOrEqual(cases.length);
  });

  it('accepts the typed positional parameters the connector sends', async () => {
    await w.execute({ sql: `insert into ${w.dialect.table(t)} (k, n) values (?, ?)`, values: ['p', 7] });
    expect(await w.query({ sql: `select n from ${w.dialect.table(t)} where k = ?`, values: ['p'] })).toEqual([{ n: 7 }]);
    await w.execute(`delete from ${w.dialect.table(t)} where true`);
  });

  it('runs a transaction script whole, each statement analyzed against the tables the earlier ones created', async () => {
    const made = { schema: 'zs', name: 'made_in_script' };
    await w.transaction(async (tx) => {
      await tx.execute(`create or replace table ${w.dialect.table(made)} (k STRING)`);
      await tx.execute({ sql: `insert into ${w.dialect.table(made)} (k) values (?)`, values: ["it's \\ 'quoted'"] });
      await tx.execute(`insert into ${w.dialect.table(t)} (k, n) select k, 1 from ${w.dialect.table(made)}`);
    });
    expect(await rows()).toEqual([{ k: "it's \\ 'quoted'", n: 1 }]);
    expect(fake.analyzed).toContain('BEGIN TRANSACTION');
    expect(fake.analyzed).toContain('COMMIT TRANSACTION');
    await w.execute(`delete from ${w.dialect.table(t)} where true`);
  });

  it('rolls a failing transaction script back whole: nothing of it stays', async () => {
    await w.insertRows(t, ['k', 'n'], [['kept', 1]]);
    const error = await w
      .transaction(async (tx) => {
        await tx.execute(`delete from ${w.dialect.table(t)} where k = 'kept'`);
        await tx.execute(`insert into ${w.dialect.table(t)} (k, n) values ('new', 2)`);
        await tx.execute('insert into `zs`.`missing` (k) values (1)');
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/Table not found: `?zs`?\.`?missing/);
    expect(await rows()).toEqual([{ k: 'kept', n: 1 }]);
  });
});

describe("every BigQuery macro passes ZetaSQL, BigQuery's analyzer", () => {
  let fake: BigQueryFake;
  beforeAll(async () => {
    fake = await BigQueryFake.start();
    await fake.engine.run('create schema m');
    await fake.engine.run(
      `create table m.t (email varchar, score double, tier varchar, seats_text varchar, user_id bigint, feature varchar,
         event_name varchar, occurred_at timestamp, first_seen_at timestamp, as_of timestamp)`,
    );
  });
  afterAll(async () => {
    await fake?.stop();
  });

  const m = bigqueryDialect.macros;
  const expressions: Record<string, string> = {
    as_of: m.as_of('2026-03-01T12:34:56.789Z'),
    days_between: m.days_between('t.first_seen_at', 't.as_of'),
    add_days: m.add_days('t.as_of', '-14'),
    count_if: m.count_if(`t.event_name = 'login'`),
    any_true: m.any_true(`t.event_name = 'paywall_hit'`),
    safe_to_double: m.safe_to_double('t.seats_text'),
    to_string: m.to_string('t.user_id'),
    string_agg_sorted: m.string_agg_sorted('t.feature', `', '`),
    epoch_seconds: m.epoch_seconds('t.occurred_at'),
    row_hash: m.row_hash('t.email', 't.score', 't.tier', 't.occurred_at', 't.user_id'),
  };
  const aggregates = new Set(['count_if', 'any_true', 'string_agg_sorted']);

  it.each(Object.keys(expressions))('%s', async (name) => {
    const sql = aggregates.has(name)
      ? `select t.user_id, ${expressions[name]} as v from \`m\`.\`t\` t group by t.user_id`
      : `select ${expressions[name]} as v from \`m\`.\`t\` t`;
    expect(await fake.check(sql)).toBeUndefined();
  });

  it('the same check refuses what BigQuery refuses', async () => {
    expect(await fake.check('select concat(t.email, md5(t.email)) from `m`.`t` t')).toMatch(/No matching signature for function CONCAT/);
  });
});
