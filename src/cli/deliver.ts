import { openDestination } from '../../connectors/registry.ts';
import type { Destination } from '../../connectors/destination.ts';
import type { SyncConfig } from '../config/schema.ts';
import type { Session } from '../run/session.ts';
import { planAssociationsStep, planStep, syncStep, type SyncStepResult } from '../run/steps.ts';
import { EXIT } from './exit-codes.ts';
import { sendProgress } from './progress.ts';
import { reportAssociationPlan, reportPlan, reportSync } from './report.ts';

export interface DeliverOptions {
  force?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
  /** A destination already open (the demo's sandbox); otherwise one from the environment. */
  destination?: Destination;
}

/**
 * Plans (dry run) or syncs the given syncs and prints what happened; answers the
 * exit code: rows that failed are a distinct, non-fatal outcome for a scheduler.
 */
export async function deliver(session: Session, syncs: SyncConfig[], options: DeliverOptions): Promise<{ code: number; results: SyncStepResult[] }> {
  if (options.dryRun) {
    const associations = await planAssociationsStep(session, syncs);
    for (const plan of await planStep(session, syncs)) {
      reportPlan(session.log, plan);
      reportAssociationPlan(session.log, plan.sync, associations.get(plan.sync) ?? []);
    }
    const { planHandoffActions, reportHandoffActionsPlan } = await import('../handoff/handoff-actions.ts');
    reportHandoffActionsPlan(session.log, await planHandoffActions(session));
    return { code: EXIT.ok, results: [] };
  }
  const destination =
    options.destination ??
    (await openDestination(session.project.config.destination, {
      env: session.env,
      log: (e) => session.log.log(e),
    }));
  const results = await syncStep(session, destination, syncs, {
    force: options.force,
    signal: options.signal,
    onProgress: sendProgress(session.log),
    onSyncDone: (result) => {
      session.log.progressDone();
      reportSync(session.log, result);
    },
  });
  session.log.progressDone();
  if (results.some((r) => r.stopped)) {
    const unsent = results.reduce((n, r) => n + Math.max(0, r.plan.toSend - r.sent), 0);
    session.log.warn(`interrupted: ${unsent} rows not sent yet; what HubSpot acknowledged is in state, and the next run sends the rest`, {
      event: 'interrupted',
      unsent,
    });
    return { code: EXIT.interrupted, results };
  }
  const deferred = results.reduce((n, r) => n + (r.deferred ?? 0), 0);
  if (deferred > 0) {
    session.log.warn(
      `deferred: ${deferred} changes wait for the next run; the portal's daily budget, less the ${Math.round(session.project.config.destination.daily_reserve * 100)}% reserve for its other apps, covered only the most important ones (new PQLs and tier changes first, then score moves, then counters)`,
      { event: 'deferred', deferred },
    );
    return { code: EXIT.deferred, results };
  }
  const failed = results.reduce((sum, r) => sum + r.failed + (r.associations ?? []).reduce((n, a) => n + a.failed, 0), 0);
  if (failed > 0) {
    session.log.warn(`${failed} rows were rejected; they are in row errors (pqlsync status) and are retried next run`, {
      event: 'rows_failed',
      failed,
    });
    return { code: EXIT.rowsFailed, results };
  }
  return { code: EXIT.ok, results };
}
