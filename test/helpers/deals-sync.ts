import type { SyncConfig } from '../../src/config/schema.ts';

/**
 * A deals sync reduced to what state and association tests need: keyed by trial_id, one
 * property, no guardrail in the way, and the associations given.
 */
export function dealsSync(associations: NonNullable<SyncConfig['associations']>): SyncConfig {
  return {
    name: 'deals',
    model: 'deal_sync',
    object: 'deals',
    key: 'trial_id',
    mode: 'upsert',
    on_removed: 'keep',
    properties: [{ column: 'trial_id', property: 'pqlsync_trial_id', type: 'string', label: 'x' }],
    guardrails: { max_changed_share: 1, max_tier_shift: 1, min_rows: 0 },
    associations,
  };
}

/** The stages of the trial deals pipeline, in order: two open, then lost and won. */
export const TRIAL_STAGES = ['trial_self_served', 'trial_sales_assisted', 'closed_lost', 'closed_won'];

/** A deals sync of trials in a pqlsync-managed pipeline (TRIAL_STAGES), keyed by trial_id: name, stage, amount, seats. */
export function trialDealsSync(over: Partial<SyncConfig> = {}): SyncConfig {
  return {
    name: 'trial_deals',
    model: 'deal_sync',
    object: 'deals',
    key: 'trial_id',
    identity_property: 'pqlsync_trial_id',
    mode: 'upsert',
    on_removed: 'keep',
    pipeline: {
      label: 'PLG trials',
      stages: TRIAL_STAGES.map((key, i) => ({ key, label: `Stage ${key}`, probability: [0.2, 0.4, 0, 1][i], closed: i >= 2 })),
    },
    properties: [
      { column: 'deal_name', property: 'dealname', type: 'string', label: 'Deal name' },
      { column: 'deal_stage', property: 'dealstage', type: 'enumeration', label: 'Stage', options: TRIAL_STAGES },
      { column: 'amount', property: 'amount', type: 'number', label: 'Amount' },
      { column: 'seats', property: 'pqlsync_seats', type: 'number', label: 'Seats' },
    ],
    guardrails: { max_changed_share: 1, max_tier_shift: 1, min_rows: 0 },
    ...over,
  } as SyncConfig;
}
