/**
 * The circuit breaker, both ways, through the CLI on the shipped project: a model bug that
 * suddenly marks every user sales_ready stops `pqlsync sync` before a single request (exit 9,
 * the reason and --force in the message); `--force` sends it. A key with quotes in it
 * (o'brien@…) round-trips through the diff, state and HubSpot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { buildTemplate, openScenario, type Template } from '../helpers/faults-harness.ts';
import { contactsKeyedByEmail, crmRequests } from '../helpers/project.ts';

let template: Template;
beforeAll(async () => {
  template = await buildTemplate({ users: 400, seed: 4 });
}, 120_000);
afterAll(async () => template?.cleanup());

describe('guardrails stop a model bug before it floods every rep’s queue', () => {
  it('every user sales_ready: exit 9, zero requests; --force sends it', async () => {
    const s = await openScenario(template);
    try {
      const first = await s.cli(['sync']);
      expect(first.code, first.out.slice(-1500)).toBe(EXIT.ok);
      const delivered = s.held().contacts.size;

      // The bug: a threshold typo puts everyone at the top.
      await s.sql((w) => w.execute(`update pqlsync_models.contact_sync set pql_tier = 'sales_ready', pql_score = 99`));
      s.sandbox.resetStats();
      const stopped = await s.cli(['sync']);
      expect(stopped.code, stopped.out.slice(-1500)).toBe(EXIT.guardrail);
      expect(crmRequests(s.sandbox)).toBe(0);
      const error = stopped.events.find((e) => e.event === 'error');
      expect(error).toMatchObject({ kind: 'GuardrailError', exit_code: 9 });
      expect(error.msg).toMatch(/Sync 'contacts' stopped before sending: .*sales_ready.*--force/s);
      // Nothing moved: HubSpot still holds the old tiers.
      expect([...s.held().contacts.values()].filter((r) => r.properties.pqlsync_pql_tier === 'sales_ready').length).toBeLessThan(delivered / 2);

      const forced = await s.cli(['sync', '--force']);
      expect(forced.code, forced.out.slice(-1500)).toBe(EXIT.ok);
      expect(s.sandbox.stats.requests).toBeGreaterThan(0);
      const held = [...s.held().contacts.values()];
      expect(held).toHaveLength(delivered);
      expect(held.every((r) => r.properties.pqlsync_pql_tier === 'sales_ready')).toBe(true);
    } finally {
      await s.close();
    }
  }, 90_000);
});

describe('values travel as parameters', () => {
  it("a key with quotes (o'brien@…) is sent, committed and recognised as unchanged", async () => {
    const s = await openScenario(template, {
      // Keys are emails here (as in a project keyed by email): the quotes must travel in the key.
      editConfig: contactsKeyedByEmail,
      prepare: async (w) => {
        const [row] = await w.query(`select email from pqlsync_models.contact_sync order by email limit 1`);
        await w.execute({ sql: `update pqlsync_models.contact_sync set email = ? where email = ?`, values: ["o'brien@example.com", String(row.email)] });
        await w.execute({ sql: `update pqlsync_models.contact_sync set email = ? where email = (select max(email) from pqlsync_models.contact_sync)`, values: [`x'); drop table pqlsync.sync_state; --@example.com`] });
      },
    });
    try {
      const first = await s.cli(['sync']);
      expect(first.code, first.out.slice(-1500)).toBe(EXIT.rowsFailed);
      // The second is no email (refused before sending, by key), and it dropped nothing.
      const errors = await s.rowErrors();
      expect(errors.map((e) => [e.record_key, e.category])).toEqual([[`x'); drop table pqlsync.sync_state; --@example.com`, 'INVALID_EMAIL']]);
      expect(s.sandbox.findByProperty('contacts', 'email', "o'brien@example.com")).toHaveLength(1);
      const state = await s.sql((w) => w.query({ sql: 'select record_key, record_id from pqlsync.sync_state where record_key = ?', values: ["o'brien@example.com"] }));
      expect(state).toHaveLength(1);
      expect(String(state[0].record_id)).toBe(s.sandbox.findByProperty('contacts', 'email', "o'brien@example.com")[0].id);
      const again = await s.cli(['sync']);
      const done = again.events.filter((e) => e.event === 'sync_done');
      // Only the invalid key is retried; o'brien is unchanged.
      expect(done.find((e) => e.sync === 'contacts').sent).toBe(1);
    } finally {
      await s.close();
    }
  }, 90_000);
});
