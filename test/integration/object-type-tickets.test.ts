/**
 * An object type is one folder: tickets were added as connectors/hubspot/objects/tickets/ (its
 * identity, writer, association type ids, scopes and the sandbox's schema for it), one name in
 * object-type-names.ts and one line in registry.ts (docs/architecture.md, "Adding an object
 * type"). This test shows that is all it takes: the config accepts a tickets sync and applies
 * the capability rules to it from data; the destination creates the identity property and
 * upserts 150 tickets in 2 batches, a lost answer makes no second ticket; associations to
 * contacts use the folder's type ids; doctor asks for the folder's scopes.
 */
import { sandboxWithDestination, stopSandboxes } from '../helpers/sandbox-destination.ts';
import type { SandboxOptions } from '../../connectors/hubspot/sandbox/index.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { Change, Outcome } from '../../connectors/destination.ts';
import type { HubSpotSyncTarget } from '../../connectors/hubspot/config.ts';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from '../../contracts/errors.ts';
import { parseProject } from '../../src/config/load-project.ts';
import { DEMO_CONFIG } from '../helpers/project.ts';
import { requiredScopes } from '../../src/doctor/hubspot-checks.ts';


const ticketsSync = {
  name: 'onboarding_tickets',
  model: 'stuck_trials',
  object: 'tickets',
  key: 'trial_id',
  mode: 'upsert',
  on_removed: 'keep',
  properties: [
    { column: 'subject', property: 'subject', type: 'string', label: 'Ticket name' },
    { column: 'stage', property: 'hs_pipeline_stage', type: 'enumeration', label: 'Status', options: ['1', '2', '3', '4'] },
    { column: 'days_stuck', property: 'pqlsync_days_stuck', type: 'number', label: 'Days stuck' },
  ],
} as const;

const shipped = parseDocument(readFileSync(DEMO_CONFIG, 'utf8')).toJS();

/** The shipped project with its contacts sync only, and the tickets sync associated with it; answers the ConfigError's message, or ''. */
function problemsOf(edit: (tickets: any) => void = () => undefined): string {
  const c = structuredClone(shipped);
  c.syncs = c.syncs.filter((s: { object: string }) => s.object === 'contacts').slice(0, 1);
  delete c.handoff;
  delete c.syncs[0].associations;
  const tickets: any = { ...structuredClone(ticketsSync), associations: [{ to: c.syncs[0].name, column: 'email' }] };
  edit(tickets);
  c.syncs.push(tickets);
  try {
    parseProject(JSON.stringify(c), FILE);
    return '';
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

const FILE = '/projects/acme/pqlsync.yml';

const ticket = (i: number, over: Partial<Change> = {}): Change => ({
  key: `trial_${i}`,
  kind: 'new',
  recordId: null,
  values: { subject: `Trial ${i} is stuck on setup`, stage: '1', days_stuck: i },
  ...over,
});

afterEach(stopSandboxes);

async function setup(options: SandboxOptions = {}) {
  const { sandbox, destination } = await sandboxWithDestination({ requestsPer10s: 100, ...options }, { requestsPer10s: 100 });
  const sync = { ...structuredClone(ticketsSync), associations: undefined, guardrails: { max_changed_share: 1, max_tier_shift: 1, min_rows: 0 } } as unknown as HubSpotSyncTarget;
  return { sandbox, destination, sync };
}

const ok = (outcomes: Outcome[]) => outcomes.filter((o): o is Extract<Outcome, { ok: true }> => o.ok);

describe('tickets, an object type added as one folder', () => {
  it('a tickets sync is valid config; the capability rules come from its folder (a pipeline is refused, insert-once is allowed, not required)', () => {
    expect(problemsOf()).toBe('');
    expect(problemsOf((t) => (t.pipeline = { label: 'Support', stages: [{ key: 'new', label: 'New', probability: 0 }, { key: 'closed', label: 'Closed', probability: 1, closed: true }] }))).toContain('syncs.1.pipeline: only a deals sync has a pipeline');
    expect(problemsOf((t) => (t.mode = 'insert_once'))).toBe('');
    expect(problemsOf((t) => (t.identity_property = 'pqlsync_trial_ticket'))).toBe('');
    expect(problemsOf((t) => (t.associations = [{ to: 'onboarding_tickets', column: 'trial_id' }]))).toContain('a sync cannot associate with itself');
    expect(requiredScopes(['tickets'])).toEqual(['tickets', 'crm.schemas.tickets.read', 'crm.schemas.tickets.write']);
  });

  it('creates the unique ticket key once, upserts 150 tickets in 2 requests, and a lost answer makes no second ticket', async () => {
    const { sandbox, destination, sync } = await setup({
      faults: { rules: [{ fault: { type: 'lost-response' }, pathIncludes: '/tickets/batch/upsert', onRequests: [1] }] },
    });
    await destination.ensureProperties([sync]);
    const key = sandbox.properties('tickets').find((p) => p.name === 'pqlsync_ticket_key');
    expect(key).toMatchObject({ hasUniqueValue: true, type: 'string' });
    const created = ok(await destination.writer(sync).send(Array.from({ length: 150 }, (_, i) => ticket(i))));
    expect(created).toHaveLength(150);
    expect(sandbox.stats.faultsInjected).toBe(1);
    // The first batch was written, its answer lost, and sent again: the same 100 tickets were updated.
    expect(sandbox.records('tickets')).toHaveLength(150);
    expect(sandbox.stats.requestsByRoute['POST /crm/v3/objects/tickets/batch/upsert']).toBe(3);
    // The sandbox's rules for tickets come from the folder too: the support pipeline by default, a stage required.
    expect(sandbox.findByUniqueValue('tickets', 'pqlsync_ticket_key', 'trial_7')?.properties).toMatchObject({ subject: 'Trial 7 is stuck on setup', hs_pipeline: '0', hs_pipeline_stage: '1', pqlsync_days_stuck: '7' });
    const [stageless] = await destination.writer(sync).send([ticket(200, { values: { subject: 'No stage', stage: null, days_stuck: 1 } })]);
    expect(stageless).toMatchObject({ ok: false, message: expect.stringContaining('hs_pipeline_stage is required to create a ticket') });

    // Known ids are updated by id; the ticket stays one.
    const id = created.find((o) => o.key === 'trial_7')!.recordId;
    sandbox.resetStats();
    const [moved] = await destination.writer(sync).send([ticket(7, { kind: 'changed', recordId: id, values: { subject: 'Trial 7 is stuck on setup', stage: '3', days_stuck: 9 } })]);
    expect(moved).toMatchObject({ ok: true, recordId: id });
    expect(sandbox.stats.requestsByRoute['POST /crm/v3/objects/tickets/batch/update']).toBe(1);
    expect(sandbox.records('tickets')).toHaveLength(150);
    expect(sandbox.findByUniqueValue('tickets', 'pqlsync_ticket_key', 'trial_7')?.properties).toMatchObject({ hs_pipeline_stage: '3', pqlsync_days_stuck: '9' });
  });

  it('associates tickets with contacts by the type id of its folder, read back from the contact with the inverse id', async () => {
    const { sandbox, destination, sync } = await setup();
    await destination.ensureProperties([sync]);
    const [t] = ok(await destination.writer(sync).send([ticket(1)]));
    const contact = sandbox.seedRecord('contacts', { email: 'ada@example.com' });
    const [outcome] = await destination.associate({ from: 'tickets', to: 'contacts', primary: false }, [{ fromId: t.recordId, toId: contact.id }]);
    expect(outcome).toMatchObject({ ok: true });
    expect(sandbox.associations('tickets', t.recordId).flatMap((a) => a.types.map((x) => x.associationTypeId))).toEqual([16]);
    expect(sandbox.associations('contacts', contact.id).flatMap((a) => a.types.map((x) => x.associationTypeId))).toEqual([15]);
  });
});
