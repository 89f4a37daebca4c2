import type { Argv } from 'yargs';
import { pipelineOptions, withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

export function planCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'plan',
    describe: 'Dry run: diff the built models against sync state and show what a sync would send. Sends nothing.',
    builder: (y: Argv) =>
      y
        .option('sync', { type: 'string', array: true, describe: 'Syncs to plan (default: all)' })
        .option('select', { type: 'string', array: true, describe: "Plan the syncs of these models: 'name', '+name', 'name+' (a sync's name stands for its model)" })
        .option('format', {
          choices: ['text', 'json', 'markdown'] as const,
          describe: 'text (default), json (same as --json), markdown (a report for a pull-request comment, on stdout)',
        }),
    handler: (args: GlobalArgs & { sync?: string[]; select?: string[]; format?: 'text' | 'json' | 'markdown' }) =>
      withSession({ ...args, json: args.json || args.format === 'json' }, io, exit, async (session) => {
        const [pipeline, { renderPlanMarkdown }, { reportPlanResult }] = await Promise.all([
          import('../../run/pipeline.ts'),
          import('../plan-markdown.ts'),
          import('../report.ts'),
        ]);
        const result = await pipeline.plan(session, await pipelineOptions(args, io, session.log));
        if (args.format === 'markdown') {
          io.out.write(renderPlanMarkdown(result.plans, { asOf: args.asOf ? session.asOf : undefined, budget: result.budget }));
          return;
        }
        reportPlanResult(session.log, result);
      }),
  };
}
