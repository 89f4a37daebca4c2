/**
 * Significance (docs/change-control.md): with `min_change: 5` on the score, a score moving by one
 * a day is not sent; the moves add up against the value last delivered and are sent on the day
 * they reach 5; a tier change is sent the day it happens, however small the score's move. The
 * guardrail counts significant changes only. On DuckDB and PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { ENGINES, engineFixture, type EngineFixture } from '../helpers/both-warehouses.ts';

let f: EngineFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

const tierOf = (score: number) => (score >= 80 ? 'hot' : score >= 40 ? 'warm' : 'cold');

describe.each(ENGINES)('significance on %s', (engine) => {
  it('a +1 a day is held back, five of them are sent, a tier change always lands', async () => {
    f = await engineFixture(engine, {
      users: 300,
      edit: (c) => {
        const sync = c.syncs[0];
        // The reason quotes the score (every move would be a string change): not mapped here.
        sync.properties = sync.properties.filter((p: { column: string }) => p.column !== 'pql_reason');
        sync.properties[0].min_change = 5;
        // Every score moves each day: a guardrail counting raw changes would stop every run.
        sync.guardrails.max_changed_share = 0.1;
      },
    });
    const fx = f;
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    const contacts = () => new Map(fx.sandbox.records('contacts').map((r) => [r.properties.email, r.properties]));
    let held = contacts();
    expect(held.size).toBe(300);

    for (let day = 1; day <= 5; day++) {
      await fx.exec(`update ${fx.people} set score = score + 1`);
      const model = new Map(
        (await fx.query(`select lower(email) as email, score from ${fx.people}`)).map((r) => [String(r.email), Number(r.score)]),
      );
      // What must be sent: a tier change, or a move of 5 or more from the value HubSpot holds.
      const due = [...model].filter(([email, score]) => {
        const before = held.get(email)!;
        return tierOf(score) !== before.pql_tier || Math.abs(score - Number(before.pql_score)) >= 5;
      });
      // Day 5 moves every score by 5 at once: a significant change of 92% of the rows, which the
      // guardrail stops; sent with --force.
      if (day === 5) expect((await fx.cli(['run'])).code).toBe(EXIT.guardrail);
      const run = await fx.cli(day === 5 ? ['run', '--force'] : ['run']);
      expect(run.code, run.err).toBe(EXIT.ok);
      const done = run.events.find((e) => e.event === 'sync_done');
      expect(done, `day ${day}`).toMatchObject({ sent: due.length, delivered: due.length, held_back: 300 - due.length });
      const now = contacts();
      for (const [email, score] of model) {
        const sent = due.some(([e]) => e === email);
        const expected = sent ? { pql_score: String(score), pql_tier: tierOf(score) } : { pql_score: held.get(email)!.pql_score, pql_tier: held.get(email)!.pql_tier };
        expect({ pql_score: now.get(email)!.pql_score, pql_tier: now.get(email)!.pql_tier }, `day ${day} ${email}`).toEqual(expected);
      }
      // Days 1-4: only the tier changes; day 5: every score that moved 5 since it was delivered.
      if (day < 5) expect(due.length, `day ${day}: only tier changes`).toBeLessThan(30);
      else expect(due.length).toBeGreaterThan(250);
      // Tier changes happen each day (scores 39 → 40 and 79 → 80 cross) and land that day.
      expect(due.filter(([email, score]) => tierOf(score) !== held.get(email)!.pql_tier).length).toBeGreaterThan(0);
      held = now;
    }
    // A plan on an unchanged day: nothing to send; held back, the scores HubSpot has behind the
    // model (those sent on a tier change in days 1-4 moved less than 5 since).
    const behind = (await fx.query(`select lower(email) as email, score from ${fx.people}`)).filter((r) => held.get(String(r.email))!.pql_score !== String(r.score));
    expect(behind.length).toBeGreaterThan(0);
    const plan = (await fx.cli(['plan'])).events.find((e) => e.event === 'plan');
    expect(plan).toMatchObject({ to_send: 0, heldBack: behind.length });
  });

  it('a broken model is still stopped by the guardrail', async () => {
    f = await engineFixture(engine, {
      users: 300,
      edit: (c) => {
        c.syncs[0].properties[0].min_change = 5;
        c.syncs[0].guardrails.max_changed_share = 0.1;
      },
    });
    const fx = f;
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    await fx.exec(`update ${fx.people} set score = score * 10 % 100`);
    const run = await fx.cli(['run']);
    expect(run.code).toBe(EXIT.guardrail);
    expect(run.err).toMatch(/delivered rows would change/);
  });
});
