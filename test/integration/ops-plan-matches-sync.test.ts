/**
 * `plan` is a dry run: zero HubSpot requests, and its counts are what the following `sync`
 * sends. It shows the properties that change most and sample rows before → after, as JSON,
 * as text and as Markdown for a pull-request comment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { memoryLogger } from '../helpers/project.ts';
import { AS_OF, opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';
import { crmRequests } from '../helpers/project.ts';

let f: OpsFixture;
beforeAll(async () => {
  f = await opsFixture({ users: 300 });
  const first = await f.cli(['run']);
  expect(first.code, first.err).toBe(EXIT.ok);
  // 20 scores move (10 of them across a tier boundary), 5 people leave, 7 join.
  await f.sql(async (w) => {
    await w.execute('update raw.people set score = score + 1 where id % 15 = 0');
    await w.execute('update raw.people set is_active = false where id in (2, 4, 6, 8, 10)');
    await w.execute(`insert into raw.people select 1000 + i, 'new' || i || '@example.com', 95, timestamp '2026-10-31', true from range(1, 8) t(i)`);
  });
  expect((await f.cli(['build'])).code).toBe(EXIT.ok);
}, 120_000);
afterAll(async () => f?.cleanup());

async function text(args: string[]): Promise<{ code: number; out: string }> {
  const out = memoryLogger();
  const code = await runCli([...args, '--config', f.config, '--as-of', AS_OF], { env: f.env, out: out.sink, err: out.sink });
  return { code, out: out.lines.join('') };
}

describe('plan, then sync', () => {
  it('plans without a single HubSpot request, and the sync sends exactly what it planned', async () => {
    f.sandbox.resetStats();
    const planned = await f.cli(['plan']);
    expect(planned.code, planned.err).toBe(EXIT.ok);
    expect(crmRequests(f.sandbox)).toBe(0);
    const plan = planned.events.find((e) => e.event === 'plan');
    expect(plan).toMatchObject({ sync: 'contact_sync', new: 7, changed: 20, removed: 5, to_send: 27, on_removed: 'keep' });

    // Rows whose score moved change pql_score and pql_reason; some also pql_tier.
    const changed = Object.fromEntries(plan.changed_properties.map((p: { property: string; rows: number }) => [p.property, p.rows]));
    expect(changed.pql_score).toBe(20);
    expect(changed.pql_reason).toBe(20);
    expect(plan.changed_properties[0].rows).toBe(20);
    const sample = plan.sample.find((s: { kind: string }) => s.kind === 'changed');
    expect(Number(sample.values.pql_score)).toBe(Number(sample.before.pql_score) + 1);
    expect(sample.changed).toEqual(expect.arrayContaining(['pql_score', 'pql_reason']));

    const synced = await f.cli(['sync']);
    expect(synced.code, synced.err).toBe(EXIT.ok);
    const done = synced.events.find((e) => e.event === 'sync_done');
    expect(done).toMatchObject({ new: plan.new, changed: plan.changed, removed: plan.removed, sent: plan.to_send, delivered: plan.to_send });
    expect(f.sandbox.stats.recordsWritten).toBe(plan.to_send);

    // Nothing left: the next plan is empty and makes no request either.
    f.sandbox.resetStats();
    const after = (await f.cli(['plan'])).events.find((e) => e.event === 'plan');
    expect(after).toMatchObject({ new: 0, changed: 0, removed: 0, to_send: 0 });
    expect(crmRequests(f.sandbox)).toBe(0);
  });

  it('shows before → after on a terminal, and a Markdown report for a pull request', async () => {
    await f.sql((w) => w.execute('update raw.people set score = 99 where id = 3'));
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
    const human = await text(['plan']);
    expect(human.code).toBe(EXIT.ok);
    expect(human.out).toMatch(/would send 1/);
    expect(human.out).toMatch(/changed most: pql_reason \(1\), pql_score \(1\), pql_tier \(1\)/);
    expect(human.out).toMatch(/person0003@example.com +pql_score: "11" → "99" +pql_tier: "cold" → "hot"/);
    // No progress or terminal control characters when the output is not a terminal.
    expect(human.out).not.toContain('\u001b');
    expect(human.out).not.toContain('\r');

    const md = await text(['plan', '--format', 'markdown']);
    expect(md.code).toBe(EXIT.ok);
    expect(md.out).toMatch(/^### pqlsync plan\n/);
    expect(md.out).toContain('| contact_sync | contacts | 0 | 1 | 0 |');
    expect(md.out).toContain('| person0003@example.com | pql_tier | cold | hot |');
    expect(md.out).not.toContain('"level"');
  });
});
