/**
 * `pqlsync <args>` as a child process that pauses for good right after the warehouse ran the
 * first statement matching PQLSYNC_TEST_PAUSE_AFTER (a regular expression), printing
 * `paused: <the statement's matching line>`: a test then kills it exactly there (SIGKILL), with
 * whatever tables the command had created by then. Test-only: it patches the DuckDB and
 * PostgreSQL connectors' `execute` in this process and then runs the CLI's own main.
 * Started as `node --import tsx test/helpers/paused-cli.ts <pqlsync args>` (see startPausedCli).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { PostgresWarehouse } from '../../connectors/postgres/postgres.warehouse.ts';
import type { Query } from '../../connectors/warehouse.ts';

const HERE = fileURLToPath(import.meta.url);
/** tsx's loader, by path: the child's working directory is a throwaway project without node_modules. */
const TSX = pathToFileURL(path.resolve(path.dirname(HERE), '../../node_modules/tsx/dist/loader.mjs')).href;

export interface PausedChild {
  pid: number;
  /** Resolves with the paused statement's matching line once the child paused; rejects if it exits first. */
  paused: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
  output(): string;
}

/** Starts `pqlsync <args>` in a child that pauses after the first statement matching `pauseAfter`. */
export function startPausedCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; pauseAfter: RegExp }): PausedChild {
  const child = spawn(process.execPath, ['--import', TSX, HERE, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PQLSYNC_TEST_PAUSE_AFTER: options.pauseAfter.source },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const paused = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const line = /^paused: (.*)$/m.exec(out);
      if (line) resolve(line[1]);
    });
    void exited.then(({ code, signal }) => reject(new Error(`the child ended before pausing (exit ${code}, ${signal}): ${out.slice(-2000)}`)));
  });
  child.stderr!.on('data', (d) => (out += d));
  return { pid: child.pid!, paused, exited, kill: () => child.kill('SIGKILL'), output: () => out };
}

/** In the child: pause after the statement, then run the CLI. */
if (process.argv[1] && path.resolve(process.argv[1]) === HERE) {
  const pauseAfter = new RegExp(process.env.PQLSYNC_TEST_PAUSE_AFTER ?? '(?!)', 'i');
  for (const connector of [DuckDBWarehouse.prototype, PostgresWarehouse.prototype]) {
    const execute = connector.execute;
    connector.execute = async function (this: typeof connector, query: Query): Promise<void> {
      await execute.call(this, query);
      const sql = typeof query === 'string' ? query : query.sql;
      if (!pauseAfter.test(sql)) return;
      const lines = sql.trim().split('\n');
      process.stdout.write(`\npaused: ${lines.find((l) => pauseAfter.test(l)) ?? lines[0]}\n`);
      // Held here until killed; the interval keeps the process alive.
      setInterval(() => undefined, 60_000);
      await new Promise(() => undefined);
    };
  }
  await import('../../src/cli/main.ts');
}
