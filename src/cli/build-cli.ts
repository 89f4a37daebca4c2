import yargs, { type CommandModule } from 'yargs';
import { backfillCommand } from './commands/backfill.command.ts';
import { buildCommand } from './commands/build.command.ts';
import { demoCommand } from './commands/demo.command.ts';
import { initCommand } from './commands/init.command.ts';
import { doctorCommand } from './commands/doctor.command.ts';
import { evaluateCommand } from './commands/evaluate.command.ts';
import { planCommand } from './commands/plan.command.ts';
import { propertiesCommand } from './commands/properties.command.ts';
import { rollbackCommand } from './commands/rollback.command.ts';
import { runCommand } from './commands/run.command.ts';
import { sandboxCommand } from './commands/sandbox.command.ts';
import { statusCommand } from './commands/status.command.ts';
import { syncCommand } from './commands/sync.command.ts';
import { testCommand } from './commands/test.command.ts';
import type { CliIo, ExitBox } from './context.ts';
import { EXIT, exitCodesLine } from './exit-codes.ts';
import { knownOptions, UsageError, withSuggestion } from './usage-error.ts';
import { packageVersion } from '../util/package-root.ts';

/**
 * Runs the CLI on `argv` and answers the exit code, without exiting the process,
 * so tests call it as a function.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const exit: ExitBox = { code: EXIT.ok };
  const cli = yargs(argv)
    .scriptName('pqlsync')
    .version(packageVersion())
    .usage('$0 <command> [options]\n\nPQL scores from your warehouse to HubSpot: build models, diff, send only what changed.')
    .option('config', { type: 'string', describe: 'Path to pqlsync.yml (default: ./pqlsync.yml)', global: true })
    .option('json', { type: 'boolean', default: false, describe: 'Log JSON lines on stdout (for Airflow, Actions, log shippers)', global: true })
    .option('wait', { type: 'number', default: 0, describe: 'When another run holds the lock, wait up to this many seconds for it instead of exiting 8', global: true })
    .option('as-of', { type: 'string', describe: "Pin the models' notion of now (ISO timestamp); default: the current time", global: true })
    .option('models-schema', {
      type: 'string',
      describe: "Build and read models in this schema instead of pqlsync.yml's `schema` (a pull request's own; env PQLSYNC_MODELS_SCHEMA)",
      global: true,
    })
    .option('state-schema', {
      type: 'string',
      describe: "Keep sync state in this schema instead of pqlsync.yml's `state_schema` (env PQLSYNC_STATE_SCHEMA)",
      global: true,
    })
    .command(demoCommand(io, exit) as unknown as CommandModule)
    .command(initCommand(io, exit) as unknown as CommandModule)
    .command(doctorCommand(io, exit) as unknown as CommandModule)
    .command(buildCommand(io, exit) as unknown as CommandModule)
    .command(testCommand(io, exit) as unknown as CommandModule)
    .command(planCommand(io, exit) as unknown as CommandModule)
    .command(syncCommand(io, exit) as unknown as CommandModule)
    .command(runCommand(io, exit) as unknown as CommandModule)
    .command(propertiesCommand(io, exit) as unknown as CommandModule)
    .command(statusCommand(io, exit) as unknown as CommandModule)
    .command(backfillCommand(io, exit) as unknown as CommandModule)
    .command(rollbackCommand(io, exit) as unknown as CommandModule)
    .command(evaluateCommand(io, exit) as unknown as CommandModule)
    .command(sandboxCommand(io, exit) as unknown as CommandModule)
    .demandCommand(1, 'Name a command: pqlsync --help lists them.')
    .strict()
    .epilogue(exitCodesLine())
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .recommendCommands()
    // Throwing (not just printing) is what stops yargs from running the command after a
    // validation failure when exitProcess is off: a mistyped flag must never reach a sync.
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(withSuggestion(message, knownOptions(cli)));
    });
  try {
    await cli.parseAsync();
  } catch (error) {
    if (error instanceof UsageError) {
      io.err.write(`${error.message}\nRun pqlsync --help for usage.\n`);
      return EXIT.config;
    }
    io.err.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.internal;
  }
  return exit.code;
}
