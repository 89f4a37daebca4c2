/**
 * End to end on the BigQuery and Snowflake fakes, with the default page (1,000 rows),
 * checkpoint (2,000 outcomes) and batch (100 records) sizes, at a size that crosses each
 * boundary several times: generated raw data → the shipped models built by the connector →
 * diff → the HubSpot sandbox through the real client. On BigQuery every statement pqlsync sends
 * is analyzed by ZetaSQL (test/fakes/bigquery-fake.ts) before it runs, so the run also proves
 * that BigQuery's analyzer accepts all of them.
 *
 * Then a crash: a checkpoint fails in the middle of its transaction (after the state delete,
 * before the insert). State must be exactly as before that checkpoint (no record id lost), the
 * run must fail, and a rerun must deliver the rest with every record id kept.
 *
 * Last, the shipped models on data whose user and account ids are integers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Destination } from '../../connectors/destination.ts';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { createHubSpotDestination } from '../../connectors/hubspot/hubspot.destination.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import type { Row } from '../../connectors/warehouse.ts';
import type { Project } from '../../src/config/load-project.ts';
import type { SyncConfig } from '../../src/config/schema.ts';
import { DEMO_AS_OF, DEMO_TABLES, generateDemoData, touchUsers } from '../../src/demo/generate-demo-data.ts';
import { closeSession, openSession, type Session } from '../../src/run/session.ts';
import { withIntegerIds } from '../helpers/integer-ids.ts';
import { backfillSyncOptions, discardBackfill, planBackfill, prepareBackfill, type BackfillSelection } from '../../src/run/backfill.ts';
import { buildStep, planStep, syncContext, syncStep, testStep } from '../../src/run/steps.ts';
import type { PipelineOptions } from '../../src/run/pipeline.ts';
import { createLogger } from '../../src/util/logger.ts';
import { BigQueryFake } from '../fakes/bigquery-fake.ts';
import { expectSame } from '../helpers/expect-same.ts';
import type { DuckDBEngine } from '../fakes/duckdb-engine.ts';
import { SnowflakeFake } from '../fakes/snowflake-fake.ts';
import { crmRequests, memoryLogger, shippedProject, withoutSignificance } from '../helpers/project.ts';

snowflake.configure({ disableOCSPChecks: true, logLevel: 'OFF' });

const TOKEN = 'pat-fakes-e2e-token';
/** Users generated: enough contacts for several pages and checkpoints at the defaults. */
const USERS = 6_000;
const SEED = 23;
/** Users whose activity changes before the crash run: more than one checkpoint of changed contacts. */
const TOUCHED = 2_600;

interface FakeTarget {
  engine: DuckDBEngine;
  warehouse: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  projectRoot?: string;
  /** Checkpoint transactions that touched sync state so far. */
  stateCheckpoints(): number;
  /**
   * Makes the `nth` statement matching `match` fail (then disarms); until then `onBegin` runs
   * before each transaction begins (to snapshot state).
   */
  failNth(match: RegExp, nth: number, onBegin: () => Promise<void>): void;
  afterRawLoaded(): void;
  stop(): Promise<void>;
}

async function bigqueryTarget(): Promise<FakeTarget> {
  const fault = faultInjector(/^BEGIN TRANSACTION$/i, 'Injected: the job failed in the middle of the script');
  const fake = await BigQueryFake.start({ failStatement: fault.check });
  return {
    engine: fake.engine,
    warehouse: { type: 'bigquery', project: 'test-project', location: 'US', api_endpoint: fake.url },
    env: {},
    stateCheckpoints: () => fake.scripts.filter((s) => /sync_state/.test(s)).length,
    failNth: fault.arm,
    afterRawLoaded: () => fake.resetCatalog(),
    stop: async () => {
      console.log(`BigQuery fake: ZetaSQL analyzed ${fake.analyzed.length} statements in ${Math.round(fake.analysisMs)} ms`);
      if (fake.rejected.length > 0) throw new Error(`ZetaSQL rejected: ${JSON.stringify(fake.rejected, null, 2)}`);
      await fake.stop();
    },
  };
}

async function snowflakeTarget(): Promise<FakeTarget> {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const keyDir = await mkdtemp(path.join(tmpdir(), 'pqlsync-sf-e2e-'));
  writeFileSync(path.join(keyDir, 'rsa_key.p8'), keys.privateKey);
  const fault = faultInjector(/^\s*begin\b/i, 'Injected: the statement failed in the middle of the transaction');
  const fake = await SnowflakeFake.start({ user: 'pqlsync', publicKey: keys.publicKey, failStatement: fault.check });
  return {
    engine: fake.engine,
    warehouse: { type: 'snowflake', account: 'fake-account', database: 'PQLSYNC', access_url: fake.url },
    env: { SNOWFLAKE_USER: 'pqlsync', SNOWFLAKE_PRIVATE_KEY_PATH: path.join(keyDir, 'rsa_key.p8') },
    projectRoot: keyDir,
    stateCheckpoints: () => fake.statements.filter((s) => /^\s*insert into .*sync_state/is.test(s)).length,
    failNth: fault.arm,
    afterRawLoaded: () => undefined,
    stop: async () => {
      await fake.stop();
      await rm(keyDir, { recursive: true, force: true });
    },
  };
}

/** A fault for a fake's failStatement hook: the nth statement matching a pattern fails. */
function faultInjector(begin: RegExp, message: string) {
  let armed: { match: RegExp; left: number; onBegin: () => Promise<void> } | undefined;
  return {
    arm: (match: RegExp, nth: number, onBegin: () => Promise<void>) => void (armed = { match, left: nth, onBegin }),
    check: async (sql: string): Promise<string | undefined> => {
      if (!armed) return undefined;
      if (begin.test(sql)) await armed.onBegin();
      else if (armed.match.test(sql) && --armed.left === 0) {
        armed = undefined;
        return message;
      }
      return undefined;
    },
  };
}

/** Copies the generator's raw tables into the fake's DuckDB (test setup, not pqlsync SQL). */
async function loadRaw(target: FakeTarget, file: string): Promise<void> {
  await target.engine.run(`attach '${file}' as gen (read_only)`);
  await target.engine.run('create schema if not exists raw');
  for (const t of DEMO_TABLES) await target.engine.run(`create or replace table raw.${t} as select * from gen.raw.${t}`);
  await target.engine.run('detach gen');
  target.afterRawLoaded();
}

function endToEndOnFake(name: string, makeTarget: () => Promise<FakeTarget>) {
  describe(`end to end on the ${name} fake, default sizes`, () => {
    let target: FakeTarget;
    let project: Project;
    let cleanupProject: () => Promise<void>;
    let dir: string;
    let generatorFile: string;
    let sandbox: Sandbox;
    let session: Session;
    let destination: Destination;

    const syncOf = (object: 'contacts' | 'companies'): SyncConfig => session.project.config.syncs.find((s) => s.object === object)!;
    const modelRows = (sync: SyncConfig): Promise<Row[]> =>
      session.warehouse.query(`select * from ${session.warehouse.dialect.table({ schema: session.project.config.schema, name: sync.model })}`);
    const stateRows = async (sync: SyncConfig): Promise<Array<{ key: string; id: string; hash: string }>> =>
      (
        await target.engine.run(
          `select record_key, record_id, row_hash from ${session.project.config.state_schema}.sync_state where sync_name = '${sync.name}' order by record_key`,
        )
      ).rows.map(([key, id, hash]) => ({ key: String(key), id: String(id), hash: String(hash) }));
    const run = async (options: PipelineOptions = {}) => {
      const pages: number[] = [];
      let sentBefore = 0;
      sandbox.resetStats();
      const results = await syncStep(session, destination, session.project.config.syncs, {
        ...options,
        onProgress: (p) => {
          if (p.sync !== 'contacts') return;
          pages.push(p.sent - sentBefore);
          sentBefore = p.sent;
        },
      });
      return { results, pages, contacts: results.find((r) => r.plan.object === 'contacts')! };
    };
    const expectHubSpotHoldsModels = async () => {
      for (const object of ['contacts', 'companies'] as const) {
        const sync = syncOf(object);
        // Contacts are keyed by the product user id, held in pqlsync_user_key.
        const keyProperty = object === 'contacts' ? 'pqlsync_user_key' : 'domain';
        const held = new Map(sandbox.records(object).map((r) => [String(r.properties[keyProperty]).toLowerCase(), r]));
        const rows = await modelRows(sync);
        expect(held.size, `${object} in HubSpot`).toBe(rows.length);
        const state = new Map((await stateRows(sync)).map((s) => [s.key, s]));
        for (const row of rows) {
          const key = String(row[sync.key]);
          const record = held.get(key);
          expect(record, `${object} ${key} in HubSpot`).toBeDefined();
          // State holds HubSpot's record id for every delivered key.
          expect(state.get(key)?.id, `${object} ${key} record id in state`).toBe(record!.id);
          for (const p of sync.properties) expectSame(p.property, p.type, row[p.column], record!.properties[p.property], key);
        }
      }
    };

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-fakes-e2e-'));
      generatorFile = path.join(dir, 'generated.duckdb');
      const generator = await DuckDBWarehouse.open({ path: generatorFile });
      await generateDemoData(generator, { users: USERS, seed: SEED });
      await generator.close();

      target = await makeTarget();
      await loadRaw(target, generatorFile);
      const shipped = await shippedProject((config) => {
        config.warehouse = target.warehouse;
        // Every record is compared with the model after a change: nothing may be held back.
        withoutSignificance(config);
      });
      project = shipped.project;
      cleanupProject = shipped.cleanup;
      sandbox = await startSandbox({ accessToken: TOKEN, requestsPer10s: 1000, windowMs: 1000 });
      const log = createLogger({ json: true, secrets: [TOKEN], out: memoryLogger().sink, err: memoryLogger().sink });
      session = await openSession({ ...project, root: target.projectRoot ?? project.root }, { log, asOf: DEMO_AS_OF, env: target.env });
      await buildStep(session);
      await testStep(session);
      destination = await createHubSpotDestination({
        accessToken: TOKEN,
        basePath: sandbox.url,
        groupName: project.config.destination.property_group.name,
        groupLabel: project.config.destination.property_group.label,
        requestsPer10s: 1000,
        requestsPerDay: 250_000,
      });
    }, 600_000);

    afterAll(async () => {
      if (session) await closeSession(session);
      await sandbox?.stop();
      await target?.stop();
      await cleanupProject?.();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('delivers every row in pages of 1,000, checkpoints of 2,000 and batches of 100', async () => {
      const checkpointsBefore = target.stateCheckpoints();
      const first = await run();
      const contacts = (await modelRows(syncOf('contacts'))).length;
      expect(contacts).toBeGreaterThan(4_000);
      for (const r of first.results) {
        expect(r.failed, r.plan.sync).toBe(0);
        expect(r.delivered, r.plan.sync).toBe(r.plan.diff.rows);
      }
      expect(first.contacts.delivered).toBe(contacts);
      expect(first.pages).toEqual([...Array(Math.floor(contacts / 1000)).fill(1000), ...(contacts % 1000 ? [contacts % 1000] : [])]);
      // Contacts: ceil(n / 2,000) checkpoints; companies: at least one more.
      expect(target.stateCheckpoints() - checkpointsBefore).toBeGreaterThanOrEqual(Math.ceil(contacts / 2000) + 1);
      const batches = Object.entries(sandbox.stats.requestsByRoute)
        .filter(([route]) => /contacts\/batch/.test(route))
        .reduce((n, [, c]) => n + c, 0);
      expect(batches).toBeGreaterThanOrEqual(Math.ceil(contacts / 100));
      await expectHubSpotHoldsModels();
      console.log(`${name}: ${contacts} contacts in ${first.pages.length} pages, ${target.stateCheckpoints() - checkpointsBefore} state checkpoints, ${batches} contact batch requests`);
    }, 600_000);

    it('sends nothing when nothing changed', async () => {
      const again = await run();
      for (const r of again.results) expect(r.sent, r.plan.sync).toBe(0);
      expect(crmRequests(sandbox)).toBe(0);
    }, 600_000);

    it('a checkpoint that fails mid-transaction leaves state exactly as before it; a rerun delivers the rest and keeps every record id', async () => {
      const contactsSync = syncOf('contacts');
      const usersWithContacts = await target.engine.run(
        `select u.user_id from raw.users u where lower(trim(u.email)) in (select email from ${session.project.config.schema}.contact_sync) order by u.user_id limit ${TOUCHED}`,
      );
      const userIds = usersWithContacts.rows.map(([id]) => String(id));
      const generator = await DuckDBWarehouse.open({ path: generatorFile });
      await touchUsers(generator, { userIds, at: new Date(new Date(DEMO_AS_OF).getTime() - 3_600_000).toISOString() });
      await generator.close();
      await loadRaw(target, generatorFile);
      await buildStep(session);

      const before = await stateRows(contactsSync);
      // The contacts' second state checkpoint fails after its delete from sync state, before its
      // insert; the state at the start of each transaction is kept, so the failing one's is known.
      // The companies sync runs first (contacts are associated with companies): skip its checkpoints.
      const [companies] = await planStep(session, [syncOf('companies')]);
      const companyCheckpoints = Math.ceil(companies.toSend / 2000);
      let atBegin: typeof before | undefined;
      target.failNth(/^\s*insert into .*sync_state/is, companyCheckpoints + 2, async () => {
        atBegin = await stateRows(contactsSync);
      });
      const failed = await run({ force: true }).catch((e: unknown) => e);
      expect(failed, 'the run fails when a checkpoint fails').toBeInstanceOf(Error);
      expect(String((failed as Error).message)).toMatch(/Injected/);
      const after = await stateRows(contactsSync);
      // Atomic: exactly the state before the failing checkpoint, every record id kept.
      expect(after).toEqual(atBegin);
      // The first checkpoint did land (the failing one was a later one).
      expect(after.filter((s, i) => s.hash !== before[i].hash).length).toBe(2000);
      const ids = new Map(after.map((s) => [s.key, s.id]));
      for (const s of before) expect(ids.get(s.key), `record id of ${s.key}`).toBe(s.id);

      const rerun = await run({ force: true });
      for (const r of rerun.results) expect(r.failed, r.plan.sync).toBe(0);
      expect(rerun.contacts.delivered).toBeGreaterThan(0);
      const final = await stateRows(contactsSync);
      expect(final.map((s) => s.key)).toEqual(before.map((s) => s.key));
      for (const s of final) expect(s.id, `record id of ${s.key}`).toBe(before.find((b) => b.key === s.key)!.id);
      await expectHubSpotHoldsModels();
      expect((await run()).results.every((r) => r.sent === 0)).toBe(true);
    }, 600_000);

    it('plans, backfills (keys, where, since, full), clears removed rows and reads status, with the same statements', async () => {
      const contactsSync = syncOf('contacts');
      const ctx = syncContext(session);
      const plans = await planStep(session, session.project.config.syncs);
      expect(plans.every((p) => p.toSend === 0)).toBe(true);

      const backfill = async (selection: BackfillSelection, send: boolean) => {
        const prepared = await prepareBackfill(ctx, contactsSync, { selection });
        const plan = await planBackfill(ctx, contactsSync, prepared);
        if (!send) {
          await discardBackfill(ctx, contactsSync);
          return { prepared, plan, sent: 0 };
        }
        const [result] = await syncStep(session, destination, [contactsSync], {}, backfillSyncOptions(prepared));
        await discardBackfill(ctx, contactsSync);
        return { prepared, plan, sent: result.sent };
      };
      const emails = (await modelRows(contactsSync)).map((r) => String(r[contactsSync.key])).sort(); // the sync's keys: user ids
      const byKeys = await backfill({ kind: 'keys', keys: [...emails.slice(0, 30), 'usr_nobody'], source: 'keys.txt' }, true);
      expect(byKeys.prepared.unknownKeys).toBe(1);
      expect(byKeys.sent).toBe(30);
      const hot = await backfill({ kind: 'where', predicate: "pql_tier = 'hot'" }, false);
      expect(hot.plan.toSend).toBeGreaterThan(0);
      const recent = await backfill({ kind: 'since', column: 'last_active_at', since: '2026-10-25T00:00:00.000Z' }, false);
      expect(recent.plan.toSend).toBeGreaterThan(0);
      const full = await backfill({ kind: 'full' }, true);
      expect(full.sent).toBe(emails.length);

      // Users leave the model: with on_removed: clear their pqlsync properties are emptied in
      // HubSpot and their keys leave state.
      contactsSync.on_removed = 'clear';
      const gone = await target.engine.run(
        `select u.user_id, lower(trim(u.email)) from raw.users u where lower(trim(u.email)) in (select email from ${session.project.config.schema}.contact_sync) order by u.user_id desc limit 40`,
      );
      const generator = await DuckDBWarehouse.open({ path: generatorFile });
      await generator.execute(`delete from raw.users where user_id in (${gone.rows.map(([id]) => `'${String(id)}'`).join(', ')})`);
      await generator.close();
      await loadRaw(target, generatorFile);
      await buildStep(session);
      const cleared = await run();
      expect(cleared.contacts.plan.diff.removed).toBe(40);
      const state = new Set((await stateRows(contactsSync)).map((s) => s.key));
      for (const [userId, email] of gone.rows) {
        expect(state.has(String(userId)), `${userId} left state`).toBe(false);
        const [record] = sandbox.findByProperty('contacts', 'email', String(email));
        expect(record.properties.pqlsync_pql_score ?? '', `${email} cleared`).toBe('');
      }

      expect((await session.state.lastRuns(20)).length).toBeGreaterThan(0);
      expect(await session.state.openErrors()).toEqual([]);
      expect(await session.state.lockHolders()).toEqual([]);
      expect(await session.state.countErrors('contacts')).toBe(0);
      expect((await stateRows(contactsSync)).length).toBe(emails.length - 40);
    }, 600_000);
  });
}


/**
 * The shipped models on data whose user and account ids are integers (as most product databases
 * keep them): they build and pass their tests, and every sync delivers its rows, keyed by the ids
 * as text (BigQuery's analyzer refuses mixing INT64 with STRING where DuckDB would cast).
 */
function integerIdsOnFake(name: string, makeTarget: () => Promise<FakeTarget>) {
  it(`integer user and account ids on the ${name} fake: build, test and every sync deliver, keyed by the ids as text`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-fakes-int-'));
    const generatorFile = path.join(dir, 'generated.duckdb');
    const generator = await DuckDBWarehouse.open({ path: generatorFile });
    await generateDemoData(generator, { users: 1_200, seed: 5 });
    await withIntegerIds(generator);
    await generator.close();
    const target = await makeTarget();
    const shipped = await shippedProject((config) => (config.warehouse = target.warehouse));
    const sandbox = await startSandbox({ accessToken: TOKEN, requestsPer10s: 1000, windowMs: 1000 });
    const log = createLogger({ json: true, secrets: [TOKEN], out: memoryLogger().sink, err: memoryLogger().sink });
    let session: Session | undefined;
    try {
      await loadRaw(target, generatorFile);
      session = await openSession({ ...shipped.project, root: target.projectRoot ?? shipped.project.root }, { log, asOf: DEMO_AS_OF, env: target.env });
      await buildStep(session);
      await testStep(session);
      const group = shipped.project.config.destination.property_group;
      const destination = await createHubSpotDestination({ accessToken: TOKEN, basePath: sandbox.url, groupName: group.name, groupLabel: group.label, requestsPer10s: 1000, requestsPerDay: 250_000 });
      const results = await syncStep(session, destination, session.project.config.syncs);
      for (const r of results) expect({ sync: r.plan.sync, failed: r.failed, delivered: r.delivered }).toEqual({ sync: r.plan.sync, failed: 0, delivered: r.plan.toSend });
      const users = (await session.warehouse.query(`select user_id from ${session.warehouse.dialect.table({ schema: session.project.config.schema, name: 'contact_sync' })}`)).map((r) => String(r.user_id));
      expect(users.length).toBeGreaterThan(1_000);
      expect(users.every((u) => /^-?\d+$/.test(u))).toBe(true);
      expect(sandbox.records('contacts').map((c) => c.properties.pqlsync_user_key).sort()).toEqual(users.sort());
      const deals = results.find((r) => r.plan.object === 'deals')!;
      const toContacts = deals.associations.find((a) => a.to === 'contacts')!;
      expect(toContacts.pairs).toBeGreaterThan(50);
      expect(toContacts).toMatchObject({ written: toContacts.pairs, failed: 0, waiting: 0 });
    } finally {
      if (session) await closeSession(session);
      await sandbox.stop();
      await target.stop();
      await shipped.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);
}

endToEndOnFake('BigQuery', bigqueryTarget);
endToEndOnFake('Snowflake', snowflakeTarget);
describe('integer ids on the fakes', () => {
  integerIdsOnFake('BigQuery', bigqueryTarget);
  integerIdsOnFake('Snowflake', snowflakeTarget);
});
