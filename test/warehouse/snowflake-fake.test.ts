/**
 * Snowflake through the official client (snowflake-sdk 3) against the offline fake: first the
 * client on its own (login, streaming with result chunks, errors), then the connector.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snowflakeEntry, snowflakeOptionsFrom } from '../../connectors/snowflake/index.ts';
import { SnowflakeWarehouse } from '../../connectors/snowflake/snowflake.warehouse.ts';
import { ConfigError, WarehouseError } from '../../contracts/errors.ts';
import { SnowflakeFake } from '../fakes/snowflake-fake.ts';

snowflake.configure({ disableOCSPChecks: true, logLevel: 'OFF' });

const PASSWORD = 'sn0wflake-s3cret-password';
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

function connect(options: snowflake.ConnectionOptions): Promise<snowflake.Connection> {
  const connection = snowflake.createConnection(options);
  return new Promise((resolve, reject) => connection.connect((err, conn) => (err ? reject(err) : resolve(conn))));
}

describe('the official Snowflake client against the fake', () => {
  let fake: SnowflakeFake;
  let conn: snowflake.Connection;
  beforeAll(async () => {
    fake = await SnowflakeFake.start({ user: 'pqlsync', password: PASSWORD, inlineRows: 100, chunkRows: 400 });
    conn = await connect({ account: 'fake', username: 'pqlsync', password: PASSWORD, accessUrl: fake.url });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => conn?.destroy(() => resolve()));
    await fake?.stop();
  });

  it('streams a result bigger than one page: inline rows, then downloaded chunks', async () => {
    const statement = await new Promise<snowflake.RowStatement>((resolve, reject) =>
      conn.execute({ sqlText: 'select range as g from range(1500)', streamResult: true, complete: (err, stmt) => (err ? reject(err) : resolve(stmt)) }),
    );
    const values: number[] = [];
    for await (const row of statement.streamRows() as AsyncIterable<{ G: number }>) values.push(row.G);
    expect(values).toEqual(Array.from({ length: 1500 }, (_, i) => i));
    expect(fake.requests.filter((r) => r.path.startsWith('/fake-chunks/'))).toHaveLength(4); // (1500 - 100) / 400
  });

  it('binds ? values', async () => {
    const rows = await new Promise<unknown[]>((resolve, reject) =>
      conn.execute({ sqlText: 'select ? + 1 as n, ? as s', binds: [41, 'x'], complete: (err, _stmt, rows) => (err ? reject(err) : resolve(rows ?? [])) }),
    );
    expect(rows).toEqual([{ N: 42, S: 'x' }]);
  });

  it("surfaces a query error's message", async () => {
    const error = await new Promise<unknown>((resolve) =>
      conn.execute({ sqlText: 'select * from no_such_table', complete: (err) => resolve(err) }),
    );
    expect((error as Error).message).toMatch(/SQL compilation error:[\s\S]*no_such_table/);
  });

  it('fails to log in with a wrong password, and the password is not in the error', async () => {
    const wrong = 'wr0ng-sn0wflake-pa55';
    const error = await connect({ account: 'fake', username: 'pqlsync', password: wrong, accessUrl: fake.url }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/Incorrect username or password/);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(wrong);
  });
});

describe('Snowflake connector against the fake', () => {
  let fake: SnowflakeFake;
  let w: SnowflakeWarehouse;
  let keyDir: string;
  beforeAll(async () => {
    fake = await SnowflakeFake.start({ user: 'pqlsync', publicKey: keys.publicKey, inlineRows: 50, chunkRows: 300 });
    keyDir = mkdtempSync(path.join(tmpdir(), 'pqlsync-sf-'));
    writeFileSync(path.join(keyDir, 'rsa_key.p8'), keys.privateKey);
    // Key-pair authentication, the way a deployment sets it up.
    w = (await snowflakeEntry.open(
      { type: 'snowflake', account: 'fake-account', database: 'PQLSYNC', access_url: fake.url },
      { projectRoot: keyDir, env: { SNOWFLAKE_USER: 'pqlsync', SNOWFLAKE_PRIVATE_KEY_PATH: 'rsa_key.p8' } },
    )) as SnowflakeWarehouse;
  });
  afterAll(async () => {
    await w?.close();
    await fake?.stop();
  });

  it('logs in with a key pair (JWT) and sets the session to UTC', () => {
    expect(fake.statements[0]).toMatch(/alter session set TIMEZONE = 'UTC'/);
  });

  it('inserts with binds and reads contract values back, column names folded to lower case', async () => {
    const t = { schema: 'pqlsync', name: 'people' };
    await w.execute(w.dialect.createSchema('pqlsync'));
    await w.execute(`create table ${w.dialect.table(t)} ("ID" bigint, "EMAIL" varchar, "SCORE" double, "AMOUNT" decimal(12,2), "ACTIVE" boolean, "SEEN_AT" timestamp, "BORN" date)`);
    await w.insertRows(t, ['id', 'email', 'score', 'amount', 'active', 'seen_at', 'born'], [
      [1, 'a@x.io', 1.5, 12.34, true, new Date('2026-01-02T03:04:05.678Z'), '2000-02-29'],
      [2, null, null, null, null, null, null],
    ]);
    expect(await w.query({ sql: `select * from ${w.dialect.table(t)} where ${w.dialect.quote('id')} >= ? order by 1`, values: [1] })).toEqual([
      { id: 1, email: 'a@x.io', score: 1.5, amount: 12.34, active: true, seen_at: new Date('2026-01-02T03:04:05.678Z'), born: '2000-02-29' },
      { id: 2, email: null, score: null, amount: null, active: null, seen_at: null, born: null },
    ]);
    const columns = await w.describe(t);
    expect(columns?.map((c) => c.name)).toEqual(['id', 'email', 'score', 'amount', 'active', 'seen_at', 'born']);
    expect(await w.describe({ schema: 'pqlsync', name: 'missing' })).toBeUndefined();
  });

  it('streams pages of pageSize rows across result chunks, big integers exact', async () => {
    const before = fake.requests.filter((r) => r.path.startsWith('/fake-chunks/')).length;
    const sizes: number[] = [];
    let last: unknown;
    for await (const page of w.stream('select range as g, 9007199254740993::bigint as big from range(2500)', 1000)) {
      sizes.push(page.length);
      last = page[page.length - 1];
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(last).toEqual({ g: 2499, big: '9007199254740993' });
    expect(fake.requests.filter((r) => r.path.startsWith('/fake-chunks/')).length - before).toBe(9); // 2450 / 300
  });

  it('rolls a failed transaction back', async () => {
    const t = { schema: 'pqlsync', name: 'tx' };
    await w.execute(`create table ${w.dialect.table(t)} ("K" varchar)`);
    await expect(
      w.transaction(async (tx) => {
        await tx.insertRows(t, ['k'], [['lost']]);
        await tx.execute('select * from no_such_table');
      }),
    ).rejects.toThrow(WarehouseError);
    expect(await w.query(`select * from ${w.dialect.table(t)}`)).toEqual([]);
    expect(fake.statements.filter((s) => /^(begin|rollback)$/.test(s))).toEqual(['begin', 'rollback']);
  });

  it('holds the session for a transaction: a statement started during it runs after the commit, outside it', async () => {
    const t = { schema: 'pqlsync', name: 'tx_held' };
    await w.execute(`create table ${w.dialect.table(t)} ("K" varchar)`);
    const from = fake.statements.length;
    let outside: Promise<unknown> | undefined;
    await w.transaction(async (tx) => {
      await tx.insertRows(t, ['k'], [['a']]);
      outside = w.query(`select count(*) as n from ${w.dialect.table(t)}`); // as the lock heartbeat would
      await new Promise((resolve) => setTimeout(resolve, 20));
      await tx.insertRows(t, ['k'], [['b']]);
    });
    expect(await outside).toEqual([{ n: 2 }]);
    const order = fake.statements.slice(from).map((s) => s.split(' ')[0]);
    expect(order).toEqual(['begin', 'insert', 'insert', 'commit', 'select']);
  });

  it("wraps a query error with the engine's message and the statement", async () => {
    const error = await w.query('select * from no_such_table_here').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as Error).message).toMatch(/^Snowflake: SQL compilation error:[\s\S]*no_such_table_here[\s\S]*SQLSTATE 42000/);
    expect((error as Error).message).toContain('in: select * from no_such_table_here');
  });

  it('reports a rejected key without printing it', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const error = await snowflakeEntry
      .open({ type: 'snowflake', account: 'fake-account', database: 'PQLSYNC', access_url: fake.url },
        { projectRoot: keyDir, env: { SNOWFLAKE_USER: 'pqlsync', SNOWFLAKE_PRIVATE_KEY: other.privateKey.replace(/\n/g, '\\n') } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as Error).message).toMatch(/could not log in: JWT token is invalid/);
    const body = other.privateKey.split('\n')[1];
    expect((error as Error).message).not.toContain(body);
  });
});

describe('Snowflake password authentication through the connector', () => {
  it('fails with a clear message and without the password', async () => {
    const fake = await SnowflakeFake.start({ user: 'pqlsync', password: PASSWORD });
    try {
      const wrong = 'n0t-the-r1ght-password';
      const error = await snowflakeEntry
        .open({ type: 'snowflake', account: 'a', user: 'pqlsync', database: 'D', access_url: fake.url }, { projectRoot: '.', env: { SNOWFLAKE_PASSWORD: wrong } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WarehouseError);
      expect((error as Error).message).toMatch(/Incorrect username or password.*SNOWFLAKE_PASSWORD/s);
      expect((error as Error).message).not.toContain(wrong);
      const ok = await snowflakeEntry.open({ type: 'snowflake', account: 'a', user: 'pqlsync', database: 'D', access_url: fake.url }, { projectRoot: '.', env: { SNOWFLAKE_PASSWORD: PASSWORD } });
      expect(await ok.query('select 1 as one')).toEqual([{ one: 1 }]);
      await ok.close();
    } finally {
      await fake.stop();
    }
  });
});

describe('Snowflake settings', () => {
  const context = (env: NodeJS.ProcessEnv) => ({ projectRoot: process.cwd(), env });
  const base = { SNOWFLAKE_ACCOUNT: 'acme-xy123', SNOWFLAKE_USER: 'svc', SNOWFLAKE_DATABASE: 'ANALYTICS' };

  it.each([
    ['SNOWFLAKE_ACCOUNT', /warehouse\.account .*SNOWFLAKE_ACCOUNT/],
    ['SNOWFLAKE_USER', /warehouse\.user .*SNOWFLAKE_USER/],
    ['SNOWFLAKE_DATABASE', /warehouse\.database .*SNOWFLAKE_DATABASE/],
  ])('names %s when it is missing', async (name, message) => {
    const env: NodeJS.ProcessEnv = { ...base, SNOWFLAKE_PASSWORD: 'x' };
    delete env[name];
    await expect(snowflakeOptionsFrom({ type: 'snowflake' }, context(env))).rejects.toThrow(message);
  });

  it('names the credential variables when none is set', async () => {
    await expect(snowflakeOptionsFrom({ type: 'snowflake' }, context(base))).rejects.toThrow(
      /SNOWFLAKE_PRIVATE_KEY_PATH .*SNOWFLAKE_PRIVATE_KEY.*SNOWFLAKE_PASSWORD/s,
    );
  });

  it('prefers the key pair, takes names from config first, and never puts secrets in messages', async () => {
    const options = await snowflakeOptionsFrom(
      { type: 'snowflake', account: 'from-config', role: 'LOADER' },
      context({ ...base, SNOWFLAKE_PRIVATE_KEY: keys.privateKey, SNOWFLAKE_PASSWORD: 'unused', SNOWFLAKE_WAREHOUSE: 'WH' }),
    );
    expect(options).toMatchObject({ account: 'from-config', username: 'svc', database: 'ANALYTICS', warehouse: 'WH', role: 'LOADER', authenticator: 'SNOWFLAKE_JWT' });
    expect((options as { password?: string }).password).toBeUndefined();

    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const error = await snowflakeOptionsFrom({ type: 'snowflake' }, context({ ...base, SNOWFLAKE_PRIVATE_KEY: rsa.privateKey })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/SNOWFLAKE_PRIVATE_KEY is not a PKCS#8 PEM private key.*openssl pkcs8/s);
    expect((error as Error).message).not.toContain(rsa.privateKey.split('\n')[1]);

    const encrypted = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pp-s3cret' } });
    await expect(snowflakeOptionsFrom({ type: 'snowflake' }, context({ ...base, SNOWFLAKE_PRIVATE_KEY: encrypted.privateKey })))
      .rejects.toThrow(/encrypted key: set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE/);
  });

  it('names SNOWFLAKE_PRIVATE_KEY_PATH when the file cannot be read', async () => {
    await expect(snowflakeOptionsFrom({ type: 'snowflake' }, context({ ...base, SNOWFLAKE_PRIVATE_KEY_PATH: '/nonexistent/key.p8' })))
      .rejects.toThrow(/SNOWFLAKE_PRIVATE_KEY_PATH names a file that cannot be read \(ENOENT\)/);
  });
});
