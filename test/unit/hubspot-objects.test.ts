/** Pure decisions of the object writers: list or search, association type ids, pipeline stages. */
import { describe, expect, it } from 'vitest';
import { associationTypeIds } from '../../connectors/hubspot/associations.ts';
import { listingIsCheaper } from '../../connectors/hubspot/objects/companies/writer.ts';
import { identityProperty } from '../../connectors/hubspot/objects/object-types.ts';
import { resolvePipeline } from '../../connectors/hubspot/pipelines.ts';
import { DestinationError } from '../../contracts/errors.ts';

describe('companies: one read of the portal or searches', () => {
  const rates = { crmPerSecond: 10, searchPerSecond: 4 };
  it('reads every company when the portal is small next to the domains to find', () => {
    // 10,000 domains: 200 searches at 4/s = 50 s; a portal of 20,000: 200 pages at 10/s = 20 s.
    expect(listingIsCheaper(10_000, 20_000, rates)).toBe(true);
    expect(listingIsCheaper(10_000, 0, rates)).toBe(true);
  });
  it('searches for a few domains in a big portal', () => {
    // 500 domains: 10 searches = 2.5 s; a portal of 100,000: 1,000 pages = 100 s.
    expect(listingIsCheaper(500, 100_000, rates)).toBe(false);
  });
});

describe('association type ids', () => {
  it('HubSpot-defined ids from the portal labels, the documented ones as the fallback', () => {
    expect(associationTypeIds({ from: 'deals', to: 'companies', primary: true })).toEqual([341, 5]);
    expect(associationTypeIds({ from: 'contacts', to: 'companies', primary: false })).toEqual([279]);
    const labels = [
      { typeId: 9341, label: null, category: 'HUBSPOT_DEFINED' },
      { typeId: 9005, label: 'Primary', category: 'HUBSPOT_DEFINED' },
      { typeId: 77, label: 'Reseller', category: 'USER_DEFINED' },
    ];
    expect(associationTypeIds({ from: 'deals', to: 'companies', primary: true }, labels)).toEqual([9341, 9005]);
  });
  it('a pair HubSpot does not define is an error, never a guess', () => {
    expect(() => associationTypeIds({ from: 'deals', to: 'deals', primary: false })).toThrow(DestinationError);
    expect(() => associationTypeIds({ from: 'deals', to: 'contacts', primary: true })).toThrow('no primary association from deals to contacts');
  });
});

describe('pipelines and identities', () => {
  const config = {
    label: 'PLG trials',
    stages: [
      { key: 'open', label: 'Trial - self-served', probability: 0.2, closed: false },
      { key: 'won', label: 'Closed won', probability: 1, closed: true },
    ],
  };
  it('matches stages by label (case and spacing aside) and ranks them in the configured order', () => {
    const resolved = resolvePipeline(config, { id: '77', label: 'PLG trials', stages: [{ id: '2', label: 'closed  WON' }, { id: '1', label: 'Trial - self-served' }] });
    expect([...resolved.stageIds]).toEqual([['open', '1'], ['won', '2']]);
    expect([...resolved.ranks]).toEqual([['1', 0], ['2', 1]]);
  });
  it('a pipeline without a configured stage names the pipeline and the stage', () => {
    expect(() => resolvePipeline(config, { id: '77', label: 'PLG trials', stages: [{ id: '1', label: 'Trial - self-served' }] })).toThrow(
      "HubSpot deal pipeline 'PLG trials' (id 77) has no stage labelled 'Closed won'",
    );
  });
  it('the identity property: email for contacts unless keyed by a product key, pqlsync-owned for companies and deals', () => {
    expect(identityProperty({ object: 'contacts' })).toBe('email');
    expect(identityProperty({ object: 'contacts', identity_property: 'pqlsync_user_key' })).toBe('pqlsync_user_key');
    expect(identityProperty({ object: 'companies' })).toBe('pqlsync_account_key');
    expect(identityProperty({ object: 'deals', identity_property: 'pqlsync_trial_id' })).toBe('pqlsync_trial_id');
  });
});
