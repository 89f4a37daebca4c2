import type { Argv } from 'yargs';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

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
        const [{ resolveSelection }, { planAssociationsStep, planBudgetStep, planStep }, { renderPlanMarkdown }, { reportAssociationPlan, reportBudgetPlan, reportPlan }] = await Promise.all([
          import('../../run/select-syncs.ts'),
          import('../../run/steps.ts'),
          import('../plan-markdown.ts'),
          import('../report.ts'),
        ]);
        const { syncs } = await resolveSelection(session, args.select ?? [], args.sync ?? []);
        const associations = await planAssociationsStep(session, syncs);
        const plans = await planStep(session, syncs);
        const budget = await planBudgetStep(session, plans, associations);
        if (args.format === 'markdown') {
          io.out.write(renderPlanMarkdown(plans, { asOf: args.asOf ? session.asOf : undefined, budget }));
          return;
        }
        for (const plan of plans) {
          reportPlan(session.log, plan);
          reportAssociationPlan(session.log, plan.sync, associations.get(plan.sync) ?? []);
        }
        reportBudgetPlan(session.log, budget);
        const { planHandoffActions, reportHandoffActionsPlan } = await import('../../handoff/handoff-actions.ts');
        reportHandoffActionsPlan(session.log, await planHandoffActions(session));
      }),
  };
}
