import { describe, expect, it } from 'vitest';
import { syncConfig } from '../../src/config/schema.ts';
import { checkGuardrails } from '../../src/run/guardrails.ts';
import type { DiffSummary } from '../../src/state/record-store.ts';

const sync = syncConfig.parse({
  name: 'contacts',
  model: 'contact_sync',
  object: 'contacts',
  key: 'email',
  properties: [
    { column: 'pql_tier', property: 'pqlsync_pql_tier', type: 'enumeration', label: 'Tier', options: ['cold', 'warm', 'hot', 'sales_ready'] },
  ],
  guardrails: { tier_column: 'pql_tier' },
});

const diff = (changed: number, removed = 0): DiffSummary => ({
  rows: 1000, new: 0, changed, retrying: 0, unchanged: 1000 - changed, heldBack: 0, remapped: [], removed, nullKeys: 0,
});
const shares = (entries: [string, number][]) => new Map(entries);
const state = { total: 1000, shares: shares([['cold', 0.6], ['warm', 0.25], ['hot', 0.1], ['sales_ready', 0.05]]) };

describe('the circuit breaker against a bad model', () => {
  it('lets an ordinary day through', () => {
    const verdict = checkGuardrails(sync, diff(120), state, shares([['cold', 0.58], ['warm', 0.26], ['hot', 0.11], ['sales_ready', 0.05]]));
    expect(verdict.violations).toEqual([]);
    expect(verdict.changedShare).toBeCloseTo(0.12);
  });

  it('stops when more than 15% of delivered rows would change (the default)', () => {
    expect(checkGuardrails(sync, diff(150), state, null).violations).toEqual([]);
    const verdict = checkGuardrails(sync, diff(151), state, null);
    expect(verdict.violations).toHaveLength(1);
    expect(verdict.violations[0]).toContain('15.1% of the 1000 delivered rows would change (limit 15.0%)');
  });

  it('stops when everyone suddenly becomes sales_ready', () => {
    const verdict = checkGuardrails(sync, diff(100), state, shares([['cold', 0.3], ['warm', 0.1], ['hot', 0.05], ['sales_ready', 0.55]]));
    expect(verdict.tierShift).toEqual({ tier: 'sales_ready', from: 0.05, to: 0.55 });
    expect(verdict.violations.join()).toContain("tier 'sales_ready' would move from 5.0% to 55.0%");
  });

  it('counts cleared rows as changes when rows that leave the model are cleared', () => {
    const clearing = { ...sync, on_removed: 'clear' as const };
    expect(checkGuardrails(clearing, diff(100, 100), state, null).violations).toHaveLength(1);
    expect(checkGuardrails(sync, diff(100, 100), state, null).violations).toHaveLength(0);
  });

  it('never trips below min_rows (a first sync, a small portal)', () => {
    const small = { total: 50, shares: shares([['cold', 1]]) };
    expect(checkGuardrails(sync, diff(50), small, shares([['sales_ready', 1]])).violations).toEqual([]);
  });
});
