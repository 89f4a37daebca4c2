import type { Argv } from 'yargs';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function syncCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'sync',
    describe: 'Send the changed rows of the built models to HubSpot (HUBSPOT_ACCESS_TOKEN)',
    builder: (y: Argv) =>
      y
        .option('sync', { type: 'string', array: true, describe: 'Syncs to run (default: all)' })
        .option('select', { type: 'string', array: true, describe: "Run the syncs of these models: 'name', '+name', 'name+' (a sync's name stands for its model)" })
        .option('force', { type: 'boolean', default: false, describe: 'Send even when the guardrails trip' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Show what would be sent (same as plan); send nothing' }),
    handler: (args: GlobalArgs & { sync?: string[]; select?: string[]; force: boolean; dryRun: boolean }) =>
      withSession(args, io, exit, async (session) => {
        const [{ resolveSelection }, { deliver }] = await Promise.all([import('../../run/select-syncs.ts'), import('../deliver.ts')]);
        const { syncs } = await resolveSelection(session, args.select ?? [], args.sync ?? []);
        const { code } = await deliver(session, syncs, { force: args.force, dryRun: args.dryRun, signal: io.signal });
        return code;
      }, { record: 'sync' }),
  };
}
