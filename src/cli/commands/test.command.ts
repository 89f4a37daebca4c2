import type { Argv } from 'yargs';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function testCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'test',
    describe: "Run the models' tests (unique, not_null, accepted_values, relationships) on the built models",
    builder: (y: Argv) => y.option('select', { type: 'string', array: true, describe: 'Models whose tests run (same syntax as build)' }),
    handler: (args: GlobalArgs & { select?: string[] }) =>
      withSession(args, io, exit, async (session) => {
        const { testStep } = await import('../../run/steps.ts');
        await testStep(session, args.select ?? []);
      }, { record: 'test' }),
  };
}
