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
