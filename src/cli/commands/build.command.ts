import type { Argv } from 'yargs';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function buildCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'build',
    describe: 'Build the models in the warehouse, in dependency order',
    builder: (y: Argv) =>
      y
        .option('select', { type: 'string', array: true, describe: "Models to build: 'name', '+name' (with upstream), 'name+' (with downstream)" })
        .option('full-refresh', { type: 'boolean', default: false, describe: 'Rebuild incremental models from all history instead of folding in the new events' }),
    handler: (args: GlobalArgs & { select?: string[]; fullRefresh?: boolean }) =>
      withSession(args, io, exit, async (session) => {
        const { buildStep } = await import('../../run/steps.ts');
        await buildStep(session, args.select ?? [], { fullRefresh: args.fullRefresh });
      }, { record: 'build' }),
  };
}
