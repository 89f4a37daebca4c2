import type { Argv } from 'yargs';
import { planStep, selectSyncs } from '../../run/steps.ts';
import { reportPlan } from '../report.ts';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function planCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'plan',
    describe: 'Dry run: diff the built models against sync state and show what a sync would send. Sends nothing.',
    builder: (y: Argv) => y.option('sync', { type: 'string', array: true, describe: 'Syncs to plan (default: all)' }),
    handler: (args: GlobalArgs & { sync?: string[] }) =>
      withSession(args, io, exit, async (session) => {
        for (const plan of await planStep(session, selectSyncs(session, args.sync))) reportPlan(session.log, plan);
      }),
  };
}
