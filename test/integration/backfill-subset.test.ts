/**
 * `pqlsync backfill`: a subset re-sends exactly the selected rows, whatever state says,
 * and refuses what it cannot do safely.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';
import { crmRequests } from '../helpers/project.ts';

let f: OpsFixture;

beforeAll(async () => {
  f = await opsFixture({ users: 300 });
  const first = await f.cli(['run']);
  expect(first.code, first.err).toBe(EXIT.ok);
  expect(f.sandbox.records('contacts')).toHaveLength(300);
}, 120_000);
afterAll(async () => f?.cleanup());
beforeEach(() => f.sandbox.resetStats());

type Stamps = Map<string, string>;
/** Each contact's updatedAt (the sandbox stamps each write of a record later than the one before). */
function stamps(): Stamps {
  return new Map(f.sandbox.records('contacts').map((r) => [r.properties.email, r.updatedAt]));
}
/** Emails of the contacts written since `before`. */
function writtenSince(before: Stamps): string[] {
  return [...stamps()].filter(([email, at]) => before.get(email) !== at).map(([email]) => email).sort();
}

async function modelKeys(where: string): Promise<string[]> {
  return f.sql(async (w) => (await w.query(`select email from pqlsync_models.people_scores where ${where} order by email`)).map((r) => String(r.email)));
}

describe('backfill of a subset', () => {
  it('--where sends exactly the rows matching the predicate, though state says nothing changed', async () => {
    const expected = await modelKeys('pql_score >= 90');
    expect(expected.length).toBeGreaterThan(5);
    const t = stamps();
    const r = await f.cli(['backfill', 'contact_sync', '--where', 'pql_score >= 90', '--yes']);
    expect(r.code, r.err).toBe(EXIT.ok);
    const plan = r.events.find((e) => e.event === 'backfill_plan');
    expect(plan.to_send).toBe(expected.length);
    expect(plan.selected).toBe(expected.length);
    expect(f.sandbox.stats.recordsWritten).toBe(expected.length);
    expect(writtenSince(t)).toEqual(expected);
    // One upsert batch: the properties exist already, so one property read, then one write.
    const done = r.events.find((e) => e.event === 'sync_done');
    expect(done.sent).toBe(expected.length);
    expect(done.delivered).toBe(expected.length);
    // Finished: the selection is gone, so nothing is left to resume.
    const again = await f.cli(['backfill', 'contact_sync', '--resume', '--yes']);
    expect(again.code).toBe(EXIT.config);
    expect(again.err).toMatch(/no unfinished backfill/);
  });

  it('--keys sends the listed keys the model has, and warns about the others', async () => {
    const expected = (await modelKeys('1 = 1')).filter((_, i) => i % 37 === 0);
    const file = path.join(f.dir, 'keys.txt');
    // A quote in a key travels as data, never as SQL.
    await writeFile(file, ['# keys to re-send', ...expected, '', "nobody'; drop table raw.people; --@example.com", expected[0]].join('\n'));
    const t = stamps();
    const r = await f.cli(['backfill', 'contact_sync', '--keys', file, '--yes']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.events.find((e) => e.event === 'unknown_keys')?.keys).toBe(1);
    expect(f.sandbox.stats.recordsWritten).toBe(expected.length);
    expect(writtenSince(t)).toEqual(expected);
    expect(await f.sql(async (w) => (await w.query('select count(*) as n from raw.people'))[0].n)).toBe(300);
  });

  it('--since sends the rows updated at or after the date, on --since-column', async () => {
    const expected = await modelKeys("updated_at >= timestamp '2026-10-28'");
    expect(expected.length).toBeGreaterThan(0);
    const t = stamps();
    const r = await f.cli(['backfill', 'contact_sync', '--since', '2026-10-28', '--yes']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(f.sandbox.stats.recordsWritten).toBe(expected.length);
    expect(writtenSince(t)).toEqual(expected);
  });

  it('--since names the missing column and the ones to choose from', async () => {
    const r = await f.cli(['backfill', 'contact_sync', '--since', '2026-10-28', '--since-column', 'modified_at', '--yes']);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/no column 'modified_at'.*--since-column.*updated_at/);
    expect(crmRequests(f.sandbox)).toBe(0);
  });

  it('refuses a predicate with a second statement or a comment, and one the warehouse cannot run', async () => {
    for (const where of ['pql_score > 1; drop table raw.people', 'pql_score > 1 -- all', 'pql_score > 1 /* x */']) {
      const r = await f.cli(['backfill', 'contact_sync', '--where', where, '--yes']);
      expect(r.code, where).toBe(EXIT.config);
      expect(r.err).toMatch(/without ';' or comments/);
    }
    const bad = await f.cli(['backfill', 'contact_sync', '--where', 'no_such_column = 1', '--yes']);
    expect(bad.code).toBe(EXIT.config);
    expect(bad.err).toMatch(/does not run on model 'people_scores'/);
    expect(crmRequests(f.sandbox)).toBe(0);
  });

  it('asks before sending: off a terminal without --yes it refuses with the config exit code', async () => {
    const r = await f.cli(['backfill', 'contact_sync', '--full']);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/pass --yes/);
    expect(crmRequests(f.sandbox)).toBe(0);
    // The refused selection is not left behind to block another one.
    const other = await f.cli(['backfill', 'contact_sync', '--where', 'pql_score = 1', '--dry-run']);
    expect(other.code, other.err).toBe(EXIT.ok);
    expect(crmRequests(f.sandbox)).toBe(0);
  });

  it('wants one selection', async () => {
    expect((await f.cli(['backfill', 'contact_sync', '--yes'])).code).toBe(EXIT.config);
    const both = await f.cli(['backfill', 'contact_sync', '--full', '--where', 'pql_score > 1', '--yes']);
    expect(both.code).toBe(EXIT.config);
    expect(both.err).toMatch(/one selection/);
  });

  it('records the backfill in run history, where status shows it', async () => {
    const r = await f.cli(['status']);
    const runs = r.events.find((e) => e.event === 'status').runs as Record<string, unknown>[];
    const backfills = runs.filter((run) => run.command === 'backfill');
    expect(backfills.length).toBeGreaterThanOrEqual(3);
    expect(backfills.every((run) => run.status === 'success' && Number(run.requests) > 0 && run.finished_at)).toBe(true);
  });
});
