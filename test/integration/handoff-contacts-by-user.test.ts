/**
 * The handoff's contact syncs (contact_owners, contact_tiers) follow people by their user id,
 * through the CLI against the sandbox (docs/handoff.md, "People, not emails"). They write through
 * the contacts sync's pqlsync_user_key and only update: when every person changes email they
 * send nothing, and an owner a rep changed by hand stays; a person the contacts sync has not
 * delivered is a row error, never a contact made with only an owner; a project whose state of
 * these syncs is keyed by email upgrades without sending any owner or tier date again.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import type { Row } from '../../connectors/warehouse.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { openWarehouse } from '../../connectors/registry.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { buildStep, testStep } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { copyDemoRawTables } from '../helpers/copy-tables.ts';
import { buildDemoTemplate, dropSchemas, memoryLogger, onTestPostgres, shippedProject, type DemoTemplate } from '../helpers/project.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const TOKEN = 'pat-na1-handoff-by-user-token';
const USERS = 500;
const HANDOFF_CONTACT_SYNCS = ['contact_owners', 'contact_tiers'];

let template: DemoTemplate;

beforeAll(async () => {
  template = await buildDemoTemplate({
    users: USERS,
    seed: 11,
    handoff: true,
    edit: (c) => {
      c.handoff.first_run = 'create';
      // Every person changes email in these tests: the contacts sync rewrites them all.
      const contacts = c.syncs.find((s: { name: string }) => s.name === 'contacts');
      contacts.guardrails = { ...contacts.guardrails, max_changed_share: 1 };
    },
  });
}, 300_000);

afterAll(async () => template?.cleanup());

interface World {
  sandbox: Sandbox;
  cli(): Promise<{ code: number; out: string; err: string }>;
  /** Rewrites pqlsync.yml (the upgrade: the same project, another config). */
  writeConfig(config: Record<string, any>): Promise<void>;
  query(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

async function openWorld(config: Record<string, any>): Promise<World> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-handoff-by-user-'));
  const db = path.join(dir, 'warehouse.duckdb');
  await copyFile(template.db, db);
  const configPath = path.join(dir, 'pqlsync.yml');
  const writeConfig = (c: Record<string, any>) => writeFile(configPath, JSON.stringify({ ...c, warehouse: { ...c.warehouse, path: db } }, null, 2));
  await writeConfig(config);
  const sandbox = await startSandbox({ requestsPer10s: 100, windowMs: 500, accessToken: TOKEN });
  for (const group of Object.values(config.handoff.routing.groups) as Array<{ owners: string[] }>) for (const email of group.owners) sandbox.seedOwner({ email });
  const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url };
  return {
    sandbox,
    async cli() {
      const out = memoryLogger();
      const err = memoryLogger();
      const code = await runCli(['sync', '--config', configPath, '--json', '--as-of', DEMO_AS_OF], { env, out: out.sink, err: err.sink });
      return { code, out: out.lines.join(''), err: err.lines.join('') };
    },
    writeConfig,
    async query(sql: string) {
      const w = await DuckDBWarehouse.open({ path: db });
      try {
        return await w.query(sql);
      } finally {
        await w.close();
      }
    },
    async close() {
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The handoff's contact syncs keyed by email and upserted, as pqlsync.yml had them before. */
function emailKeyed(config: Record<string, any>): Record<string, any> {
  const c = structuredClone(config);
  for (const sync of c.syncs.filter((s: { name: string }) => HANDOFF_CONTACT_SYNCS.includes(s.name))) {
    sync.key = 'email';
    sync.mode = 'upsert';
    delete sync.identity_property;
  }
  return c;
}

/** Every person changes email in the product: the contacts model and the signals model. */
async function everyoneChangesEmail(w: World): Promise<void> {
  for (const model of ['contact_sync', 'handoff_signals']) {
    await w.query(`update pqlsync_models.${model} set email = concat('moved.', email) where email is not null`);
  }
}

/** The last run's counts of each handoff contact sync. */
async function lastRuns(w: World): Promise<Record<string, { sent: number; failed: number; rows: number }>> {
  const rows = await w.query(
    `select r.sync_name, r.n_sent, r.n_failed, r.n_rows from pqlsync.runs r
     where r.sync_name in ('contact_owners', 'contact_tiers')
       and r.started_at = (select max(started_at) from pqlsync.runs x where x.sync_name = r.sync_name)`,
  );
  return Object.fromEntries(rows.map((r) => [String(r.sync_name), { sent: Number(r.n_sent), failed: Number(r.n_failed), rows: Number(r.n_rows) }]));
}

const contactById = (w: World, id: string) => w.sandbox.records('contacts').find((c) => c.id === id)!;

const stateOf = (w: World, sync: string) => w.query(`select record_key, row_hash, record_id from pqlsync.sync_state where sync_name = '${sync}' order by record_key`);

/** A rep gives one routed contact another owner by hand; returns the contact id and that owner. */
async function repChangesAnOwner(w: World): Promise<{ contactId: string; ownerId: string }> {
  const [a] = await w.query(`select user_id, owner_id from pqlsync_models.handoff_owners order by user_id limit 1`);
  const contact = w.sandbox.findByUniqueValue('contacts', 'pqlsync_user_key', String(a.user_id))!;
  expect(contact.properties.hubspot_owner_id).toBe(String(a.owner_id));
  const rep = w.sandbox.seedOwner({ email: 'rep.by.hand@pqlsync-demo.test' });
  w.sandbox.editRecord('contacts', contact.id, { hubspot_owner_id: rep.id });
  return { contactId: contact.id, ownerId: rep.id };
}

describe('the handoff contact syncs keyed by user id', () => {
  it('every person changes email: contact_owners and contact_tiers send 0 rows, a hand-changed owner stays; a person without a contact is a row error, never a contact', async () => {
    const w = await openWorld(template.config);
    try {
      // One person with a task-making signal whom the contacts sync never delivers (left out of its model).
      const [ghost] = await w.query(`select o.user_id from pqlsync_models.handoff_signals o where o.task_subject is not null order by o.user_id desc limit 1`);
      await w.query(`delete from pqlsync_models.contact_sync where user_id = '${ghost.user_id}'`);

      const first = await w.cli();
      expect(first.code, first.err + first.out.slice(-2000)).toBe(EXIT.rowsFailed);
      const owners = await w.query('select user_id, owner_id from pqlsync_models.handoff_owners');
      const tiers = await w.query('select user_id from pqlsync_models.handoff_contacts');
      // Past a page and a batch.
      expect(owners.length).toBeGreaterThan(100);
      expect(tiers.length).toBeGreaterThan(100);
      // Every routed person's contact has its owner, found by the person's user id.
      for (const o of owners.filter((x) => x.user_id !== ghost.user_id)) {
        expect(w.sandbox.findByUniqueValue('contacts', 'pqlsync_user_key', String(o.user_id))?.properties.hubspot_owner_id, String(o.user_id)).toBe(String(o.owner_id));
      }
      // The ghost: no contact made with only an owner or a tier date; row errors saying why.
      expect(w.sandbox.findByUniqueValue('contacts', 'pqlsync_user_key', String(ghost.user_id))).toBeUndefined();
      expect(w.sandbox.records('contacts').filter((c) => !c.properties.email)).toEqual([]);
      const errors = await w.query(`select sync_name, record_key, category, message from pqlsync.row_errors order by sync_name`);
      expect(errors.map((e) => `${e.sync_name} ${e.record_key} ${e.category}`)).toEqual(
        HANDOFF_CONTACT_SYNCS.filter((s) => s === 'contact_owners' || tiers.some((t) => t.user_id === ghost.user_id)).map((s) => `${s} ${ghost.user_id} NOT_FOUND`),
      );
      expect(String(errors[0].message)).toContain('never created here');
      const contactsBefore = w.sandbox.records('contacts').length;

      const hand = await repChangesAnOwner(w);
      const ownersState = await stateOf(w, 'contact_owners');
      const tiersState = await stateOf(w, 'contact_tiers');
      await everyoneChangesEmail(w);

      const second = await w.cli();
      expect(second.code, second.err + second.out.slice(-2000)).toBe(EXIT.rowsFailed); // the ghost only
      const runs = await lastRuns(w);
      // The ghost is retried (and fails again); nobody else is sent.
      expect(runs.contact_owners).toMatchObject({ sent: 1, failed: 1 });
      expect(runs.contact_tiers.sent).toBe(runs.contact_tiers.failed);
      expect(await stateOf(w, 'contact_owners')).toEqual(ownersState);
      expect(await stateOf(w, 'contact_tiers')).toEqual(tiersState);
      expect(contactById(w, hand.contactId).properties.hubspot_owner_id).toBe(hand.ownerId);
      // The contacts sync did follow the email change, on the same contacts.
      expect(contactById(w, hand.contactId).properties.email).toMatch(/^moved\./);
      expect(w.sandbox.records('contacts').length).toBe(contactsBefore);
    } finally {
      await w.close();
    }
  }, 300_000);

  it('a project whose state of these syncs is keyed by email upgrades: no owner or tier date re-sent, a hand-changed owner stays, state keyed by user id', async () => {
    const w = await openWorld(emailKeyed(template.config));
    try {
      const first = await w.cli();
      expect(first.code, first.err + first.out.slice(-2000)).toBe(EXIT.ok);
      // One person changes email while these syncs are still keyed by email: a second row, to the same contact.
      const [early] = await w.query(`select user_id from pqlsync_models.handoff_owners order by user_id desc limit 1`);
      for (const model of ['contact_sync', 'handoff_signals']) {
        await w.query(`update pqlsync_models.${model} set email = concat('early.', email) where user_id = '${early.user_id}'`);
      }
      const interim = await w.cli();
      expect(interim.code, interim.err + interim.out.slice(-2000)).toBe(EXIT.ok);
      expect((await lastRuns(w)).contact_owners.sent).toBe(1);
      const before = await w.query(
        `select s.sync_name, s.row_hash, s.record_id, c.record_key as user_id from pqlsync.sync_state s
         join pqlsync.sync_state c on c.sync_name = 'contacts' and c.record_id = s.record_id
         where s.sync_name in ('contact_owners', 'contact_tiers') order by s.sync_name, c.record_key`,
      );
      const emailKeys = await w.query(`select count(*) as n from pqlsync.sync_state where sync_name in ('contact_owners', 'contact_tiers') and record_key like '%@%'`);
      expect(Number(emailKeys[0].n)).toBe(before.length);
      // The sync forgot the old email's row (on_removed: keep). State an earlier run left with two
      // email rows for one person (a stale one, delivered earlier, to the same contact):
      await w.query(
        `insert into pqlsync.sync_state select sync_name, concat('stale.', record_key), row_hash, record_id, tier, run_id, synced_at - interval 1 day
         from pqlsync.sync_state where sync_name = 'contact_owners' and record_id = (select record_id from pqlsync.sync_state where sync_name = 'contacts' and record_key = '${early.user_id}')`,
      );
      expect(before.filter((r) => r.sync_name === 'contact_owners').length).toBeGreaterThan(100);
      expect(before.filter((r) => r.sync_name === 'contact_tiers').length).toBeGreaterThan(100);
      const hand = await repChangesAnOwner(w);
      const contacts = w.sandbox.records('contacts').length;

      // The upgrade, with every person's email changed at once (the old email keys match nobody's
      // current email: only the record ids the contacts sync holds find them).
      await everyoneChangesEmail(w);
      await w.writeConfig(template.config);
      const second = await w.cli();
      expect(second.code, second.err + second.out.slice(-2000)).toBe(EXIT.ok);
      expect(await lastRuns(w)).toMatchObject({ contact_owners: { sent: 0, failed: 0 }, contact_tiers: { sent: 0, failed: 0 } });
      expect(second.out).toContain('handoff_state_rekeyed');
      expect(contactById(w, hand.contactId).properties.hubspot_owner_id).toBe(hand.ownerId);
      expect(w.sandbox.records('contacts').length).toBe(contacts);
      // Same rows, hashes and record ids, keyed by user id now; the early mover's two email rows are one.
      const after = await w.query(`select sync_name, row_hash, record_id, record_key as user_id from pqlsync.sync_state where sync_name in ('contact_owners', 'contact_tiers') order by sync_name, record_key`);
      expect(after).toEqual(before);
      expect(second.out).toContain('older email rows of the same people forgotten');

      // A rerun finds nothing left to re-key and sends nothing.
      const third = await w.cli();
      expect(third.code).toBe(EXIT.ok);
      expect(third.out).not.toContain('handoff_state_rekeyed');
      expect(await lastRuns(w)).toMatchObject({ contact_owners: { sent: 0 }, contact_tiers: { sent: 0 } });
    } finally {
      await w.close();
    }
  }, 300_000);
});

noteSkippedPostgres('the handoff contact syncs upgrade from email keys on PostgreSQL');
describe.skipIf(!postgresUrl)('on PostgreSQL', () => {
  it('the upgrade from email keys, every person changing email at once: no owner or tier date re-sent, a hand-changed owner stays', async () => {
    let raw = '';
    let shippedConfig: Record<string, any> = {};
    const shipped = await shippedProject(
      (c) => {
        c.handoff.first_run = 'create';
        raw = onTestPostgres(c, 'hcbu');
        const contacts = c.syncs.find((s: { name: string }) => s.name === 'contacts');
        contacts.guardrails = { ...contacts.guardrails, max_changed_share: 1 };
        shippedConfig = c;
      },
      { handoff: true },
    );
    const config = shipped.project.config;
    const configPath = path.join(shipped.dir, 'pqlsync.yml');
    const sandbox = await startSandbox({ requestsPer10s: 100, windowMs: 500, accessToken: TOKEN });
    for (const group of Object.values(config.handoff!.routing!.groups)) for (const email of group.owners ?? []) sandbox.seedOwner({ email });
    const env = { PQLSYNC_POSTGRES_URL: postgresUrl, HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url };
    const generator = await DuckDBWarehouse.open({ path: ':memory:' });
    const pg = await openWarehouse(config.warehouse, { projectRoot: shipped.project.root, env });
    const t = (schema: string, name: string) => pg.dialect.table({ schema, name });
    const cli = async () => {
      const out = memoryLogger();
      const err = memoryLogger();
      const code = await runCli(['sync', '--config', configPath, '--json', '--as-of', DEMO_AS_OF], { env, out: out.sink, err: err.sink });
      return { code, out: out.lines.join(''), err: err.lines.join('') };
    };
    const sent = async () =>
      Object.fromEntries(
        (
          await pg.query(
            `select r.sync_name, r.n_sent from ${t(config.state_schema, 'runs')} r where r.sync_name in ('contact_owners', 'contact_tiers')
             and r.started_at = (select max(started_at) from ${t(config.state_schema, 'runs')} x where x.sync_name = r.sync_name)`,
          )
        ).map((r) => [String(r.sync_name), Number(r.n_sent)]),
      );
    try {
      await generateDemoData(generator, { users: USERS, seed: 11 });
      await copyDemoRawTables(generator, pg, raw);
      const log = createLogger({ json: true, secrets: [TOKEN], out: memoryLogger().sink, err: memoryLogger().sink });
      const session = await openSession(shipped.project, { log, asOf: DEMO_AS_OF, env });
      try {
        await buildStep(session);
        await testStep(session);
      } finally {
        await closeSession(session);
      }
      // Before: the handoff's contact syncs keyed by email.
      await writeFile(configPath, JSON.stringify(emailKeyed(shippedConfig), null, 2));
      const first = await cli();
      expect(first.code, first.err + first.out.slice(-2000)).toBe(EXIT.ok);
      const state = `select s.sync_name, s.row_hash, s.record_id, c.record_key as user_id from ${t(config.state_schema, 'sync_state')} s
         join ${t(config.state_schema, 'sync_state')} c on c.sync_name = 'contacts' and c.record_id = s.record_id
         where s.sync_name in ('contact_owners', 'contact_tiers') order by s.sync_name, c.record_key`;
      const before = await pg.query(state);
      expect(before.filter((r) => r.sync_name === 'contact_owners').length).toBeGreaterThan(100);
      expect(before.filter((r) => r.sync_name === 'contact_tiers').length).toBeGreaterThan(100);
      const [a] = await pg.query(`select user_id, owner_id from ${t(config.schema, 'handoff_owners')} order by user_id limit 1`);
      const contact = sandbox.findByUniqueValue('contacts', 'pqlsync_user_key', String(a.user_id))!;
      const rep = sandbox.seedOwner({ email: 'rep.by.hand@pqlsync-demo.test' });
      sandbox.editRecord('contacts', contact.id, { hubspot_owner_id: rep.id });
      const contacts = sandbox.records('contacts').length;

      for (const model of ['contact_sync', 'handoff_signals']) await pg.execute(`update ${t(config.schema, model)} set email = concat('moved.', email) where email is not null`);
      await writeFile(configPath, JSON.stringify(shippedConfig, null, 2));
      const second = await cli();
      expect(second.code, second.err + second.out.slice(-2000)).toBe(EXIT.ok);
      expect(await sent()).toEqual({ contact_owners: 0, contact_tiers: 0 });
      expect(sandbox.records('contacts').find((c) => c.id === contact.id)!.properties.hubspot_owner_id).toBe(rep.id);
      expect(sandbox.records('contacts').length).toBe(contacts);
      const after = await pg.query(
        `select sync_name, row_hash, record_id, record_key as user_id from ${t(config.state_schema, 'sync_state')} where sync_name in ('contact_owners', 'contact_tiers') order by sync_name, record_key`,
      );
      expect(after).toEqual(before);
    } finally {
      await dropSchemas(pg, [raw, config.schema, config.state_schema]);
      await pg.close();
      await generator.close();
      await sandbox.stop();
      await shipped.cleanup();
    }
  }, 600_000);
});
