/**
 * A project whose contacts sync is keyed by email (as every project was before the product key)
 * keeps working unchanged, and switching it to the product key (docs/hubspot.md, "Contact
 * identity": key user_id, identity_property pqlsync_user_key, email mapped) costs one full pass:
 * every row is new under its new key, found by email (one batch read per 100), stamped and updated
 * by id. Through the CLI against the sandbox: no contact is created twice, every record id stays,
 * and the run after the switch sends nothing.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { openOwnScenario, type OwnScenario } from '../helpers/faults-harness.ts';
import { contactsKeyedByEmail } from '../helpers/project.ts';

let s: OwnScenario;

beforeAll(async () => {
  // The old way: contacts keyed by email.
  s = await openOwnScenario({ users: 600, seed: 5 }, { editConfig: contactsKeyedByEmail });
}, 120_000);

afterAll(async () => s?.close());

it('keeps an email-keyed project working, and switches it to the product key without a duplicate', async () => {
  const before = await s.cli(['sync']);
  expect(before.code, before.err).toBe(EXIT.ok);
  const keys = await s.sql((w) => w.query(`select record_key from pqlsync.sync_state where sync_name = 'contacts' order by record_key limit 3`));
  expect(keys.every((r) => String(r.record_key).includes('@'))).toBe(true); // state keyed by email
  const idsBefore = new Map(s.sandbox.records('contacts').map((r) => [r.properties.email, r.id]));
  expect(idsBefore.size).toBeGreaterThan(100);
  expect(s.sandbox.records('contacts').some((r) => r.properties.pqlsync_user_key)).toBe(false);

  // The switch: the shipped config (contacts keyed by user_id in pqlsync_user_key).
  await writeFile(s.config, JSON.stringify({ ...s.template.config, warehouse: { ...s.template.config.warehouse, path: s.db } }, null, 2));
  s.sandbox.resetStats();
  const switched = await s.cli(['sync', '--force']);
  expect(switched.code, switched.err).toBe(EXIT.ok);
  const done = switched.events.find((e) => e.event === 'sync_done' && e.sync === 'contacts');
  expect(done.sent).toBe(idsBefore.size);
  // Found by email, 100 a request, then updated by id: no upsert creates anyone.
  const routes = s.sandbox.stats.requestsByRoute;
  expect(routes['POST /crm/v3/objects/contacts/batch/read']).toBe(Math.ceil(idsBefore.size / 100));
  const after = s.sandbox.records('contacts');
  expect(after.length).toBe(idsBefore.size);
  for (const record of after) {
    expect(record.id, record.properties.email).toBe(idsBefore.get(record.properties.email));
    expect(record.properties.pqlsync_user_key, record.properties.email).toBeTruthy();
  }
  // Each deal still has one contact.
  for (const deal of s.sandbox.records('deals')) {
    expect(s.sandbox.associations('deals', deal.id).filter((a) => a.toObjectType === 'contacts').length).toBeLessThanOrEqual(1);
  }

  s.sandbox.resetStats();
  const again = await s.cli(['sync']);
  expect(again.code, again.err).toBe(EXIT.ok);
  expect(again.events.find((e) => e.event === 'sync_done' && e.sync === 'contacts').sent).toBe(0);
});
