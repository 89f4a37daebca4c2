import type { Argv } from 'yargs';
import type { RollbackPlan, RollbackResult } from '../../run/rollback.ts';
import type { Logger } from '../../util/logger.ts';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';
import { EXIT } from '../exit-codes.ts';

interface RollbackArgs extends GlobalArgs {
  runId: string;
  sync?: string[];
  dryRun: boolean;
  allowStageBack: boolean;
  readAll: boolean;
}

export function rollbackCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'rollback <run-id>',
    describe:
      'Put back in HubSpot the values a sync run changed, on the records nobody changed since (those are listed). ' +
      'Created records are kept, tasks untouched; paced and resumable like a sync (docs/change-control.md)',
    builder: (y: Argv) =>
      y
        .positional('run-id', { type: 'string', demandOption: true, describe: 'The run to undo (pqlsync status lists the runs that can be rolled back)' })
        .option('sync', { type: 'string', array: true, describe: 'Only these syncs of the run (default: every sync it changed)' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Show what the rollback would do; send nothing' })
        .option('allow-stage-back', { type: 'boolean', default: false, describe: 'Let deals move back to the stage they had before the run' })
        .option('read-all', {
          type: 'boolean',
          default: false,
          describe: 'Read every record before writing it back (one read per 100), not only those HubSpot says changed since the run: also sees edits made while the run was running',
        }),
    handler: (args: RollbackArgs) =>
      withSession(args, io, exit, async (session) => {
        const [{ openDestination }, { planRollback, rollbackStep, rollbackSyncs }, { syncContext }] = await Promise.all([
          import('../../../connectors/registry.ts'),
          import('../../run/rollback.ts'),
          import('../../run/steps.ts'),
        ]);
        const runId = String(args.runId);
        const syncs = await rollbackSyncs(syncContext(session), session.project.config.syncs, runId, args.sync ?? []);
        if (args.dryRun) {
          for (const sync of syncs) reportRollbackPlan(session.log, await planRollback(syncContext(session), sync, runId));
          return EXIT.ok;
        }
        const destination = await openDestination(session.project.config.destination, { env: session.env, log: (e) => session.log.log(e) });
        const results = await rollbackStep(session, destination, syncs, runId, {
          allowStageBack: args.allowStageBack,
          readAll: args.readAll,
          signal: io.signal,
          onPlan: (plan) => reportRollbackPlan(session.log, plan),
          onDone: (result) => reportRollback(session.log, result),
        });
        return results.some((r) => r.failed > 0) ? EXIT.rowsFailed : EXIT.ok;
      }),
  };
}

const LISTED: Record<string, string> = {
  new: 'created by the run (kept: a rollback never deletes)',
  edited: 'changed in HubSpot after the run (left as they are)',
  later_run: 'changed by a later pqlsync run (left as they are)',
  kept: 'nothing the write rules let a rollback put back (a stage never moves back, a NULL never clears a not_null or if_empty property)',
  unknown: 'delivered before pqlsync kept before-values (left as they are)',
  cleared: 'cleared by the run (left as they are)',
  failed: 'failed',
};

function reportRollbackPlan(log: Logger, plan: RollbackPlan): void {
  const c = plan.counts;
  log.info(
    `Rollback of run ${plan.runId} on ${plan.sync}${plan.resumed ? ' (continuing)' : ''}: ${c.restore ?? 0} records to put back` +
      `${c.restored ? `, ${c.restored} put back before` : ''}; ${describeListed(c)}`,
    { event: 'rollback_plan', sync: plan.sync, run_id: plan.runId, resumed: plan.resumed, counts: c, listed: plan.listed },
  );
  listKeys(log, plan);
}

function reportRollback(log: Logger, r: RollbackResult): void {
  log.info(
    `Rolled back run ${r.plan.runId} on ${r.plan.sync}: ${r.restored} put back (${r.sent} sent), ${r.already} found already back, ` +
      `${r.edited} edited in HubSpot since and left alone, ${r.kept} kept by the write rules, ${r.failed} failed; ${r.checked} read from HubSpot first, in ${(r.ms / 1000).toFixed(1)} s${r.stopped ? ' (stopped early; run it again to continue)' : ''}`,
    { event: 'rollback_done', sync: r.plan.sync, run_id: r.plan.runId, restored: r.restored, sent: r.sent, already: r.already, edited: r.edited, kept: r.kept, checked: r.checked, failed: r.failed, stopped: r.stopped, ms: r.ms, search_ms: r.searchMs, checkpoint_ms: r.checkpointMs, counts: r.after.counts, listed: r.after.listed },
  );
  listKeys(log, r.after);
}

function describeListed(counts: RollbackPlan['counts']): string {
  const parts = Object.entries(LISTED).flatMap(([verdict, text]) => ((counts as Record<string, number>)[verdict] ? [`${(counts as Record<string, number>)[verdict]} ${text}`] : []));
  return parts.length ? parts.join('; ') : 'nothing listed';
}

function listKeys(log: Logger, plan: RollbackPlan): void {
  if (log.json) return;
  for (const [verdict, keys] of Object.entries(plan.listed)) {
    for (const k of keys ?? []) log.info(`    ${verdict.padEnd(9)} ${k.key}${k.message ? `  ${k.message}` : ''}`);
  }
}
