/**
 * Property options through the CLI against the sandbox, which requires `hidden` on every option
 * as HubSpot's schema does: pqlsync creates its enumerations with the flag, and adding an option
 * to an enumeration of its group re-sends the existing options with their own flags, so an option
 * a person hid stays hidden.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { openOwnScenario, type Scenario } from '../helpers/faults-harness.ts';

let s: Scenario;

beforeAll(async () => {
  s = await openOwnScenario({ users: 200, seed: 23 });
}, 120_000);

afterAll(async () => s?.close());

it('adds the missing options and keeps the hidden flag of the existing ones', async () => {
  const option = (value: string, hidden: boolean, displayOrder: number) => ({ label: value, value, hidden, displayOrder });
  s.sandbox.seedProperty('contacts', {
    name: 'pqlsync_pql_tier',
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'pqlsync',
    options: [option('cold', true, 0), option('warm', false, 1)],
  });
  const run = await s.cli(['sync']);
  expect(run.code, run.err).toBe(EXIT.ok);
  const tier = s.sandbox.properties('contacts').find((p) => p.name === 'pqlsync_pql_tier')!;
  expect(tier.options.map((o) => [o.value, o.hidden])).toEqual([
    ['cold', true],
    ['warm', false],
    ['hot', false],
    ['sales_ready', false],
  ]);
  // Every enumeration pqlsync created carries the flag (the sandbox refuses an option without it).
  const created = s.sandbox.properties('companies').find((p) => p.name === 'pqlsync_plan')!;
  expect(created.options.length).toBeGreaterThan(0);
  expect(created.options.every((o) => o.hidden === false)).toBe(true);
});
