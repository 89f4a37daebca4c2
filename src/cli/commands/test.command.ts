import type { Argv } from 'yargs';
import { testStep } from '../../run/steps.ts';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function testCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'test',
    describe: "Run the models' tests (unique, not_null, accepted_values, relationships) on the built models",
    builder: (y: Argv) => y.option('select', { type: 'string', array: true, describe: 'Models whose tests run (same syntax as build)' }),
    handler: (args: GlobalArgs & { select?: string[] }) =>
      withSession(args, io, exit, async (session) => {
        await testStep(session, args.select ?? []);
      }),
  };
}
