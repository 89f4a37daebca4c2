import { describe, expect, it } from 'vitest';
import type { PropertyMapping } from '../../src/config/schema.ts';
import { applyWritePolicy, movesForward, policyReads } from '../../connectors/hubspot/write-policy.ts';

const HUBSPOT = { stages: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist'], never_over: ['opportunity', 'customer', 'evangelist'] };

describe('lifecycle stage', () => {
  it('moves only forward, never out of a guarded stage nor over a stage it does not know', () => {
    expect(movesForward(HUBSPOT, undefined, 'lead')).toBe(true);
    expect(movesForward(HUBSPOT, 'lead', 'salesqualifiedlead')).toBe(true);
    expect(movesForward(HUBSPOT, 'salesqualifiedlead', 'lead')).toBe(false);
    expect(movesForward(HUBSPOT, 'lead', 'lead')).toBe(false);
    expect(movesForward(HUBSPOT, 'opportunity', 'customer')).toBe(false);
    expect(movesForward(HUBSPOT, '12345678', 'lead')).toBe(false);
    const custom = { stages: ['lead', '987654', 'salesqualifiedlead'], never_over: [] };
    expect(movesForward(custom, 'lead', '987654')).toBe(true);
    expect(movesForward(custom, 'salesqualifiedlead', '987654')).toBe(false);
  });
});

describe('write policy against held values', () => {
  const properties: PropertyMapping[] = [
    { column: 'a', property: 'amount', type: 'number', label: 'A', write: 'if_empty' },
    { column: 't', property: 'jobtitle', type: 'string', label: 'T', write: 'not_null' },
    { column: 's', property: 'lifecyclestage', type: 'enumeration', label: 'S', options: HUBSPOT.stages },
  ];
  const sync = { properties, lifecycle: HUBSPOT };
  it('reads the if_empty values and the stage it is about to write', () => {
    expect(policyReads(sync, { amount: '5', jobtitle: 'CTO', lifecyclestage: 'lead' })).toEqual(['amount', 'lifecyclestage']);
    expect(policyReads(sync, { jobtitle: 'CTO' })).toEqual([]);
  });
  it('leaves out what HubSpot holds for if_empty, and a stage that would not move forward', () => {
    const wanted = { amount: '5', jobtitle: 'CTO', lifecyclestage: 'lead' };
    expect(applyWritePolicy(sync, wanted, { amount: '7', lifecyclestage: 'customer' })).toEqual({ jobtitle: 'CTO' });
    expect(applyWritePolicy(sync, wanted, { amount: null, lifecyclestage: 'subscriber' })).toEqual(wanted);
    expect(applyWritePolicy(sync, wanted, undefined)).toEqual(wanted);
  });
});
