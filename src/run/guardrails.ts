import type { SyncConfig } from '../config/schema.ts';
import type { DiffSummary } from '../state/record-store.ts';

export interface GuardrailVerdict {
  /** Share of delivered rows that would change (changed + removed with clear) / rows in state. */
  changedShare: number;
  /** Largest move of one tier's share between state and the model, with the tier. */
  tierShift: { tier: string; from: number; to: number } | null;
  /** Why the sync must stop, empty when it may go ahead. */
  violations: string[];
}

/**
 * The circuit breaker against a bad model: a bug that marks every user sales_ready
 * would flood every rep's queue. Compares what is about to be sent with what was
 * delivered last; below `min_rows` rows in state (a first sync) it never trips.
 */
export function checkGuardrails(
  sync: SyncConfig,
  diff: DiffSummary,
  stateTiers: { total: number; shares: Map<string, number> },
  modelTiers: Map<string, number> | null,
): GuardrailVerdict {
  const limits = sync.guardrails;
  const inState = stateTiers.total;
  const cleared = sync.on_removed === 'clear' ? diff.removed : 0;
  // Rows delivered under another mapping (a property renamed, retyped, added or dropped: a change
  // reviewed in git) all change, which is no sign of a broken model: they are sent but not counted
  // here. The tier-shift check below still watches what the model says.
  const remapped = diff.remapped.reduce((n, r) => n + r.rows, 0);
  const changedShare = inState > 0 ? (diff.changed - remapped + cleared) / inState : 0;
  let tierShift: GuardrailVerdict['tierShift'] = null;
  if (modelTiers) {
    const tiers = new Set([...stateTiers.shares.keys(), ...modelTiers.keys()]);
    for (const tier of tiers) {
      const from = stateTiers.shares.get(tier) ?? 0;
      const to = modelTiers.get(tier) ?? 0;
      if (!tierShift || Math.abs(to - from) > Math.abs(tierShift.to - tierShift.from)) tierShift = { tier, from, to };
    }
  }
  const violations: string[] = [];
  if (inState >= limits.min_rows) {
    if (changedShare > limits.max_changed_share) {
      violations.push(
        `${pct(changedShare)} of the ${inState} delivered rows would change (limit ${pct(limits.max_changed_share)})`,
      );
    }
    if (tierShift && Math.abs(tierShift.to - tierShift.from) > limits.max_tier_shift) {
      violations.push(
        `tier '${tierShift.tier}' would move from ${pct(tierShift.from)} to ${pct(tierShift.to)} of rows ` +
          `(limit ${Math.round(limits.max_tier_shift * 100)} points)`,
      );
    }
  }
  return { changedShare, tierShift, violations };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
