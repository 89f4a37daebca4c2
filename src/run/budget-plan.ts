/**
 * What a run would cost in HubSpot requests, beside the portal's daily budget (docs/hubspot.md,
 * "Daily budget"): per sync, the destination's estimate for what `plan` counted (records new and
 * known, cleared, association pairs), and, when the budget is known, which priority classes the
 * run would defer. Pure: plans in, an answer out; the same cap as `runSync`'s (capUnder).
 */
import type { RequestEstimate, SendWorkload } from '../../connectors/destination.ts';
import type { SyncConfig } from '../config/schema.ts';
import type { AssociationResult } from './associations.ts';
import { capUnder, type PriorityCounts, type SyncPlan } from './sync.ts';
import { orderSyncs } from './sync-order.ts';

export interface SyncBudget {
  sync: string;
  estimate: RequestEstimate;
  /** Rows the run would leave for the next one, per class (all zero when it fits or the budget is unknown). */
  deferred: PriorityCounts & { cleared: number };
}

export interface BudgetPlan {
  /** Requests the whole run is expected to make (the syncs', and the run's read of which portal it reaches). */
  requests: number;
  /** The budget the last run saw, or null when none did. */
  budget: { remaining: number; limit: number; observedAt: Date } | null;
  /** destination.daily_reserve, as a share of the limit, and in requests when the limit is known. */
  reserve: number;
  reserveRequests: number | null;
  /** Whether the run fits above the reserve (null: budget unknown). */
  fits: boolean | null;
  syncs: SyncBudget[];
}

const CLASSES = ['pqls', 'tiers', 'scores', 'counters'] as const;
/** The read of which portal the token reaches, once per run (HubSpot answers it with the budget's headers too). */
const PORTAL_READ = 1;

export function planBudget(input: {
  plans: SyncPlan[];
  syncs: readonly SyncConfig[];
  associations: Map<string, AssociationResult[]>;
  estimate: (sync: SyncConfig, work: SendWorkload) => RequestEstimate;
  budget: BudgetPlan['budget'];
  reserve: number;
}): BudgetPlan {
  const { plans, budget, reserve } = input;
  const byName = new Map(input.syncs.map((s) => [s.name, s]));
  const ordered = orderSyncs(plans.map((p) => byName.get(p.sync)!).filter(Boolean));
  const reserveRequests = budget ? Math.ceil(budget.limit * reserve) : null;
  // Every sync run first reads which portal the token reaches: one request before any sync.
  let allowance = budget ? budget.remaining - reserveRequests! - PORTAL_READ : Number.POSITIVE_INFINITY;
  const out: SyncBudget[] = [];
  for (const sync of ordered) {
    const plan = plans.find((p) => p.sync === sync.name)!;
    const estimate = input.estimate(sync, { ...plan.workload, associations: associationWork(sync, input.associations.get(sync.name) ?? []) });
    const deferred = { pqls: 0, tiers: 0, scores: 0, counters: 0, cleared: 0 };
    allowance -= estimate.setup;
    const cap = Number.isFinite(allowance) && plan.toSend > 0 ? capUnder(allowance, plan.toSend, estimate) : null;
    if (cap === null) {
      allowance -= estimate.total - estimate.setup;
    } else {
      // The changes go by class, then the cleared rows; what the cap does not reach waits.
      let room = cap;
      for (const c of CLASSES) {
        deferred[c] = Math.max(0, plan.priority[c] - room);
        room = Math.max(0, room - plan.priority[c]);
      }
      deferred.cleared = Math.max(0, plan.workload.cleared - room);
      allowance = Math.min(allowance, 0);
    }
    out.push({ sync: sync.name, estimate, deferred });
  }
  const requests = PORTAL_READ + out.reduce((n, s) => n + s.estimate.total, 0);
  const anyDeferred = out.some((s) => Object.values(s.deferred).some((n) => n > 0));
  return { requests, budget, reserve, reserveRequests, fits: budget ? !anyDeferred : null, syncs: out };
}

/** The association work of a sync: pairs to write (those waiting for a record id this run may create, too) and to remove. */
function associationWork(sync: SyncConfig, results: AssociationResult[]): SendWorkload['associations'] {
  return results.map((r) => {
    const config = (sync.associations ?? []).find((a) => a.to === r.to);
    return { to: r.to, write: r.sent + r.waiting, remove: config?.on_removed === 'remove' ? r.removed : 0 };
  });
}

/** Rows deferred, in words: "counters 120, scores 30" (empty when none). */
export function describeDeferred(deferred: SyncBudget['deferred']): string {
  const names: Record<keyof SyncBudget['deferred'], string> = { pqls: 'new PQLs', tiers: 'tier changes', scores: 'score moves', counters: 'counters', cleared: 'cleared rows' };
  return (Object.keys(names) as Array<keyof SyncBudget['deferred']>)
    .filter((k) => deferred[k] > 0)
    .map((k) => `${names[k]} ${deferred[k]}`)
    .join(', ');
}
