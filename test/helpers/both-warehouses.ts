/**
 * The operations project (people → people_scores → HubSpot contacts) on DuckDB and on PostgreSQL,
 * behind one shape, so a scenario is written once and run on both engines.
 */
import type { Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { opsFixture, type OpsFixtureOptions } from './ops-fixture.ts';
import { postgresFixture } from './postgres-fixture.ts';
import { postgresUrl } from '../warehouse/postgres-env.ts';

export interface EngineFixture {
  engine: 'duckdb' | 'postgres';
  sandbox: Sandbox;
  /** The project folder (models/). */
  dir: string;
  /** The source table of people (id, email, score, updated_at, is_active), qualified. */
  people: string;
  /** The state schema. */
  state: string;
  /** Its pqlsync.yml (JSON text), and the environment the CLI runs with (token, sandbox, warehouse URL). */
  config: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[], options?: { signal?: AbortSignal }): Promise<{ code: number; events: any[]; err: string }>;
  /** Runs statements on a connection of the test's own (DuckDB: the CLI must not be running). */
  exec(...statements: string[]): Promise<void>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** A warehouse connection of the test's own (DuckDB: the CLI must not be running). */
  sql<T>(fn: (w: Warehouse) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

/** The engines a scenario runs on: DuckDB always, PostgreSQL when PQLSYNC_POSTGRES_URL is set. */
export const ENGINES: Array<EngineFixture['engine']> = postgresUrl ? ['duckdb', 'postgres'] : ['duckdb'];

export async function engineFixture(engine: EngineFixture['engine'], options: OpsFixtureOptions & { users: number }): Promise<EngineFixture> {
  if (engine === 'duckdb') {
    const f = await opsFixture(options);
    return {
      engine,
      sandbox: f.sandbox,
      dir: f.dir,
      people: 'raw.people',
      state: 'pqlsync',
      config: f.config,
      env: f.env,
      cli: (args, o) => f.cli(args, o),
      exec: (...statements) => f.sql(async (w) => {
        for (const s of statements) await w.execute(s);
      }),
      query: (sql) => f.sql((w) => w.query(sql)),
      sql: (fn) => f.sql(fn),
      cleanup: f.cleanup,
    };
  }
  const f = await postgresFixture(options);
  return {
    engine,
    sandbox: f.sandbox,
    dir: f.dir,
    people: `"${f.schemas.raw}".people`,
    state: f.schemas.state,
    config: f.config,
    env: f.env,
    cli: (args, o) => f.cli(args, o),
    exec: (...statements) => f.sql(async (w) => {
      for (const s of statements) await w.execute(s);
    }),
    query: (sql) => f.sql((w) => w.query(sql)),
    sql: (fn) => f.sql(fn),
    cleanup: f.cleanup,
  };
}
