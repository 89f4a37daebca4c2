/**
 * `modifiedSince` (what a rollback reads before writing) against the sandbox and the real
 * client: search on the last-modified date finds every record changed after a moment, past
 * search's 10,000 results a query (a second query starts at the last date seen), outside the
 * 10-second window the writes share (a window of 10 requests would stop 52 searches), and
 * gives up (null) past the limit it is given.
 */
import { SANDBOX_TOKEN, sandboxWithDestination, stopSandboxes } from '../helpers/sandbox-destination.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { intervalsOutside } from '../../connectors/hubspot/modified-since.ts';
import type { SyncConfig } from '../../src/config/schema.ts';

afterEach(stopSandboxes);

const contacts = {
  name: 'contacts',
  model: 'm',
  object: 'contacts',
  key: 'email',
  mode: 'upsert',
  on_removed: 'keep',
  properties: [],
  guardrails: { max_changed_share: 1, max_tier_shift: 1, min_rows: 0 },
} as unknown as SyncConfig;

describe('records modified since a moment', () => {
  it('finds all 10,251 changed after it (two queries), none before it, without touching the 10-second window', async () => {
    // 10 requests per 1-second window: were search counted in it, 52 searches would be refused.
    const { sandbox, destination } = await sandboxWithDestination({ requestsPer10s: 10, searchPerSecond: 50 }, { searchPerSecond: 20, timeoutMs: 5_000 });
    const old = Array.from({ length: 30 }, (_, i) => sandbox.seedRecord('contacts', { email: `old${i}@example.com` }));
    const since = new Date(Math.max(...old.map((r) => Date.parse(r.properties.lastmodifieddate))));
    // The changes come a second later, each a millisecond after the one before (records written
    // together may share a time; here none does, so the second query repeats exactly one).
    const fresh = Array.from({ length: 10_250 }, (_, i) => {
      sandbox.setClock(1_000 + i);
      return sandbox.seedRecord('contacts', { email: `new${i}@example.com` });
    });
    const edited = sandbox.editRecord('contacts', old[7].id, { firstname: 'Edited' });

    sandbox.resetStats();
    const found = await destination.modifiedSince(contacts, since, 20_000);
    expect(found).not.toBeNull();
    expect(found!.size).toBe(10_251);
    expect([...fresh.map((r) => r.id), edited.id].every((id) => found!.has(id))).toBe(true);
    expect(old.filter((r) => r.id !== edited.id).some((r) => found!.has(r.id))).toBe(false);
    // 50 pages of 200 to the 10,000th, then a query from the last date seen.
    expect(sandbox.stats.requestsByRoute).toEqual({ 'POST /crm/v3/objects/contacts/search': 52 });
    expect(sandbox.stats.rateLimited).toBe(0);

    // More changed than the caller would read anyway: it stops and says so.
    sandbox.resetStats();
    expect(await destination.modifiedSince(contacts, since, 1_000)).toBeNull();
    expect(sandbox.stats.requestsByRoute['POST /crm/v3/objects/contacts/search']).toBe(6);
  });

  it('leaves out the windows when pqlsync was writing: OR\'ed groups of GT/LT, at most 5, the shortest windows searched when there are more', async () => {
    const { sandbox, destination } = await sandboxWithDestination({ requestsPer10s: 10, searchPerSecond: 50 }, { searchPerSecond: 20, timeoutMs: 5_000 });
    // 250 records a second apart, from 1 s after `since` (past one search page of 200).
    const base = Date.now() + 60_000;
    const since = new Date(base);
    const records = Array.from({ length: 250 }, (_, i) => {
      sandbox.setClock(base - Date.now() + 1_000 * (i + 1));
      return sandbox.seedRecord('contacts', { email: `r${i}@example.com` });
    });
    const at = (i: number) => Date.parse(records[i].properties.lastmodifieddate);
    const window = (first: number, lastIncluded: number) => ({ from: new Date(at(first) - 100), to: new Date(at(lastIncluded) + 100) });
    const expectFound = (found: Set<string> | null, outside: (i: number) => boolean) => {
      expect(found).not.toBeNull();
      const wrong = records.map((r, i) => [i, found!.has(r.id) !== outside(i)] as const).filter(([, w]) => w);
      expect(wrong.map(([i]) => i)).toEqual([]);
    };

    // Three windows (records 10-59, 100-139, 200-209): four intervals, one query of four groups.
    sandbox.resetStats();
    const three = [window(10, 59), window(100, 139), window(200, 209)];
    const inThree = (i: number) => (i >= 10 && i <= 59) || (i >= 100 && i <= 139) || (i >= 200 && i <= 209);
    expectFound(await destination.modifiedSince(contacts, since, 1_000, three), (i) => !inThree(i));
    expect(sandbox.stats.requestsByRoute).toEqual({ 'POST /crm/v3/objects/contacts/search': 1 });

    // Seven windows: eight intervals, merged to five around the three shortest windows (records
    // 30, 70-71 and 150), which are searched too; the four longer ones are left out.
    const seven = [window(10, 19), window(30, 30), window(50, 59), window(70, 71), window(100, 119), window(150, 150), window(200, 229)];
    const leftOut = (i: number) => (i >= 10 && i <= 19) || (i >= 50 && i <= 59) || (i >= 100 && i <= 119) || (i >= 200 && i <= 229);
    expectFound(await destination.modifiedSince(contacts, since, 1_000, seven), (i) => !leftOut(i));

    // HubSpot's operators on the date, groups ORed: BETWEEN (both ends included) or GT.
    const response = await fetch(`${sandbox.url}/crm/v3/objects/contacts/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SANDBOX_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        filterGroups: [
          { filters: [{ propertyName: 'lastmodifieddate', operator: 'BETWEEN', value: String(at(3)), highValue: String(at(5)) }] },
          { filters: [{ propertyName: 'lastmodifieddate', operator: 'GT', value: String(at(247)) }] },
        ],
        limit: 200,
      }),
    });
    const body = (await response.json()) as { results: Array<{ id: string }> };
    expect(body.results.map((r) => r.id).sort()).toEqual([3, 4, 5, 248, 249].map((i) => records[i].id).sort());
  });
});

describe('intervals outside the windows', () => {
  it('cuts the windows out, joins overlapping ones, merges around the shortest past the maximum', () => {
    const w = (from: number, to: number) => ({ from, to });
    expect(intervalsOutside(0, [], 5)).toEqual([{ from: 0, to: null }]);
    // Before `since`, overlapping it, overlapping each other.
    expect(intervalsOutside(100, [w(0, 50), w(90, 120), w(200, 300), w(250, 400)], 5)).toEqual([
      { from: 120, to: 200 },
      { from: 400, to: null },
    ]);
    // Windows 10, 1, 5, 2 long: at most 3 intervals keeps out the two longest.
    const windows = [w(10, 20), w(30, 31), w(40, 45), w(50, 52)];
    expect(intervalsOutside(0, windows, 3)).toEqual([
      { from: 0, to: 10 },
      { from: 20, to: 40 },
      { from: 45, to: null },
    ]);
    expect(intervalsOutside(0, windows, 1)).toEqual([{ from: 0, to: null }]);
  });
});
