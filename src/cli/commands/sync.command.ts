import type { Argv } from 'yargs';
import { selectSyncs } from '../../run/steps.ts';
import { deliver } from '../deliver.ts';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function syncCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'sync',
    describe: 'Send the changed rows of the built models to HubSpot (HUBSPOT_ACCESS_TOKEN)',
    builder: (y: Argv) =>
      y
        .option('sync', { type: 'string', array: true, describe: 'Syncs to run (default: all)' })
        .option('force', { type: 'boolean', default: false, describe: 'Send even when the guardrails trip' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Show what would be sent (same as plan); send nothing' }),
    handler: (args: GlobalArgs & { sync?: string[]; force: boolean; dryRun: boolean }) =>
      withSession(args, io, exit, async (session) => {
        const { code } = await deliver(session, selectSyncs(session, args.sync), { force: args.force, dryRun: args.dryRun, signal: io.signal });
        return code;
      }),
  };
}
