import type { Argv } from 'yargs';
import { loggerFor, reportError, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function demoCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'demo',
    describe:
      'Generate demo product data into DuckDB, start the local HubSpot sandbox, sync twice and show what happened. ' +
      "Runs the demo project that ships with pqlsync, its database in ./.pqlsync/ (with --config, another DuckDB project: its database file is replaced)",
    builder: (y: Argv) =>
      y
        .option('users', { type: 'number', default: 2000, describe: 'Users to generate (a few hundred to millions)' })
        .option('seed', { type: 'number', default: 42, describe: 'Seed of the generated data (same seed, same data)' })
        .option('tier', { type: 'number', default: 100, describe: 'Sandbox requests per 10 s: 100 (Free/Starter) or 190 (Professional+)' })
        .option('data-only', { type: 'boolean', default: false, describe: "Only generate the demo data into the project's DuckDB file (no sandbox, no sync): then run against `pqlsync sandbox`" }),
    handler: async (args: GlobalArgs & { users: number; seed: number; tier: number; dataOnly: boolean }) => {
      const log = loggerFor(args, io);
      try {
        // Loaded when the demo runs: the sandbox and the generator stay out of `pqlsync --help`.
        const { runDemo } = await import('../demo-script.ts');
        exit.code = await runDemo({ config: args.config, users: args.users, seed: args.seed, tier: args.tier, dataOnly: args.dataOnly, log, signal: io.signal });
      } catch (error) {
        exit.code = reportError(log, error, io.env);
      }
    },
  };
}
