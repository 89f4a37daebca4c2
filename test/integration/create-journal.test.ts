/**
 * The runner's half of journaled creates (src/run/create-journal.ts, src/state/create-intents.ts)
 * on an in-memory DuckDB: a page of task changes learns each task's contact id from the contacts
 * sync's state, the intents are recorded before the send, a second attempt is marked as such and
 * keeps the contact its intent named, delivered intents are forgotten, and a portal with unique
 * keys (or a sync without a contacts association) is handled as it must be.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import type { Change, SyncWriter } from '../../connectors/destination.ts';
import type { SyncConfig } from '../../src/config/schema.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { createJournal } from '../../src/run/create-journal.ts';
import { StateStore } from '../../src/state/state-store.ts';

let w: DuckDBWarehouse;
const ctx = (syncs: SyncConfig[]) => ({ warehouse: w, state: new StateStore(w, 'pqlsync'), schemas: { models: 'models', state: 'pqlsync' }, runId: 'run-1', syncs });

const contacts = { name: 'contacts', model: 'people', object: 'contacts', key: 'email' } as unknown as SyncConfig;
const tasks = {
  name: 'tasks',
  model: 'person_tasks',
  object: 'tasks',
  key: 'task_key',
  mode: 'insert_once',
  associations: [{ to: 'contacts', column: 'email' }],
} as unknown as SyncConfig;

const destination = (through: 'contacts' | null) => ({ createsThrough: () => through }) as unknown as SyncWriter;
const change = (key: string, recordId: string | null = null): Change => ({ key, kind: recordId ? 'changed' : 'new', recordId, values: {} });
const intents = async () => (await w.query(`select record_key, parent_id from pqlsync.create_intents order by record_key`)).map((r) => `${r.record_key}→${r.parent_id}`);

beforeEach(async () => {
  w = await DuckDBWarehouse.open({ path: ':memory:' });
  await new StateStore(w, 'pqlsync').ensureTables();
  await w.execute('create schema models');
  await w.execute(`create table models.person_tasks as select * from (values ('a|1', 'a@x.io'), ('a|2', 'a@x.io'), ('b|1', 'b@x.io'), ('c|1', 'c@x.io')) t(task_key, email)`);
  await w.execute(`insert into pqlsync.sync_state (sync_name, record_key, record_id) values ('contacts', 'a@x.io', '101'), ('contacts', 'b@x.io', '102'), ('contacts', 'c@x.io', 'deleted:103')`);
});
afterEach(async () => w.close());

describe('journaled creates: the runner', () => {
  it('fills each change with its contact and earlier attempts, and records intents before the send', async () => {
    const journal = createJournal(ctx([contacts, tasks]), destination('contacts'), tasks);
    const first = await journal.beforeSend([change('a|1'), change('a|2'), change('b|1'), change('c|1')]);
    expect(first.map((c) => [c.key, c.journal])).toEqual([
      ['a|1', { parentId: '101', attempted: false }],
      ['a|2', { parentId: '101', attempted: false }],
      ['b|1', { parentId: '102', attempted: false }],
      // A contact left deleted in HubSpot has no id to create the task with: it waits.
      ['c|1', { parentId: null, attempted: false }],
    ]);
    expect(await intents()).toEqual(['a|1→101', 'a|2→101', 'b|1→102']);

    // The contact's id changes (recreated); a second attempt looks where its intent says, and records nothing more.
    await w.execute(`update pqlsync.sync_state set record_id = '201' where record_key = 'a@x.io'`);
    const again = await createJournal(ctx([contacts, tasks]), destination('contacts'), tasks).beforeSend([change('a|1'), change('b|1')]);
    expect(again.map((c) => c.journal)).toEqual([
      { parentId: '101', attempted: true },
      { parentId: '102', attempted: true },
    ]);
    expect(await intents()).toEqual(['a|1→101', 'a|2→101', 'b|1→102']);

    // Delivered keys' intents are settled after the sync; a task known by id (a backfill) is never intended.
    await w.execute(`insert into pqlsync.sync_state (sync_name, record_key, record_id) values ('tasks', 'a|1', '9001'), ('tasks', 'b|1', '9002')`);
    await journal.settle();
    expect(await intents()).toEqual(['a|2→101']);
    await createJournal(ctx([contacts, tasks]), destination('contacts'), tasks).beforeSend([change('b|1', '9002')]);
    expect(await intents()).toEqual(['a|2→101']);
  });

  it('a portal that keeps the key unique: changes go through untouched, nothing is journaled', async () => {
    const journal = createJournal(ctx([contacts, tasks]), destination(null), tasks);
    const page = [change('a|1')];
    expect(await journal.beforeSend(page)).toBe(page);
    await journal.settle();
    expect(await intents()).toEqual([]);
  });

  it('a tasks sync without an association to a contacts sync is a configuration error, before anything is sent', async () => {
    const lonely = { ...tasks, associations: [] } as unknown as SyncConfig;
    const error = await createJournal(ctx([contacts, lonely]), destination('contacts'), lonely).beforeSend([change('a|1')]).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/Sync 'tasks' needs an association to a contacts sync/);
    expect(await intents()).toEqual([]);
  });
});
