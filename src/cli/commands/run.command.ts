import type { Argv } from 'yargs';
import { buildStep, selectSyncs, testStep } from '../../run/steps.ts';
import { deliver } from '../deliver.ts';
import { reportBuild } from '../report.ts';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function runCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'run',
    describe: 'Build the models, run their tests, then sync: the scheduled job. Nothing is sent if a model or test fails.',
    builder: (y: Argv) =>
      y
        .option('select', { type: 'string', array: true, describe: 'Models to build and test (default: all)' })
        .option('sync', { type: 'string', array: true, describe: 'Syncs to run (default: all)' })
        .option('force', { type: 'boolean', default: false, describe: 'Send even when the guardrails trip' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Build and test, then plan; send nothing' }),
    handler: (args: GlobalArgs & { select?: string[]; sync?: string[]; force: boolean; dryRun: boolean }) =>
      withSession(args, io, exit, async (session) => {
        const started = Date.now();
        const built = await buildStep(session, args.select ?? []);
        reportBuild(session.log, built, Date.now() - started);
        await testStep(session, args.select ?? []);
        const { code } = await deliver(session, selectSyncs(session, args.sync), { force: args.force, dryRun: args.dryRun, signal: io.signal });
        return code;
      }),
  };
}
