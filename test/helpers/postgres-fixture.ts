/**
 * The operations project (test/helpers/ops-fixture.ts: people → a scored model → HubSpot
 * contacts) on a real PostgreSQL server, at sizes past every page, checkpoint and batch, with
 * the CLI run in-process as a scheduler would run it. Each fixture has schemas of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openWarehouse } from '../../connectors/registry.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { AS_OF, fixtureConfig, TOKEN, writeModels, type OpsFixtureOptions } from './ops-fixture.ts';
import { memoryLogger, REPO } from './project.ts';
import { postgresUrl, testSchema } from '../warehouse/postgres-env.ts';

/** `pqlsync sync` of the fixture as a child process (bin/pqlsync.js), so a test can SIGKILL it. */
export function startChildSync(fx: Pick<PostgresFixture, 'config' | 'dir' | 'env'>): {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
} {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/pqlsync.js'), 'sync', '--config', fx.config, '--json', '--as-of', AS_OF], {
    cwd: fx.dir,
    env: { ...process.env, ...fx.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => out };
}

export interface CliResult {
  code: number;
  events: any[];
  err: string;
}

/**
 * A pull request's project beside the fixture's: the same sync name and state schema, models
 * built into a schema of its own, another model (every active score + 50) and another mapping
 * (no pql_reason). Answers its pqlsync.yml and models schema.
 */
export async function pullRequestProject(f: PostgresFixture): Promise<{ config: string; schema: string }> {
  const schema = testSchema('pgfx_pr');
  const dir = path.join(f.dir, 'pull-request');
  await mkdir(path.join(dir, 'models'), { recursive: true });
  const config = path.join(dir, 'pqlsync.yml');
  const pr = fixtureConfig('unused', {
    onRemoved: 'clear',
    edit: (c) => {
      Object.assign(c, { warehouse: { type: 'postgres' }, schema, state_schema: f.schemas.state, sources: { people: `${f.schemas.raw}.people` } });
      c.syncs[0].properties = c.syncs[0].properties.filter((p: { column: string }) => p.column !== 'pql_reason');
      c.syncs[0].guardrails = { max_changed_share: 1, min_rows: 100 };
    },
  });
  await writeFile(config, JSON.stringify(pr, null, 2));
  await writeFile(
    path.join(dir, 'models', 'people_scores.sql'),
    `/*\nmaterialized: table\nunique_key: email\n*/\nselect lower(email) as email, (score + 50) % 100 as pql_score, 'cold' as pql_tier from {{ source('people') }} where is_active`,
  );
  f.extraSchemas.push(schema);
  return { config, schema };
}

export interface PostgresFixture {
  dir: string;
  config: string;
  schemas: { raw: string; models: string; state: string };
  /** More schemas the test made (dropped at cleanup). */
  extraSchemas: string[];
  sandbox: Sandbox;
  env: NodeJS.ProcessEnv;
  /** Runs the CLI in-process with --json and --as-of, against `config` (default: the fixture's). */
  cli(args: string[], options?: { config?: string; signal?: AbortSignal; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  /** A warehouse connection of the test's own (the CLI opens its own). */
  sql<T>(fn: (w: Warehouse) => Promise<T>): Promise<T>;
  /**
   * HubSpot against the model, record by record: each of `people` contacts held once, the
   * model's values on the active ones, empty properties on `removed`. Answers the problems.
   */
  compareWithModel(people: number, removed: Set<string>): Promise<string[]>;
  /** What a plan finds left to send, the sync state rows, and the per-run tables left behind. */
  leftOver(): Promise<{ plan: any; stateRows: number; runTables: number }>;
  cleanup(): Promise<void>;
}

/** The mapped columns of the fixture's sync. */
export const PEOPLE_PROPERTIES = ['pql_score', 'pql_tier', 'pql_reason'] as const;

/** person000042@example.com */
export function personEmail(id: number): string {
  return `person${String(id).padStart(6, '0')}@example.com`;
}

/** People 1..n in PostgreSQL, as seedPeople writes them into DuckDB. */
export function seedPeopleSql(table: string, users: number): string {
  return `create table ${table} as
    select i as id, 'person' || lpad(i::text, 6, '0') || '@example.com' as email,
      (i * 37) % 100 as score,
      timestamp '2026-10-01 00:00:00' + make_interval(days => i % 30) as updated_at,
      true as is_active
    from generate_series(1, ${Math.trunc(users)}) i`;
}

/** Guardrails that never stop a sync: the scale tests change large shares on purpose. */
export const NO_GUARDRAILS = { tier_column: 'pql_tier', max_changed_share: 1, max_tier_shift: 1, min_rows: 100 };

export async function postgresFixture(options: OpsFixtureOptions & { users: number }): Promise<PostgresFixture> {
  if (!postgresUrl) throw new Error('PQLSYNC_POSTGRES_URL is not set');
  const schemas = { raw: testSchema('pgfx_raw'), models: testSchema('pgfx_models'), state: testSchema('pgfx_state') };
  const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-pg-'));
  await writeModels(dir);
  const config = path.join(dir, 'pqlsync.yml');
  const settings = fixtureConfig('unused', {
    ...options,
    edit: (c) => {
      c.warehouse = { type: 'postgres' };
      c.schema = schemas.models;
      c.state_schema = schemas.state;
      c.sources = { people: `${schemas.raw}.people` };
      options.edit?.(c);
    },
  });
  await writeFile(config, JSON.stringify(settings, null, 2));
  const env: NodeJS.ProcessEnv = { PQLSYNC_POSTGRES_URL: postgresUrl };
  const sql = async <T>(fn: (w: Warehouse) => Promise<T>): Promise<T> => {
    const w = await openWarehouse({ type: 'postgres' } as never, { projectRoot: dir, env });
    try {
      return await fn(w);
    } finally {
      await w.close();
    }
  };
  await sql(async (w) => {
    await w.execute(w.dialect.createSchema(schemas.raw));
    await w.execute(seedPeopleSql(w.dialect.table({ schema: schemas.raw, name: 'people' }), options.users));
  });
  const sandbox = await startSandbox({ requestsPer10s: 100, windowMs: 1000, ...options.sandbox, accessToken: TOKEN });
  const cliEnv = { ...env, HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url };
  const extraSchemas: string[] = [];
  return {
    dir,
    config,
    schemas,
    extraSchemas,
    sandbox,
    env: cliEnv,
    async cli(args, o = {}) {
      const out = memoryLogger();
      const err = memoryLogger();
      const code = await runCli([...args, '--config', o.config ?? config, '--json', '--as-of', AS_OF], {
        env: o.env ?? cliEnv,
        out: out.sink,
        err: err.sink,
        signal: o.signal,
      });
      const events = out.lines
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const errors = events.filter((e) => e.level === 'error').map((e) => e.msg);
      return { code, events, err: [err.lines.join(''), ...errors].join('\n') };
    },
    sql,
    async compareWithModel(people, removed) {
      const problems: string[] = [];
      const model = await sql((w) => w.query(`select email, ${PEOPLE_PROPERTIES.join(', ')} from ${w.dialect.table({ schema: schemas.models, name: 'people_scores' })}`));
      const held = new Map<string, Record<string, string>>();
      for (const record of sandbox.records('contacts')) {
        if (held.has(record.properties.email)) problems.push(`${record.properties.email}: held twice`);
        held.set(record.properties.email, record.properties);
      }
      if (held.size !== people) problems.push(`HubSpot holds ${held.size} contacts, expected ${people}`);
      if (model.length !== people - removed.size) problems.push(`the model has ${model.length} rows, expected ${people - removed.size}`);
      for (const row of model) {
        const props = held.get(String(row.email));
        for (const p of PEOPLE_PROPERTIES) if (props?.[p] !== String(row[p])) problems.push(`${row.email}.${p}: HubSpot ${props?.[p]}, model ${row[p]}`);
      }
      for (const email of removed) for (const p of PEOPLE_PROPERTIES) if ((held.get(email)?.[p] ?? '') !== '') problems.push(`${email}.${p}: not cleared`);
      return problems;
    },
    async leftOver() {
      const out = memoryLogger();
      await runCli(['plan', '--config', config, '--json', '--as-of', AS_OF], { env: cliEnv, out: out.sink, err: memoryLogger().sink });
      const plan = out.lines
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((e) => e.event === 'plan');
      const [row] = await sql((w) =>
        w.query(`select (select count(*)::int from "${schemas.state}".sync_state) as n,
          (select count(*)::int from information_schema.tables where table_schema = '${schemas.state}'
            and (table_name like 'changes\\_\\_%' or table_name like 'removed\\_\\_%' or table_name like 'outcomes\\_\\_%')) as tables`),
      );
      return { plan, stateRows: Number(row.n), runTables: Number(row.tables) };
    },
    async cleanup() {
      await sandbox.stop();
      await sql(async (w) => {
        for (const schema of [...Object.values(schemas), ...extraSchemas]) await w.execute(`drop schema if exists "${schema}" cascade`);
      }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
