/**
 * `modifiedSince` (what a rollback reads before writing) against the sandbox and the real
 * client: search on the last-modified date finds every record changed after a moment, past
 * search's 10,000 results a query (a second query starts at the last date seen), outside the
 * 10-second window the writes share (a window of 10 requests would stop 52 searches), and
 * gives up (null) past the limit it is given.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHubSpotDestination } from '../../connectors/hubspot/hubspot.destination.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import type { SyncConfig } from '../../src/config/schema.ts';

const TOKEN = 'pat-na1-test-token-0123456789';
const sandboxes: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

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
    const sandbox = await startSandbox({ accessToken: TOKEN, requestsPer10s: 10, windowMs: 1000, searchPerSecond: 50 });
    sandboxes.push(sandbox);
    const destination = await createHubSpotDestination({
      accessToken: TOKEN,
      basePath: sandbox.url,
      groupName: 'pqlsync',
      groupLabel: 'pqlsync',
      requestsPer10s: 10,
      requestsPerDay: 250_000,
      searchPerSecond: 20,
      timeoutMs: 5_000,
      retry: { baseDelayMs: 20, maxDelayMs: 200, lockedWaitMs: 50 },
    });
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
});
