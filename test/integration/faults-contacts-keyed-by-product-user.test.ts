/**
 * The delivery promise with contacts keyed as the shipped project keys them (a stable product key
 * in the pqlsync-owned unique property pqlsync_user_key, email a mapped value; docs/hubspot.md,
 * "Contact identity"), with contacts that existed before pqlsync:
 * the shipped project on demo data past one page of 100, under lost answers, 5xx, resets and a
 * random 10 % mix, compared record by record with a clean run. Some contacts exist before pqlsync
 * (by primary or secondary email): each is stamped, none duplicated, whatever the faults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../connectors/hubspot/sandbox/index.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { buildTemplate, compareWithClean, FAULT_MIX, openScenario, type Held, type Scenario, type ScenarioOptions, type Template } from '../helpers/faults-harness.ts';

let template: Template;
let clean: Held;
let existing: Array<{ email: string; secondary: boolean }> = [];

/** The shipped project keys contacts this way; a check, so this file cannot silently test the old keying. */
const keyedByUser: ScenarioOptions['editConfig'] = (config) => {
  const contacts = config.syncs.find((x: { name: string }) => x.name === 'contacts');
  if (contacts.key !== 'user_id' || contacts.identity_property !== 'pqlsync_user_key') throw new Error('the shipped contacts sync is no longer keyed by user_id in pqlsync_user_key');
};

/** A scenario with contacts keyed by user, and contacts that existed before pqlsync seeded. */
async function open(options: ScenarioOptions = {}): Promise<Scenario> {
  const s = await openScenario(template, { ...options, editConfig: keyedByUser });
  existing.forEach(({ email, secondary }, i) => {
    if (!secondary) s.sandbox.seedRecord('contacts', { email, firstname: 'Existing' });
    else s.sandbox.addSecondaryEmail(s.sandbox.seedRecord('contacts', { email: `before.${i}@elsewhere.test` }).id, email);
  });
  return s;
}

beforeAll(async () => {
  template = await buildTemplate({ users: 1000, seed: 9 });
  const s = await openScenario(template, { editConfig: keyedByUser });
  try {
    const emails = await s.sql((w) => w.query('select email from pqlsync_models.contact_sync order by email limit 40'));
    existing = emails.map((r, i) => ({ email: String(r.email), secondary: i % 2 === 1 }));
  } finally {
    await s.close();
  }
  const c = await open();
  try {
    const run = await c.sync();
    expect(run.code, String(run.error)).toBe(EXIT.ok);
    clean = c.held();
    expect(clean.contacts.size).toBeGreaterThan(500);
    // Every contact that existed is the one stamped: the portal holds one contact per person, no more.
    expect(c.sandbox.records('contacts').length).toBe(clean.contacts.size);
  } finally {
    await c.close();
  }
}, 120_000);

afterAll(async () => {
  await template?.cleanup();
});

const onContacts = (fault: FaultRule['fault'], more: Partial<FaultRule> = {}): FaultRule => ({ fault, pathIncludes: '/contacts/', probability: 0.35, maxTimes: 6, ...more });

describe('contacts keyed by product user: everything lands once despite faults', () => {
  const cases: Array<[string, ScenarioOptions]> = [
    ['lost answers on contact reads, upserts and updates', { sandbox: { faults: { seed: 3, rules: [onContacts({ type: 'lost-response' })] } } }],
    ['500s and resets on contact writes', { sandbox: { faults: { seed: 4, rules: [onContacts({ type: 'status', status: 500 }), onContacts({ type: 'reset' })] } } }],
    ...[1, 2, 3].map((seed): [string, ScenarioOptions] => [`10% mix, seed ${seed}`, { sandbox: { faults: { seed, rules: FAULT_MIX } }, destination: { timeoutMs: 400 } }]),
  ];
  for (const [name, options] of cases) {
    it(name, async () => {
      const s = await open(options);
      try {
        let run = await s.sync();
        // A mix may exhaust a record's retries: the next run sends the rest, nothing twice.
        if (run.code !== EXIT.ok) run = await s.sync();
        expect(run.code, String(run.error)).toBe(EXIT.ok);
        const comparison = await compareWithClean(clean, s);
        expect(comparison.problems.slice(0, 20)).toEqual([]);
        expect(s.sandbox.records('contacts').length).toBe(clean.contacts.size);
        expect(s.sandbox.stats.faultsInjected).toBeGreaterThan(0);
        // The contacts that existed (by primary or secondary email) were stamped, not duplicated.
        for (const { email } of existing) expect(s.sandbox.findByUniqueValue('contacts', 'email', email)?.properties.pqlsync_user_key, email).toBeTruthy();
      } finally {
        await s.close();
      }
    });
  }
});
