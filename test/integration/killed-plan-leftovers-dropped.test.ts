/**
 * A `plan` or a `backfill --dry-run` diffs into tables named after its run id and drops them
 * when done; it is not in run history, so before dry runs registered themselves
 * (src/state/dry-run-registry.ts) a killed one left its tables forever. Here the real command runs as a
 * child process, paused right after it created its diff tables and SIGKILLed there; the next
 * `plan` (or `sync`) drops everything it left, while the tables of a dry run registered by a live
 * process (this one) stay. On DuckDB and, when PQLSYNC_POSTGRES_URL is set, on PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { DryRunRegistry } from '../../src/state/dry-run-registry.ts';
import { deadRunTables } from '../../src/state/run-tables.ts';
import { AS_OF, opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';
import { startPausedCli } from '../helpers/paused-cli.ts';
import { postgresFixture, type PostgresFixture } from '../helpers/postgres-fixture.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

/** Past one page (1,000 rows) and one checkpoint (2,000 outcomes): the changes table is a real one. */
const USERS = 2_500;
const SYNC = 'contact_sync';
/** A plan running beside the next command, in this (live) process. */
const LIVE = '20261207T120000Z-11fe01';

noteSkippedPostgres('killed plan leftovers on PostgreSQL');

interface Fixture extends Pick<OpsFixture, 'dir' | 'config' | 'env'> {
  state: string;
  cli(args: string[]): Promise<{ code: number; events: any[]; err: string }>;
  sql<T>(fn: (w: Warehouse) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

async function tablesOf(w: Warehouse, schema: string): Promise<string[]> {
  const rows = await w.query({ sql: `select table_name from information_schema.tables where table_schema = ? order by table_name`, values: [schema] });
  return rows.map((r) => String(r.table_name));
}

/** The run id's tag as run-tables.ts names its tables ('20261207T120000Z-11fe01' → '120000_11fe01'). */
function tagOf(runId: string): string {
  const m = /T(\d{6})Z-([0-9a-f]+)$/.exec(runId);
  if (!m) throw new Error(`not a standard run id: ${runId}`);
  return `${m[1]}_${m[2]}`;
}

/**
 * Runs `args` in a child paused after its first statement matching `pauseAfter`, kills it there
 * (SIGKILL), and answers the run id it registered and the tables it left (names with its tag).
 */
async function killPaused(f: Fixture, args: string[], pauseAfter: RegExp): Promise<{ runId: string; left: string[] }> {
  const child = startPausedCli([...args, '--config', f.config, '--json', '--as-of', AS_OF], { cwd: f.dir, env: f.env, pauseAfter });
  const statement = await child.paused;
  expect(statement).toMatch(pauseAfter);
  child.kill();
  expect((await child.exited).signal, child.output().slice(-2000)).toBe('SIGKILL');
  return f.sql(async (w) => {
    const registered = await w.query(`select run_id, pid from ${w.dialect.table({ schema: f.state, name: 'dry_runs' })}`);
    expect(registered.map((r) => Number(r.pid))).toEqual([child.pid]);
    const runId = String(registered[0].run_id);
    return { runId, left: (await tablesOf(w, f.state)).filter((t) => t.endsWith(`__${tagOf(runId)}`)) };
  });
}

/** A dry run of this (live) process, registered with the tables such a plan has while it diffs. */
async function registerLivePlan(f: Fixture): Promise<string[]> {
  return f.sql(async (w) => {
    await new DryRunRegistry(w, f.state).register({ runId: LIVE, command: 'plan', syncs: [SYNC] });
    const tables = deadRunTables(f.state, { name: SYNC }, LIVE).filter((t) => /^(changes|removed)__/.test(t.name));
    for (const t of tables) await w.execute(`create table ${w.dialect.table(t)} (pqlsync__key ${w.dialect.types.string})`);
    return tables.map((t) => t.name);
  });
}

async function expectLeftoversGone(f: Fixture, dead: { runId: string; left: string[] }, live: string[]): Promise<void> {
  await f.sql(async (w) => {
    const tables = await tablesOf(w, f.state);
    expect(tables.filter((t) => t.endsWith(`__${tagOf(dead.runId)}`))).toEqual([]);
    expect(tables).toEqual(expect.arrayContaining(live));
    const registered = await w.query(`select run_id, pid from ${w.dialect.table({ schema: f.state, name: 'dry_runs' })}`);
    expect(registered.map((r) => [String(r.run_id), Number(r.pid)])).toEqual([[LIVE, process.pid]]);
  });
}

/** The scenario, on one warehouse: a plan killed mid-diff, cleaned by the next plan; a dry backfill killed, cleaned by the next sync. */
function killedDryRuns(name: string, open: () => Promise<Fixture>) {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.cleanup();
    f = undefined;
  });

  it(`${name}: a plan SIGKILLed after its diff tables exist leaves them; the next plan drops them and keeps a live plan's`, async () => {
    f = await open();
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
    const dead = await killPaused(f, ['plan'], /create (or replace )?table [^\n]*removed__/i);
    // What the kill left: the real diff of all 2,500 rows (nothing delivered yet: every row is new).
    expect(dead.left.sort()).toEqual([`changes__${SYNC}__${tagOf(dead.runId)}`, `removed__${SYNC}__${tagOf(dead.runId)}`]);
    const [{ n }] = await f.sql((w) => w.query(`select count(*) as n from ${w.dialect.table({ schema: f!.state, name: dead.left.sort()[0] })}`));
    expect(Number(n)).toBe(USERS);
    const live = await registerLivePlan(f);

    const plan = await f.cli(['plan']);
    expect(plan.code, plan.err).toBe(EXIT.ok);
    expect(plan.events.filter((e) => e.event === 'dead_dry_run_cleaned')).toEqual([
      expect.objectContaining({ run_id: dead.runId, command: 'plan', syncs: [SYNC] }),
    ]);
    expect(plan.events.find((e) => e.event === 'plan')).toMatchObject({ sync: SYNC, new: USERS });
    await expectLeftoversGone(f, dead, live);
  }, 120_000);

  it(`${name}: a backfill --dry-run SIGKILLed with its own selection and diff; the next sync drops them`, async () => {
    f = await open();
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
    const dead = await killPaused(f, ['backfill', SYNC, '--full', '--dry-run'], /create (or replace )?table [^\n]*changes__/i);
    expect(dead.left.sort()).toEqual([`backfill__${SYNC}__${tagOf(dead.runId)}`, `changes__${SYNC}__${tagOf(dead.runId)}`]);
    const live = await registerLivePlan(f);

    const sync = await f.cli(['sync']);
    expect(sync.code, sync.err).toBe(EXIT.ok);
    expect(sync.events.filter((e) => e.event === 'dead_dry_run_cleaned').map((e) => [e.run_id, e.command])).toEqual([[dead.runId, 'backfill --dry-run']]);
    expect(sync.events.find((e) => e.event === 'sync_done')).toMatchObject({ delivered: USERS });
    await expectLeftoversGone(f, dead, live);
  }, 120_000);
}

describe('a killed dry run leaves no tables behind (DuckDB)', () => {
  killedDryRuns('DuckDB', async () => {
    const fx = await opsFixture({ users: USERS });
    return { ...fx, state: 'pqlsync', sql: (fn) => fx.sql(fn) };
  });
});

describe.skipIf(!postgresUrl)('a killed dry run leaves no tables behind (PostgreSQL)', () => {
  killedDryRuns('PostgreSQL', async () => {
    const fx: PostgresFixture = await postgresFixture({ users: USERS });
    return { ...fx, state: fx.schemas.state, cli: (args) => fx.cli(args) };
  });
});
