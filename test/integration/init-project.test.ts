/**
 * `pqlsync init` with flags, as a user with their own table and column names: the scaffolded
 * project builds and passes its model tests on DuckDB against tables named as given, and its
 * contact and company rows are exactly those the shipped demo project computes from the same data.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { DEMO_CONFIG, DEMO_MODELS, memoryLogger } from '../helpers/project.ts';

let dir: string;

async function cli(args: string[]) {
  const out = memoryLogger();
  const err = memoryLogger();
  const code = await runCli(args, { env: { PATH: process.env.PATH }, out: out.sink, err: err.sink });
  return { code, out: out.lines.join(''), err: err.lines.join('') };
}

async function withDuckDB<T>(file: string, fn: (w: DuckDBWarehouse) => Promise<T>): Promise<T> {
  const w = await DuckDBWarehouse.open({ path: file });
  try {
    return await fn(w);
  } finally {
    await w.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-init-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pqlsync init', () => {
  it('writes a project whose models build on tables and columns named as the flags say, with the demo\'s results', async () => {
    const project = path.join(dir, 'acme');
    const init = await cli([
      'init', project, '--warehouse', 'duckdb', '--duckdb-path', 'data/acme.duckdb',
      '--source', 'users=app.people', '--column', 'users.user_id=id', '--column', 'users.email=email_address', '--column', 'users.signup_at=created',
      '--source', 'events=tracking.activity', '--column', 'events.event_name=action', '--column', 'events.occurred_at=ts',
    ]);
    expect(init.err).toBe('');
    expect(init.code).toBe(0);
    const config = parse(await readFile(path.join(project, 'pqlsync.yml'), 'utf8'));
    expect(config.sources).toMatchObject({ users: 'app.people', events: 'tracking.activity', accounts: 'raw.accounts' });
    expect(config.warehouse).toEqual({ type: 'duckdb', path: 'data/acme.duckdb' });
    const workflow = parse(await readFile(path.join(project, '.github/workflows/pqlsync.yml'), 'utf8'));
    expect(workflow.on.schedule[0].cron.split(' ')).toHaveLength(5);
    expect(workflow.jobs.sync.env.HUBSPOT_ACCESS_TOKEN).toBe('${{ secrets.HUBSPOT_ACCESS_TOKEN }}');
    expect(await readFile(path.join(project, '.gitignore'), 'utf8')).toContain('.pqlsync/');

    // The same demo data twice: as the demo has it (raw.*), and renamed as this user has it.
    const demoDb = path.join(dir, 'demo.duckdb');
    const userDb = path.join(project, 'data/acme.duckdb');
    await mkdir(path.dirname(userDb), { recursive: true });
    for (const file of [demoDb, userDb]) await withDuckDB(file, (w) => generateDemoData(w, { users: 300, seed: 7 }).then(() => undefined));
    await withDuckDB(userDb, async (w) => {
      await w.execute('create schema app');
      await w.execute('create schema tracking');
      await w.execute('create table app.people as select * exclude (user_id, email, signup_at), user_id as id, email as email_address, signup_at as created from raw.users');
      await w.execute('create table tracking.activity as select * exclude (event_name, occurred_at), event_name as action, occurred_at as ts from raw.events');
      await w.execute('drop table raw.users');
      await w.execute('drop table raw.events');
    });

    const userConfig = path.join(project, 'pqlsync.yml');
    expect((await cli(['build', '--config', userConfig, '--as-of', DEMO_AS_OF])).code).toBe(0);
    const tested = await cli(['test', '--config', userConfig, '--as-of', DEMO_AS_OF]);
    // Warn-level tests may warn (the demo data holds a user without a valid email); none may fail.
    expect(tested.err).not.toMatch(/^error:/m);
    expect(tested.code, tested.err).toBe(0);

    const demoConfig = path.join(dir, 'demo.yml');
    const shipped = parse(await readFile(DEMO_CONFIG, 'utf8'));
    await writeFile(demoConfig, JSON.stringify({ ...shipped, warehouse: { type: 'duckdb', path: demoDb }, models_path: DEMO_MODELS }));
    expect((await cli(['build', '--config', demoConfig, '--as-of', DEMO_AS_OF])).code).toBe(0);

    for (const model of ['contact_sync', 'company_sync', 'deal_sync']) {
      const rows = async (file: string) => withDuckDB(file, (w) => w.query(`select * from pqlsync_models.${model} order by 1`));
      const mine = await rows(userDb);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine).toEqual(await rows(demoDb));
    }
  });

  it('times loaded as text: doctor names each column and the cast to write; with the casts written, the same rows as before', async () => {
    const project = path.join(dir, 'texts');
    expect((await cli(['init', project, '--warehouse', 'duckdb', '--yes'])).code).toBe(0);
    const config = path.join(project, 'pqlsync.yml');
    const db = path.join(project, parse(await readFile(config, 'utf8')).warehouse.path);
    await withDuckDB(db, (w) => generateDemoData(w, { users: 300, seed: 7 }).then(() => undefined));
    const contacts = () => withDuckDB(db, (w) => w.query('select * from pqlsync_models.contact_sync order by 1'));
    expect((await cli(['build', '--config', config, '--as-of', DEMO_AS_OF])).code).toBe(0);
    const typed = await contacts();
    expect(typed.length).toBeGreaterThan(0);

    // As a CSV or JSON load leaves them: the events' and users' times as text.
    await withDuckDB(db, async (w) => {
      await w.execute("create table raw.events_text as select * replace (cast(occurred_at as varchar) as occurred_at) from raw.events");
      await w.execute("create table raw.users_text as select * replace (cast(signup_at as varchar) as signup_at) from raw.users");
      for (const t of ['events', 'users']) {
        await w.execute(`drop table raw.${t}`);
        await w.execute(`alter table raw.${t}_text rename to ${t}`);
      }
    });
    const doctor = async () => {
      const r = await cli(['doctor', '--config', config, '--json']);
      const checks = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((e) => e.event === 'doctor_check');
      return Object.fromEntries(checks.map((c) => [c.check, c]));
    };
    const found = await doctor();
    expect(found['source types'].status).toBe('failed');
    expect(found['source types'].detail).toContain('models/staging/src_events.sql: occurred_at is VARCHAR, and the models read it as a timestamp: write `cast(occurred_at as timestamp) as occurred_at` there');
    expect(found['source types'].detail).toContain('models/staging/src_users.sql: signup_at is VARCHAR');
    expect(found['source types'].detail).not.toContain('src_accounts');
    expect((await cli(['build', '--config', config, '--as-of', DEMO_AS_OF])).code).toBe(3);

    // The casts doctor names, written where it says.
    for (const [file, column] of [['src_events.sql', 'occurred_at'], ['src_users.sql', 'signup_at']]) {
      const sql = path.join(project, 'models/staging', file);
      const text = await readFile(sql, 'utf8');
      expect(text).toMatch(new RegExp(`^  ${column}\\b`, 'm'));
      await writeFile(sql, text.replace(new RegExp(`^  ${column}\\b`, 'm'), `  cast(${column} as timestamp) as ${column}`));
    }
    const fixed = await doctor();
    expect(fixed['source types']).toMatchObject({ status: 'ok' });
    expect(fixed.compile).toMatchObject({ status: 'ok' });
    expect((await cli(['build', '--config', config, '--as-of', DEMO_AS_OF])).code).toBe(0);
    expect(await contacts()).toEqual(typed);
  });

  it('in a folder of a git repository, puts the workflow at the repository root, running in the project folder', async () => {
    const repo = path.join(dir, 'analytics-repo');
    await mkdir(path.join(repo, '.git'), { recursive: true });
    expect((await cli(['init', path.join(repo, 'pql', 'hubspot'), '--warehouse', 'postgres'])).code).toBe(0);
    expect(existsSync(path.join(repo, 'pql/hubspot/.github'))).toBe(false);
    const workflow = parse(await readFile(path.join(repo, '.github/workflows/pqlsync.yml'), 'utf8'));
    const steps = workflow.jobs.sync.steps as { name?: string; run?: string; 'working-directory'?: string }[];
    expect(steps.find((s) => s.name === 'Install pqlsync')?.['working-directory']).toBeUndefined();
    expect(steps.find((s) => s.name === 'pqlsync run')?.['working-directory']).toBe('pql/hubspot');
    expect(steps.find((s) => s.name === 'Run summary')?.['working-directory']).toBe('pql/hubspot');
  });

  it('quotes a project name that YAML would misread', async () => {
    const project = path.join(dir, 'named');
    expect((await cli(['init', project, '--name', 'Acme: PQL #1', '--yes'])).code).toBe(0);
    expect(parse(await readFile(path.join(project, 'pqlsync.yml'), 'utf8')).name).toBe('Acme: PQL #1');
  });

  it('refuses a folder that already holds a project, and says what to do', async () => {
    const project = path.join(dir, 'twice');
    expect((await cli(['init', project, '--yes'])).code).toBe(0);
    const again = await cli(['init', project, '--yes']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exists: pqlsync init creates a new project/);
  });

  it('rejects a source or column pqlsync does not read, naming the ones it does', async () => {
    const result = await cli(['init', path.join(dir, 'bad'), '--source', 'people=app.people', '--column', 'users.mail=email']);
    expect(result.code).toBe(2);
    expect(result.err).toContain("source 'people': pqlsync's models read users, accounts, events, trials, subscriptions");
    expect(result.err).toContain("column 'users.mail': the users source has user_id,");
  });

  for (const warehouse of ['postgres', 'bigquery', 'snowflake']) {
    it(`--warehouse ${warehouse} writes a config that loads and a workflow with that warehouse's secrets`, async () => {
      const project = path.join(dir, warehouse);
      expect((await cli(['init', project, '--warehouse', warehouse])).code).toBe(0);
      const config = parse(await readFile(path.join(project, 'pqlsync.yml'), 'utf8'));
      expect(config.warehouse.type).toBe(warehouse);
      const workflow = await readFile(path.join(project, '.github/workflows/pqlsync.yml'), 'utf8');
      const steps = parse(workflow).jobs.sync.steps as { uses?: string; run?: string }[];
      for (const step of steps) expect(Boolean(step.uses) !== Boolean(step.run), 'a step has uses or run').toBe(true);
      expect(steps.map((s) => s.run ?? '').join('\n')).toContain('npx pqlsync run --json');
      expect(workflow).toContain({ postgres: 'PQLSYNC_POSTGRES_URL', bigquery: 'google-github-actions/auth', snowflake: 'SNOWFLAKE_PRIVATE_KEY' }[warehouse]);
    });
  }
});
