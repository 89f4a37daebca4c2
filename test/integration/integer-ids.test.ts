/**
 * Product databases mostly key users and accounts by integer ids, where the demo's generator
 * writes text ('usr_12'). The shipped project, handoff included, on the demo data with every
 * user and account id an integer, through the CLI against the sandbox, on DuckDB and PostgreSQL:
 * it builds, passes its tests and syncs (exit 0); every contact carries its user id as text,
 * every deal is associated with its contact, the handoff makes each task once, and a second run
 * sends nothing. (deal_sync and the handoff's state compared these ids with text and failed.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { openWarehouse } from '../../connectors/registry.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { copyDemoRawTables } from '../helpers/copy-tables.ts';
import { withIntegerIds } from '../helpers/integer-ids.ts';
import { dropSchemas, memoryLogger, onTestPostgres, shippedProject } from '../helpers/project.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const TOKEN = 'pat-na1-integer-ids-token';
/** More contacts than a page of changes (1,000) and a batch (100). */
const USERS = 1200;

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** The demo's raw tables with each user and account id an integer. */
async function integerIdData(): Promise<DuckDBWarehouse> {
  const w = await DuckDBWarehouse.open({ path: ':memory:' });
  await generateDemoData(w, { users: USERS, seed: 5 });
  await withIntegerIds(w);
  return w;
}

noteSkippedPostgres('the shipped project with integer ids on PostgreSQL');
describe.each(['duckdb', ...(postgresUrl ? ['postgres'] : [])])('integer user and account ids on %s', (engine) => {
  it('build, test and sync exit 0; contacts keyed by the ids as text, deals with their contacts, each task once; a rerun sends nothing', async () => {
    let raw = 'raw';
    const shipped = await shippedProject(
      (c) => {
        c.handoff.first_run = 'create';
        if (engine === 'postgres') raw = onTestPostgres(c, 'intids');
      },
      { handoff: true },
    );
    const config = shipped.project.config;
    const sandbox: Sandbox = await startSandbox({ requestsPer10s: 100, windowMs: 500, accessToken: TOKEN });
    for (const group of Object.values(config.handoff!.routing!.groups)) for (const email of group.owners ?? []) sandbox.seedOwner({ email });
    const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url, ...(engine === 'postgres' ? { PQLSYNC_POSTGRES_URL: postgresUrl } : {}) };
    const generator = await integerIdData();
    let warehouse: Warehouse | undefined;
    cleanups.push(async () => {
      await sandbox.stop();
      await generator.close();
      await warehouse?.close();
      if (engine === 'postgres') {
        const pg = await openWarehouse(config.warehouse, { projectRoot: shipped.project.root, env });
        await dropSchemas(pg, [raw, config.schema, config.state_schema]);
        await pg.close();
      }
      await shipped.cleanup();
    });
    warehouse = await openWarehouse(config.warehouse, { projectRoot: shipped.project.root, env });
    await copyDemoRawTables(generator, warehouse, raw);
    // The CLI opens the warehouse itself (DuckDB's file takes one process).
    await warehouse.close();
    warehouse = undefined;
    const cli = async (command: string) => {
      const out = memoryLogger();
      const err = memoryLogger();
      const code = await runCli([command, '--config', shipped.project.configFile, '--json', '--as-of', DEMO_AS_OF], { env, out: out.sink, err: err.sink });
      const events = out.lines.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      return { code, events, err: err.lines.join('') + events.filter((e) => e.level === 'error').map((e) => e.msg).join('\n') };
    };

    const first = await cli('run');
    expect(first.code, first.err).toBe(EXIT.ok);
    warehouse = await openWarehouse(config.warehouse, { projectRoot: shipped.project.root, env });
    const m = (name: string) => warehouse!.dialect.table({ schema: config.schema, name });
    const users = (await warehouse.query(`select user_id from ${m('contact_sync')}`)).map((r) => String(r.user_id)).sort();
    expect(users.length).toBeGreaterThan(1000);
    expect(users.every((u) => /^-?\d+$/.test(u))).toBe(true);
    const contacts = sandbox.records('contacts');
    expect(contacts.map((c) => c.properties.pqlsync_user_key).sort()).toEqual(users);

    // Every deal whose contact is in the model is associated with that contact.
    const toContacts = first.events.find((e) => e.event === 'associations_done' && e.sync === 'deals' && e.to === 'contacts');
    expect(toContacts.pairs).toBeGreaterThan(50);
    expect(toContacts).toMatchObject({ written: toContacts.pairs, failed: 0, waiting: 0 });

    // The handoff: one task per task-making signal, each once.
    const [tasks] = await warehouse.query(`select count(*) as n from ${m('handoff_signals')} where task_subject is not null`);
    expect(Number(tasks.n)).toBeGreaterThan(10);
    expect(sandbox.records('tasks')).toHaveLength(Number(tasks.n));
    await warehouse.close();
    warehouse = undefined;

    const again = await cli('run');
    expect(again.code, again.err).toBe(EXIT.ok);
    const summary = again.events.find((e) => e.event === 'run_summary');
    expect(summary.syncs.map((s: { sync: string; sent: number }) => [s.sync, Number(s.sent)])).toEqual(summary.syncs.map((s: { sync: string }) => [s.sync, 0]));
    expect(sandbox.records('tasks')).toHaveLength(Number(tasks.n));

    // A signals model of one's own that gives the ids as integers: the handoff says what to write, exit 3, no task.
    if (engine === 'duckdb') {
      const w = await openWarehouse(config.warehouse, { projectRoot: shipped.project.root, env });
      const table = (name: string) => w.dialect.table({ schema: config.schema, name });
      await w.execute(`create table ${table('signals_int')} as select * replace (cast(user_id as bigint) as user_id) from ${table('handoff_signals')}`);
      await w.execute(`drop table ${table('handoff_signals')}`);
      await w.execute(`alter table ${table('signals_int')} rename to handoff_signals`);
      await w.close();
      const refused = await cli('sync');
      expect(refused.code).toBe(EXIT.model);
      expect(refused.err).toContain("Model 'handoff_signals' gives user_id as BIGINT; the handoff keys people by text: select it as {{ to_string(user_id) }} as user_id");
      expect(sandbox.records('tasks')).toHaveLength(Number(tasks.n));
    }
  }, 300_000);
});
