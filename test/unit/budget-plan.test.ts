/**
 * The budget arithmetic `plan` and `sync` share (docs/hubspot.md, "Daily budget"): how many rows a
 * budget covers, in whole batches, and which priority classes a plan says would wait.
 */
import { describe, expect, it } from 'vitest';
import { estimateHubSpotRequests } from '../../connectors/hubspot/estimate.ts';
import type { SyncConfig } from '../../src/config/schema.ts';
import { planBudget } from '../../src/run/budget-plan.ts';
import { capUnder, type SyncPlan } from '../../src/run/sync.ts';

const contacts = {
  name: 'contacts',
  object: 'contacts',
  key: 'user_id',
  identity_property: 'pqlsync_user_key',
  mode: 'upsert',
  on_removed: 'keep',
  properties: [{ column: 'email', property: 'email', type: 'string', label: 'Email' }],
} as unknown as SyncConfig;

const plan = (toSend: number, priority: SyncPlan['priority'], known = toSend): SyncPlan =>
  ({ sync: 'contacts', toSend, workload: { new: toSend - known, known, cleared: 0, firstSync: false }, priority }) as unknown as SyncPlan;

describe('budget', () => {
  it('caps in whole batches of 100, and not at all when the estimate fits', () => {
    const estimate = { setup: 1, reads: 0, writes: 10, associations: 0, total: 11 };
    expect(capUnder(10, 1000, estimate)).toBeNull();
    expect(capUnder(4, 1000, estimate)).toBe(400);
    expect(capUnder(3.5, 1000, estimate)).toBe(300);
    expect(capUnder(0, 1000, estimate)).toBe(0);
    expect(capUnder(-5, 1000, estimate)).toBe(0);
  });

  it('estimates a keyed contacts sync: one email lookup and one upsert per 100 new, one update per 100 known', () => {
    expect(estimateHubSpotRequests(contacts, { new: 250, known: 101, cleared: 0, firstSync: true, associations: [{ to: 'companies', write: 350, remove: 0 }] })).toEqual({
      setup: 4,
      reads: 3,
      writes: 3 + 2,
      associations: 1 + 4,
      total: 17,
    });
    expect(estimateHubSpotRequests(contacts, { new: 0, known: 0, cleared: 0, firstSync: false, associations: [] }).total).toBe(0);
  });

  it('defers counters first, then score moves, never new PQLs before them', () => {
    const budget = { remaining: 1000 + 1 + 1 + 4, limit: 5000, observedAt: new Date(0) };
    const estimate = (sync: SyncConfig, work: Parameters<typeof estimateHubSpotRequests>[1]) => estimateHubSpotRequests(sync, work);
    // 1000 reserved, the portal read, the property check, then 4 batches for 1,000 changes.
    const result = planBudget({ plans: [plan(1000, { pqls: 50, tiers: 50, scores: 300, counters: 600 })], syncs: [contacts], associations: new Map(), estimate, budget, reserve: 0.2 });
    expect(result.fits).toBe(false);
    expect(result.reserveRequests).toBe(1000);
    expect(result.syncs[0].deferred).toEqual({ pqls: 0, tiers: 0, scores: 0, counters: 600, cleared: 0 });
    const tighter = planBudget({ plans: [plan(1000, { pqls: 50, tiers: 50, scores: 300, counters: 600 })], syncs: [contacts], associations: new Map(), estimate, budget: { ...budget, remaining: budget.remaining - 2 }, reserve: 0.2 });
    expect(tighter.syncs[0].deferred).toEqual({ pqls: 0, tiers: 0, scores: 200, counters: 600, cleared: 0 });
    const unknown = planBudget({ plans: [plan(1000, { pqls: 50, tiers: 50, scores: 300, counters: 600 })], syncs: [contacts], associations: new Map(), estimate, budget: null, reserve: 0.2 });
    expect(unknown).toMatchObject({ fits: null, reserveRequests: null, requests: 1 + 1 + 10 });
  });
});
