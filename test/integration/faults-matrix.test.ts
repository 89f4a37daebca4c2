/**
 * The delivery promise under every fault HubSpot (or the network in between) can throw at a
 * sync: the shipped models on demo data, synced through the real @hubspot/api-client into a
 * sandbox that injects the fault, then compared record by record with a clean run. After
 * each scenario: every valid row identical to the clean run, every invalid row in row_errors
 * with its key, property and reason, no key in sync_state that HubSpot does not hold with
 * exactly those values, and no contact, company or deal twice; every association the clean run
 * made, and none it did not. HubSpot's search index lags writes by 2 s here, and HubSpot creates
 * companies from contacts' email domains, as a real portal does by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../connectors/hubspot/sandbox/index.ts';
import type { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { buildTemplate, compareWithClean, FAULT_MIX as MIX, FAULTS_TOKEN, openScenario, type Held, type InvalidRow, type Scenario, type ScenarioOptions, type Template } from '../helpers/faults-harness.ts';

const USERS = 1000;
const SEED = 5;

let template: Template;
let clean: Held;
let cleanRequests = 0;
let cleanWrites = 0;
/** One line per scenario, printed at the end: the fault matrix. */
const matrix: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  template = await buildTemplate({ users: USERS, seed: SEED });
  const s = await openScenario(template);
  try {
    const run = await s.sync();
    expect(run.code, String(run.error)).toBe(EXIT.ok);
    clean = s.held();
    cleanRequests = run.requests;
    cleanWrites = objectWrites(s);
    expect((await s.rowErrors()).length).toBe(0);
    matrix.push({ fault: 'none (clean run)', requests: cleanRequests, contacts: clean.contacts.size, companies: clean.companies.size, deals: clean.deals.size, associations: clean.associations.size });
    // The shipped project writes deals and associations too: a fault matrix that covers them.
    expect(clean.deals.size).toBeGreaterThan(10);
    expect(clean.associations.size).toBeGreaterThan(clean.contacts.size / 2);
  } finally {
    await s.close();
  }
}, 120_000);

afterAll(async () => {
  console.log(`fault matrix (${USERS} users; clean run ${cleanRequests} requests):\n${matrix.map((r) => JSON.stringify(r)).join('\n')}`);
  await template?.cleanup();
});

function objectWrites(s: Scenario): number {
  return Object.entries(s.sandbox.stats.requestsByRoute)
    .filter(([route]) => route.includes('/objects/'))
    .reduce((n, [, c]) => n + c, 0);
}

/** Opens a scenario, runs `body`, compares with the clean run, records the matrix line. */
async function scenario(
  name: string,
  options: ScenarioOptions,
  body: (s: Scenario) => Promise<{ requests: number; code: number; invalid?: InvalidRow[]; gone?: InvalidRow[]; note?: string; complete?: boolean }>,
): Promise<void> {
  const s = await openScenario(template, options);
  try {
    const { requests, code, invalid = [], gone, note, complete } = await body(s);
    const comparison = await compareWithClean(clean, s, invalid, { complete, gone });
    matrix.push({
      fault: name,
      requests,
      vsClean: Number((requests / cleanRequests).toFixed(2)),
      faults: s.sandbox.stats.faultsInjected,
      exit: code,
      contacts: comparison.delivered.contacts,
      companies: comparison.delivered.companies,
      deals: comparison.delivered.deals,
      associations: comparison.delivered.associations,
      rowErrors: (await s.rowErrors()).length,
      problems: comparison.problems.length,
      ...(note ? { note } : {}),
    });
    expect(comparison.problems.slice(0, 20)).toEqual([]);
  } finally {
    await s.close();
  }
}

/** A fault on a share of the object writes and searches, seeded, capped. */
const onObjects = (fault: FaultRule['fault'], more: Partial<FaultRule> = {}): FaultRule => ({ fault, pathIncludes: '/objects/', probability: 0.35, maxTimes: 6, ...more });

/** Runs one sync under `rules` and expects everything delivered (exit 0) in that one run. */
async function deliveredDespite(s: Scenario, expectRetried = true) {
  const run = await s.sync();
  expect(run.code, String(run.error)).toBe(EXIT.ok);
  if (expectRetried) expect(s.sandbox.stats.faultsInjected).toBeGreaterThan(0);
  return run;
}

describe('transient faults: retried, everything lands once in the same run', () => {
  const cases: Array<[string, FaultRule[], Partial<ScenarioOptions>?]> = [
    ['429 ten-secondly, Retry-After: 1', [onObjects({ type: 'status', status: 429, retryAfterSeconds: 1 }, { maxTimes: 3 })]],
    ['429 ten-secondly, no Retry-After', [onObjects({ type: 'status', status: 429 })]],
    ['500 with a JSON envelope', [onObjects({ type: 'status', status: 500 })]],
    ['502 with an HTML body', [onObjects({ type: 'status', status: 502, htmlBody: true })]],
    ['503', [onObjects({ type: 'status', status: 503 })]],
    ['504 with an empty body', [onObjects({ type: 'status', status: 504, emptyBody: true })]],
    ['423 locked', [onObjects({ type: 'status', status: 423 }, { maxTimes: 3 })]],
    ['connection reset', [onObjects({ type: 'reset' })]],
    [
      '500s, resets and lost answers on association writes',
      [
        { fault: { type: 'status', status: 500 }, pathIncludes: '/associations/', probability: 0.35, maxTimes: 4 },
        { fault: { type: 'reset' }, pathIncludes: '/associations/', probability: 0.2, maxTimes: 2 },
        { fault: { type: 'lost-response' }, pathIncludes: '/associations/', probability: 0.2, maxTimes: 2 },
      ],
    ],
    [
      'lost response after apply (company, contact and deal upserts, associations)',
      [
        { fault: { type: 'lost-response' }, pathIncludes: '/companies/batch/upsert', onRequests: [1] },
        { fault: { type: 'lost-response' }, pathIncludes: '/contacts/batch/upsert', onRequests: [1, 3] },
        { fault: { type: 'lost-response' }, pathIncludes: '/deals/batch/upsert', onRequests: [1] },
        { fault: { type: 'lost-response' }, pathIncludes: '/associations/', onRequests: [1, 4] },
      ],
    ],
    [
      'slow past the client timeout (applied, then answered late)',
      [
        { fault: { type: 'slow', delayMs: 1_500 }, pathIncludes: '/companies/batch/upsert', onRequests: [1] },
        { fault: { type: 'slow', delayMs: 1_500 }, pathIncludes: '/deals/batch/upsert', onRequests: [1] },
        { fault: { type: 'slow', delayMs: 1_500 }, pathIncludes: '/contacts/batch/upsert', onRequests: [2] },
      ],
      { destination: { timeoutMs: 300 } },
    ],
  ];
  for (const [name, rules, extra] of cases) {
    it(name, async () => {
      await scenario(name, { sandbox: { faults: { seed: 7, rules } }, ...extra }, async (s) => {
        const run = await deliveredDespite(s);
        // Bounded: each fault costs a retry, a company create a search besides; nothing more.
        expect(run.requests).toBeLessThanOrEqual(cleanRequests + 2 * s.sandbox.stats.faultsInjected);
        return run;
      });
    }, 60_000);
  }

  it('429s from the real rate limiter: another client of the same app uses most of the window', async () => {
    await scenario('429 window exhausted (real limiter; a neighbour uses 3 of 20 slots every 1/5 window)', { sandbox: { requestsPer10s: 20, windowMs: 500 } }, async (s) => {
      // The neighbour: 3 requests every 100 ms, 15 of the window's 20, so pqlsync's own
      // pacing (told 100, corrected from the headers) keeps running into a full window.
      let stop = false;
      const neighbour = (async () => {
        while (!stop) {
          await Promise.all(
            Array.from({ length: 3 }, () => fetch(`${s.sandbox.url}/crm/v3/properties/contacts/groups`, { headers: { authorization: `Bearer ${FAULTS_TOKEN}` } }).then((r) => r.arrayBuffer())),
          );
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const run = await s.sync({ destination: { requestsPer10s: 100 } }).finally(async () => {
        stop = true;
        await neighbour;
      });
      expect(run.code, String(run.error)).toBe(EXIT.ok);
      const rateLimited = (run.destination.stats as { rateLimited: number }).rateLimited;
      // Every extra request pqlsync made was a 429 it waited out and repeated.
      const ours = Object.values(s.sandbox.stats.requestsByRoute).reduce((n, c) => n + c, 0) - (s.sandbox.stats.requestsByRoute['GET /crm/v3/properties/contacts/groups'] ?? 0);
      expect(ours).toBeLessThanOrEqual(cleanRequests + rateLimited);
      return { requests: run.destination.stats.requests, code: run.code, note: `${rateLimited} 429s answered to pqlsync by the limiter` };
    });
  }, 60_000);
});

describe('the daily limit: stops cleanly (exit 5), the next run sends only the rest', () => {
  it('exhausted mid-run, then resetDaily()', async () => {
    await scenario(
      'daily limit exhausted mid-run, resumed after resetDaily()',
      // The 8th object request on (companies, which run first, are done; contacts under way): every request is a 429 DAILY.
      { sandbox: { faults: { rules: [{ fault: { type: 'daily-exhausted' }, pathIncludes: '/objects/', onRequests: [8] }] } } },
      async (s) => {
        const first = await s.cli(['sync']);
        expect(first.code, first.out.slice(-2000)).toBe(EXIT.destination);
        expect(first.out).toMatch(/daily API limit/);
        const afterFirst = s.sandbox.stats.requests;
        // The state never claims a row HubSpot does not hold, even after the stop.
        const partial = await compareWithClean(clean, s, [], { complete: false });
        expect(partial.problems).toEqual([]);
        const committed = (await s.stateRows()).length;
        const heldContacts = s.held().contacts.size;
        expect(committed).toBeGreaterThan(0);
        // What HubSpot acknowledged before the limit was committed (concurrent batches may still
        // land after the 429 without being waited for: they are re-sent, idempotently).
        expect(committed).toBeLessThanOrEqual(heldContacts + s.held().companies.size);

        s.sandbox.setFaults(undefined);
        s.sandbox.resetDaily();
        const second = await s.cli(['sync']);
        expect(second.code, second.out.slice(-2000)).toBe(EXIT.ok);
        const sent = second.events.filter((e) => e.event === 'sync_done').reduce((n, e) => n + e.sent, 0);
        const total = clean.contacts.size + clean.companies.size + clean.deals.size;
        expect(sent).toBe(total - committed);
        return { requests: s.sandbox.stats.requests, code: first.code, note: `run 1: ${afterFirst} requests, ${committed} committed; run 2 sent ${sent} of ${total}` };
      },
    );
  }, 60_000);
});

describe('401 and 403: stop at once, exit 6, no retry storm', () => {
  for (const status of [401, 403] as const) {
    it(`${status} on the first request`, async () => {
      await scenario(`${status} from the first request`, { sandbox: { faults: { rules: [{ fault: { type: 'auth', status } }] } } }, async (s) => {
        const r = await s.cli(['sync']);
        expect(r.code, r.out).toBe(EXIT.auth);
        expect(s.sandbox.stats.requests).toBeLessThanOrEqual(2);
        expect(r.out).toMatch(/HubSpot refused the access token/);
        expect((await s.stateRows()).length).toBe(0);
        expect(s.held().contacts.size).toBe(0);
        // Nothing was delivered: only what state claims is compared.
        return { requests: s.sandbox.stats.requests, code: r.code, note: 'nothing sent', complete: false };
      });
    }, 60_000);
  }

  it('403 mid-run (missing write scope on objects): no write is retried, the run stops', async () => {
    const s = await openScenario(template, { sandbox: { faults: { rules: [{ fault: { type: 'auth', status: 403 }, pathIncludes: '/objects/' }] } } });
    try {
      const r = await s.cli(['sync']);
      expect(r.code, r.out).toBe(EXIT.auth);
      const writes = objectWrites(s);
      // The companies sync runs first (contacts and deals are associated with companies): its
      // first requests went out together (up to the concurrency); none is tried twice and the
      // contacts and deals syncs never start.
      expect(writes).toBeLessThanOrEqual(Math.ceil(clean.companies.size / 50));
      expect(s.sandbox.stats.requestsByRoute['POST /crm/v3/objects/contacts/batch/upsert'] ?? 0).toBe(0);
      expect(s.sandbox.stats.requestsByRoute['POST /crm/v3/objects/deals/batch/upsert'] ?? 0).toBe(0);
      const partial = await compareWithClean(clean, s, [], { complete: false });
      expect(partial.problems).toEqual([]);
      matrix.push({ fault: '403 mid-run (objects only)', requests: s.sandbox.stats.requests, objectWrites: writes, exit: r.code, problems: partial.problems.length });
    } finally {
      await s.close();
    }
  }, 60_000);
});

/** Model rows made invalid after the build: what a model bug or dirty source data produces. */
interface BadRows {
  prepare: (w: DuckDBWarehouse) => Promise<unknown>;
  invalid: InvalidRow[];
  /** Clean-run keys the bad rows replaced. */
  gone?: InvalidRow[];
}

const CONTACTS = 'pqlsync_models.contact_sync';
const COMPANIES = 'pqlsync_models.company_sync';

/** The n-th contact and company keys of the clean run, in key order (stable across scenarios). */
const contactKey = (n: number) => [...clean.contacts.keys()].sort()[n];
const companyKey = (n: number) => [...clean.companies.keys()].sort()[n];

/** Bad values pre-validation catches: each costs no request. */
function caughtBeforeSending(): BadRows {
  const k = [10, 20, 30, 40, 50].map(contactKey);
  const c = companyKey(5);
  return {
    prepare: async (w) => {
      await w.execute({ sql: `update ${CONTACTS} set email = 'not-an-email' where user_id = ?`, values: [k[0]] });
      await w.execute({ sql: `update ${CONTACTS} set pql_tier = 'boiling' where user_id = ?`, values: [k[1]] });
      // A model bug that makes the score text: the column is text now, and one value is not a number.
      await w.execute(`alter table ${CONTACTS} alter pql_score type varchar`);
      await w.execute({ sql: `update ${CONTACTS} set pql_score = '12 points' where user_id = ?`, values: [k[2]] });
      await w.execute({ sql: `update ${CONTACTS} set signup_date = date '99999-01-01' where user_id = ?`, values: [k[3]] });
      await w.execute({ sql: `update ${CONTACTS} set pql_reasons = repeat('x', 70000) where user_id = ?`, values: [k[4]] });
      await w.execute({ sql: `update ${COMPANIES} set plan = 'platinum' where domain = ?`, values: [c] });
    },
    invalid: [
      // Contacts are keyed by the product user id: a bad email is a bad value of the row, not a bad key.
      { object: 'contacts', key: k[0], property: 'email', category: 'INVALID_EMAIL' },
      { object: 'contacts', key: k[1], property: 'pqlsync_pql_tier', category: 'INVALID_OPTION' },
      { object: 'contacts', key: k[2], property: 'pqlsync_pql_score', category: 'INVALID_NUMBER' },
      { object: 'contacts', key: k[3], property: 'pqlsync_signup_date', category: 'INVALID_DATE' },
      { object: 'contacts', key: k[4], property: 'pqlsync_pql_reasons', category: 'VALUE_TOO_LONG' },
      { object: 'companies', key: c, property: 'pqlsync_plan', category: 'INVALID_OPTION' },
    ],
  };
}

/**
 * Bad values that pass pre-validation and only HubSpot refuses: a reasons text of 40,000
 * emoji is 40,000 code points (under the 65,536 pre-validation counts) but 80,000 UTF-16
 * units, which is what HubSpot's (Java) length check counts.
 */
function caughtByHubSpot(): BadRows {
  const k = contactKey(100);
  const c = companyKey(7);
  const emoji = (column: string, table: string, keyColumn: string, key: string) =>
    ({ sql: `update ${table} set ${column} = repeat('😀', 40000) where ${keyColumn} = ?`, values: [key] });
  return {
    prepare: async (w) => {
      await w.execute(emoji('pql_reasons', CONTACTS, 'user_id', k));
      await w.execute(emoji('account_reasons', COMPANIES, 'domain', c));
    },
    invalid: [
      { object: 'contacts', key: k, property: 'pqlsync_pql_reasons', category: 'MAX_LENGTH_EXCEEDED' },
      { object: 'companies', key: c, property: 'pqlsync_account_reasons', category: 'MAX_LENGTH_EXCEEDED' },
    ],
  };
}

describe('bad rows: isolated, recorded with key, property and reason; the rest lands', () => {
  it('invalid email, enumeration value, number, date and an over-long string cost zero requests', async () => {
    const bad = caughtBeforeSending();
    await scenario('pre-validation: invalid email, option, non-numeric, year 99999, 70,000 chars', { prepare: bad.prepare }, async (s) => {
      const run = await s.sync();
      expect(run.code, String(run.error)).toBe(EXIT.rowsFailed);
      // Same batches as the clean run: the bad rows never cost a request.
      expect(run.requests).toBe(cleanRequests);
      expect(objectWrites(s)).toBe(cleanWrites);
      return { ...run, invalid: bad.invalid, gone: bad.gone };
    });
  }, 60_000);

  it('HubSpot refuses one record of a batch with trace ids: 207, read per record', async () => {
    const bad = caughtByHubSpot();
    await scenario('207 multi-status (values only HubSpot refuses)', { prepare: bad.prepare }, async (s) => {
      const run = await s.sync();
      expect(run.code, String(run.error)).toBe(EXIT.rowsFailed);
      expect(run.requests).toBe(cleanRequests);
      return { ...run, invalid: bad.invalid };
    });
  }, 60_000);

  it('HubSpot ignores trace ids and refuses the whole batch (400): split until the record is isolated', async () => {
    const bad = caughtByHubSpot();
    await scenario('400 whole batch (trace ids ignored), split', { prepare: bad.prepare, stripTraceIds: true }, async (s) => {
      const run = await s.sync();
      expect(run.code, String(run.error)).toBe(EXIT.rowsFailed);
      // Each bad record costs at most 2·⌈log2 100⌉ = 14 more requests (both halves, each level).
      expect(run.requests).toBeGreaterThan(cleanRequests);
      expect(run.requests).toBeLessThanOrEqual(cleanRequests + 14 * bad.invalid.length);
      return { ...run, invalid: bad.invalid };
    });
  }, 60_000);
});

describe('a mix: about 10 % of requests failing in random ways', () => {
  /**
   * The bound. With each attempt failing independently with p ≈ 0.1, a request needs
   * 1/(1 − p) ≈ 1.11 attempts on average; a company create that failed in a way that may have
   * been applied adds one search before its retry (and one update by id when the company
   * turns out to exist), and a 429 is repeated, not split. So the expected factor is about
   * 1.15; 1.5× leaves room for the variance of a few dozen requests per run, while a retry
   * storm (retrying what succeeded, splitting on a 5xx, unbounded attempts) would exceed it.
   * Summed over several seeds, so one unlucky draw cannot decide it.
   */
  const BOUND = 1.5;
  const SEEDS = [1, 2, 3, 4, 5, 6];
  let total = 0;
  let injected = 0;
  for (const seed of SEEDS) {
    it(`seed ${seed}: everything lands once, in one run`, async () => {
      await scenario(`10% mix, seed ${seed}`, { sandbox: { faults: { seed, rules: MIX } }, destination: { timeoutMs: 400 } }, async (s) => {
        const run = await s.sync();
        expect(run.code, String(run.error)).toBe(EXIT.ok);
        total += run.requests;
        injected += s.sandbox.stats.faultsInjected;
        return run;
      });
    }, 60_000);
  }
  it(`total requests stay within ${BOUND}× the clean run`, () => {
    const factor = total / (cleanRequests * SEEDS.length);
    matrix.push({ fault: `10% mix, ${SEEDS.length} seeds together`, requests: total, clean: cleanRequests * SEEDS.length, factor: Number(factor.toFixed(3)), faults: injected, failingShare: Number((injected / total).toFixed(3)) });
    expect(injected / total).toBeGreaterThan(0.04);
    expect(factor).toBeLessThanOrEqual(BOUND);
  });
});
