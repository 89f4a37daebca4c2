import type { Argv } from 'yargs';
import { pipelineOptions, withSession, type CliIo, type ExitBox, type GlobalArgs, type PipelineArgs } from '../context.ts';

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
    handler: (args: GlobalArgs & PipelineArgs) =>
      withSession(args, io, exit, async (session) => {
        const [pipeline, { reportPlanResult }] = await Promise.all([import('../../run/pipeline.ts'), import('../report.ts')]);
        const result = await pipeline.sync(session, await pipelineOptions(args, io, session.log));
        if (result.plan) reportPlanResult(session.log, result.plan);
        return result.exitCode;
      }, { record: 'sync' }),
  };
}
