/**
 * Deals through the destination, against the sandbox and the real client: the pipeline is
 * created once and checked after; deals are upserted by pqlsync's unique key, so a lost answer
 * never makes a second deal; a stage moved by hand to a later stage is never moved back;
 * past a batch boundary (150 deals).
 */
import { SANDBOX_TOKEN as TOKEN, sandboxWithDestination, stopSandboxes } from '../helpers/sandbox-destination.ts';
import type { Sandbox, SandboxOptions } from '../../connectors/hubspot/sandbox/index.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { Change, Outcome } from '../../connectors/destination.ts';
import { TRIAL_STAGES as STAGES, trialDealsSync as dealsSync } from '../helpers/deals-sync.ts';
import { DestinationError } from '../../contracts/errors.ts';

const deal = (i: number, stage = 'trial_self_served', over: Partial<Change> = {}): Change => ({
  key: `trial_${i}`,
  kind: 'new',
  recordId: null,
  values: { deal_name: `Trial ${i}`, deal_stage: stage, amount: 100 * i, seats: i },
  ...over,
});

afterEach(stopSandboxes);

async function setup(sandboxOptions: SandboxOptions = {}) {
  return sandboxWithDestination({ requestsPer10s: 100, ...sandboxOptions }, { requestsPer10s: 100 });
}

const ok = (outcomes: Outcome[]) => outcomes.filter((o): o is Extract<Outcome, { ok: true }> => o.ok);
const stageOf = (sandbox: Sandbox, key: string) => {
  const pipeline = sandbox.pipelines().find((p) => p.label === 'PLG trials')!;
  const record = sandbox.findByProperty('deals', 'pqlsync_trial_id', key)[0];
  return { pipeline: record.properties.pipeline === pipeline.id, stage: pipeline.stages.find((s) => s.id === record.properties.dealstage)?.label.replace('Stage ', '') };
};

describe('deals', () => {
  it('creates the pipeline and the unique trial-id property once, then 150 deals in 2 upserts, each in its stage', async () => {
    const { sandbox, destination } = await setup();
    await destination.ensureProperties([dealsSync()]);
    await destination.ensureProperties([dealsSync()]);
    expect(sandbox.pipelines().filter((p) => p.label === 'PLG trials')).toHaveLength(1);
    expect(sandbox.properties('deals').find((p) => p.name === 'pqlsync_trial_id')).toMatchObject({ hasUniqueValue: true, groupName: 'pqlsync' });
    sandbox.resetStats();
    const outcomes = await destination.writer(dealsSync()).send(Array.from({ length: 150 }, (_, i) => deal(i, STAGES[i % 4])));
    expect(ok(outcomes)).toHaveLength(150);
    expect(sandbox.stats.requestsByRoute).toEqual({ 'POST /crm/v3/objects/deals/batch/upsert': 2 });
    expect(sandbox.records('deals')).toHaveLength(150);
    for (let i = 0; i < 150; i++) expect(stageOf(sandbox, `trial_${i}`)).toEqual({ pipeline: true, stage: STAGES[i % 4] });
  });

  it('a lost answer on the upsert, retried, updates the deal it created: never a second deal', async () => {
    const { sandbox, destination } = await setup({
      searchLagMs: 60_000,
      faults: { rules: [{ fault: { type: 'lost-response' }, pathIncludes: '/deals/batch/upsert', onRequests: [1, 2] }] },
    });
    await destination.ensureProperties([dealsSync()]);
    const outcomes = await destination.writer(dealsSync()).send(Array.from({ length: 120 }, (_, i) => deal(i)));
    expect(ok(outcomes)).toHaveLength(120);
    expect(sandbox.stats.faultsInjected).toBe(2);
    expect(sandbox.records('deals')).toHaveLength(120);
    const stored = new Map(sandbox.records('deals').map((r) => [r.properties.pqlsync_trial_id, r.id]));
    for (const o of ok(outcomes)) expect(stored.get(o.key)).toBe(o.recordId);
    // State lost as well (a crash before the checkpoint): the rerun sends them as new and still finds the same deals.
    const again = await destination.writer(dealsSync()).send(Array.from({ length: 120 }, (_, i) => deal(i, 'trial_sales_assisted')));
    expect(ok(again)).toHaveLength(120);
    expect(sandbox.records('deals')).toHaveLength(120);
  });

  it('never moves a deal back: a rep moved it forward, or out of the pipeline; forward moves and other properties still land', async () => {
    const { sandbox, destination } = await setup();
    await destination.ensureProperties([dealsSync()]);
    const first = ok(await destination.writer(dealsSync()).send([deal(1), deal(2), deal(3), deal(4, 'closed_won')]));
    const id = new Map(first.map((o) => [o.key, o.recordId]));
    const pipeline = sandbox.pipelines().find((p) => p.label === 'PLG trials')!;
    const stageId = (key: string) => pipeline.stages.find((s) => s.label === `Stage ${key}`)!.id;
    // A rep closes trial_1 by hand and moves trial_2 to HubSpot's default pipeline.
    sandbox.editRecord('deals', id.get('trial_1')!, { dealstage: stageId('closed_won') });
    sandbox.editRecord('deals', id.get('trial_2')!, { pipeline: 'default', dealstage: 'qualifiedtobuy' });
    sandbox.resetStats();
    const second = await destination.writer(dealsSync()).send([
      deal(1, 'trial_sales_assisted', { kind: 'changed', recordId: id.get('trial_1')! }),
      deal(2, 'trial_sales_assisted', { kind: 'changed', recordId: id.get('trial_2')! }),
      deal(3, 'trial_sales_assisted', { kind: 'changed', recordId: id.get('trial_3')! }),
      { ...deal(4, 'closed_lost', { kind: 'changed', recordId: id.get('trial_4')! }), values: { deal_name: 'Renamed', deal_stage: 'closed_lost', amount: 5, seats: 4 } },
    ]);
    expect(ok(second)).toHaveLength(4);
    // One read of the stages HubSpot holds, one update: a stage change costs two requests per 100 deals.
    expect(sandbox.stats.requestsByRoute).toEqual({ 'POST /crm/v3/objects/deals/batch/read': 1, 'POST /crm/v3/objects/deals/batch/update': 1 });
    expect(stageOf(sandbox, 'trial_1')).toEqual({ pipeline: true, stage: 'closed_won' });
    const moved = sandbox.findByProperty('deals', 'pqlsync_trial_id', 'trial_2')[0].properties;
    expect([moved.pipeline, moved.dealstage]).toEqual(['default', 'qualifiedtobuy']);
    expect(stageOf(sandbox, 'trial_3')).toEqual({ pipeline: true, stage: 'trial_sales_assisted' });
    expect(stageOf(sandbox, 'trial_4')).toEqual({ pipeline: true, stage: 'closed_won' });
    expect(sandbox.findByProperty('deals', 'pqlsync_trial_id', 'trial_4')[0].properties).toMatchObject({ dealname: 'Renamed', amount: '5' });
    expect(sandbox.findByProperty('deals', 'pqlsync_trial_id', 'trial_2')[0].properties.amount).toBe('200');
  });

  it('a pipeline create whose answer was lost is looked up before it is retried: one pipeline', async () => {
    // The 1st pipelines request reads them; the 2nd creates and loses its answer.
    const { sandbox, destination } = await setup({ faults: { rules: [{ fault: { type: 'lost-response' }, pathIncludes: '/crm/v3/pipelines', onRequests: [2] }] } });
    await destination.ensureProperties([dealsSync()]);
    expect(sandbox.stats.faultsInjected).toBe(1);
    expect(sandbox.pipelines().filter((p) => p.label === 'PLG trials')).toHaveLength(1);
    expect(ok(await destination.writer(dealsSync()).send([deal(1, 'closed_won')]))).toHaveLength(1);
    expect(stageOf(sandbox, 'trial_1')).toEqual({ pipeline: true, stage: 'closed_won' });
  });

  it('associations: 150 pairs in 2 batches, answered per pair; a pair past a portal limit fails alone, with its reason', async () => {
    const { sandbox, destination } = await setup({ associationLimits: { 'deals>companies': 1 } });
    await destination.ensureProperties([dealsSync()]);
    const deals = ok(await destination.writer(dealsSync()).send(Array.from({ length: 150 }, (_, i) => deal(i))));
    const companies = Array.from({ length: 151 }, (_, i) => sandbox.seedRecord('companies', { domain: `c${i}.io` }).id);
    sandbox.resetStats();
    const pairs = deals.map((d, i) => ({ fromId: d.recordId, toId: companies[i] }));
    const outcomes = await destination.associate({ from: 'deals', to: 'companies', primary: true }, pairs);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(150);
    expect(sandbox.stats.requestsByRoute['POST /crm/v4/associations/deals/companies/batch/create']).toBe(2);
    expect(sandbox.associations('deals', deals[0].recordId).map((a) => a.types.map((t) => t.associationTypeId).sort((x, y) => x - y))).toEqual([[5, 341]]);
    // A second company for deal 0 is past the limit of one; deal 1's same pair again is harmless.
    const again = await destination.associate({ from: 'deals', to: 'companies', primary: false }, [
      { fromId: deals[0].recordId, toId: companies[150] },
      { fromId: deals[1].recordId, toId: companies[1] },
    ]);
    expect(again).toEqual([
      { pair: { fromId: deals[0].recordId, toId: companies[150] }, ok: false, category: 'ASSOCIATION_LIMIT_EXCEEDED', message: expect.stringContaining('the limit set for this portal (1)') },
      { pair: { fromId: deals[1].recordId, toId: companies[1] }, ok: true },
    ]);
  });

  it('a pipeline that exists without a configured stage is a clear error before any deal is sent', async () => {
    const { sandbox, destination } = await setup();
    const api = await startSandboxPipeline(sandbox);
    expect(api).toBeDefined();
    const error = await destination.ensureProperties([dealsSync()]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as Error).message).toContain("HubSpot deal pipeline 'PLG trials'");
    expect((error as Error).message).toContain("'Stage closed_won'");
  });
});

/** A pipeline someone made by hand, with only three of the four stages. */
async function startSandboxPipeline(sandbox: Sandbox) {
  const response = await fetch(`${sandbox.url}/crm/v3/pipelines/deals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      label: 'PLG trials',
      displayOrder: 1,
      stages: STAGES.slice(0, 3).map((key, i) => ({ label: `Stage ${key}`, displayOrder: i, metadata: { probability: 0.5 } })),
    }),
  });
  return response.json();
}
