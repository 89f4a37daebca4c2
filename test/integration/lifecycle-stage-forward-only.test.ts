/**
 * Lifecycle stage through the CLI against the sandbox (which, as HubSpot, answers a backwards
 * move with 200 and keeps the stage it held). The contacts sync maps a column to
 * `lifecyclestage`: a PQL (hot or sales-ready) is a sales-qualified lead, everyone else a lead.
 * pqlsync reads the stage each contact holds first (one read per 100) and never sends a move
 * back: a PQL reaches `lifecyclestage`, a customer and an opportunity are left alone, and a
 * marketing-qualified lead who is not a PQL stays one.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { openOwnScenario, type Scenario } from '../helpers/faults-harness.ts';

const STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist'];
let s: Scenario;

beforeAll(async () => {
  s = await openOwnScenario({ users: 600, seed: 5 }, {
    editConfig: (config) => {
      const contacts = config.syncs.find((x: { name: string }) => x.name === 'contacts');
      contacts.properties.push({ column: 'lifecycle_stage', property: 'lifecyclestage', type: 'enumeration', label: 'Lifecycle stage', options: STAGES });
    },
    prepare: async (w) => {
      await w.execute('alter table pqlsync_models.contact_sync add column lifecycle_stage varchar');
      await w.execute(`update pqlsync_models.contact_sync set lifecycle_stage = case when pql_tier in ('hot', 'sales_ready') then 'salesqualifiedlead' else 'lead' end`);
    },
  });
}, 120_000);

afterAll(async () => s?.close());

it('a PQL reaches lifecyclestage, a customer is left alone, and no backwards move is ever sent', async () => {
  const rows = await s.sql((w) => w.query('select email, pql_tier from pqlsync_models.contact_sync order by email'));
  const pqls = rows.filter((r) => r.pql_tier === 'hot' || r.pql_tier === 'sales_ready').map((r) => String(r.email));
  const others = rows.filter((r) => !pqls.includes(String(r.email))).map((r) => String(r.email));
  expect(pqls.length).toBeGreaterThan(4);
  expect(rows.length).toBeGreaterThan(100); // past one read of 100
  const [customer, lead, opportunity, fresh] = pqls;
  const [mql] = others;
  // Contacts that existed before pqlsync, each at a stage a person or a workflow set.
  s.sandbox.seedRecord('contacts', { email: customer, lifecyclestage: 'customer' });
  s.sandbox.seedRecord('contacts', { email: lead, lifecyclestage: 'lead' });
  s.sandbox.seedRecord('contacts', { email: opportunity, lifecyclestage: 'opportunity' });
  s.sandbox.seedRecord('contacts', { email: mql, lifecyclestage: 'marketingqualifiedlead' });

  const run = await s.cli(['sync', '--select', 'contacts']);
  expect(run.code, run.err).toBe(EXIT.ok);
  const stage = (email: string) => s.sandbox.findByUniqueValue('contacts', 'email', email)!.properties.lifecyclestage;
  expect(stage(lead)).toBe('salesqualifiedlead');
  expect(stage(fresh)).toBe('salesqualifiedlead');
  expect(stage(customer)).toBe('customer');
  expect(stage(opportunity)).toBe('opportunity');
  expect(stage(mql)).toBe('marketingqualifiedlead');
  expect(s.sandbox.lifecycleMovesIgnored()).toBe(0);
  // Contacts are keyed by the product user id: every new row is looked up by email first (100 a
  // read), and the stage of the 4 that existed is read before writing (one read by id).
  expect(s.sandbox.stats.requestsByRoute['POST /crm/v3/objects/contacts/batch/read']).toBe(Math.ceil(rows.length / 100) + 1);
  // The other contacts' pqlsync values landed as usual.
  expect(s.sandbox.findByUniqueValue('contacts', 'email', customer)!.properties.pqlsync_pql_tier).toMatch(/hot|sales_ready/);

  // A second run with the PQLs back to leads sends nothing backwards either.
  await s.sql((w) => w.execute(`update pqlsync_models.contact_sync set lifecycle_stage = 'lead' where pql_tier in ('hot', 'sales_ready')`));
  // Every PQL changes at once, past the guardrail's default share (15%): sent with --force.
  const again = await s.cli(['sync', '--select', 'contacts', '--force']);
  expect(again.code, again.err).toBe(EXIT.ok);
  expect(stage(lead)).toBe('salesqualifiedlead');
  expect(s.sandbox.lifecycleMovesIgnored()).toBe(0);
});
