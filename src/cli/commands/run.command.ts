import type { Argv } from 'yargs';
import { EXIT } from '../exit-codes.ts';
import type { Session } from '../../run/session.ts';
import { loggerFor, pipelineOptions, reportError, withSession, type CliIo, type ExitBox, type GlobalArgs, type PipelineArgs } from '../context.ts';

interface RunArgs extends GlobalArgs, PipelineArgs {
  every?: string;
  timezone?: string;
}

export function runCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'run',
    describe: 'Build the models, run their tests, then sync: the scheduled job. Nothing is sent if a model or test fails.',
    builder: (y: Argv) =>
      y
        .option('select', {
          type: 'string',
          array: true,
          describe: "Models to build and test, and the syncs of those models: 'name', '+name' (with upstream), 'name+'; a sync's name stands for its model (default: all)",
        })
        .option('sync', { type: 'string', array: true, describe: 'Syncs to run (default: all, or those of the selected models)' })
        .option('force', { type: 'boolean', default: false, describe: 'Send even when the guardrails trip' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Build and test, then plan; send nothing' })
        .option('every', {
          type: 'string',
          describe: 'Keep running on a cron schedule, e.g. "*/15 * * * *" (6 fields: seconds first); SIGTERM finishes the current batch, checkpoints and exits (130 with rows unsent, 0 between runs)',
        })
        .option('timezone', { type: 'string', describe: 'Time zone of the --every schedule (IANA name; default: the local one)' })
        .option('full-refresh', { type: 'boolean', default: false, describe: 'Rebuild incremental models from all history (with --every: the first run only)' }),
    handler: async (args: RunArgs) => {
      if (args.timezone !== undefined && !isTimeZone(args.timezone)) {
        loggerFor(args, io).error(`--timezone '${args.timezone}' is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`, { event: 'error', kind: 'ConfigError', exit_code: EXIT.config });
        exit.code = EXIT.config;
        return;
      }
      if (args.every === undefined) {
        await withSession(args, io, exit, (session) => runOnce(session, args, io), { record: args.dryRun ? undefined : 'run' });
        return;
      }
      // One session per run: each has its own run id, and the warehouse is not held open between runs.
      const log = loggerFor(args, io);
      try {
        const { runEvery } = await import('../../run/schedule.ts');
        exit.code = await runEvery(
          { expression: args.every, timezone: args.timezone, signal: io.signal, log, stopOn: [EXIT.config, EXIT.auth] },
          async () => {
            const box: ExitBox = { code: EXIT.ok };
            await withSession(args, io, box, (session) => runOnce(session, args, io), { record: args.dryRun ? undefined : 'run' });
            args = { ...args, fullRefresh: false };
            return box.code;
          },
        );
      } catch (error) {
        exit.code = reportError(log, error, io.env);
      }
    },
  };
}

async function runOnce(session: Session, args: RunArgs, io: CliIo): Promise<number> {
  const [pipeline, { reportPlanResult }] = await Promise.all([import('../../run/pipeline.ts'), import('../report.ts')]);
  const result = await pipeline.run(session, await pipelineOptions(args, io, session.log));
  if (result.plan) reportPlanResult(session.log, result.plan);
  return result.exitCode;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
