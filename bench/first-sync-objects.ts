/**
 * npx tsx bench/first-sync-objects.ts [--records 20000] [--window-ms 2000]
 *
 * First-sync throughput per object type, through the HubSpot destination (as the runner calls
 * it: pages of 1,000 changes) into the local sandbox with its rate limits on: tier 100 requests
 * per window, the window compressed to --window-ms (so the ceiling is 100 records × 100
 * requests / window), search at the destination's own 4 requests a (real) second. Scenarios:
 * contacts, companies into an empty portal, companies when half of them exist already (made by
 * a rep or HubSpot: found by domain, stamped, updated by id), deals; then a daily run of 500 new
 * companies into that portal (search, not a read of every company). Prints one JSON line each.
 */
import { parseArgs } from 'node:util';
import type { Change } from '../connectors/destination.ts';
import { createHubSpotDestination } from '../connectors/hubspot/hubspot.destination.ts';
import { startSandbox, type Sandbox } from '../connectors/hubspot/sandbox/index.ts';
import type { SyncConfig } from '../src/config/schema.ts';

const TOKEN = 'pat-bench-objects';
const { values } = parseArgs({ options: { records: { type: 'string', default: '20000' }, 'window-ms': { type: 'string', default: '2000' } } });
const N = Number(values.records);
const WINDOW_MS = Number(values['window-ms']);
const STAGES = ['open', 'won'];

const base = { mode: 'upsert', on_removed: 'keep', guardrails: { max_changed_share: 1, max_tier_shift: 1, min_rows: 0 } } as const;
const score = { column: 'score', property: 'pqlsync_bench_score', type: 'number', label: 'Score' } as const;
const syncs: Record<string, SyncConfig> = {
  contacts: { ...base, name: 'contacts', model: 'm', object: 'contacts', key: 'email', properties: [score] },
  companies: { ...base, name: 'companies', model: 'm', object: 'companies', key: 'domain', properties: [score] },
  deals: {
    ...base,
    name: 'deals',
    model: 'm',
    object: 'deals',
    key: 'trial_id',
    identity_property: 'pqlsync_trial_id',
    pipeline: { label: 'Bench trials', stages: STAGES.map((key, i) => ({ key, label: key, probability: i, closed: i === 1 })) },
    properties: [score, { column: 'name', property: 'dealname', type: 'string', label: 'Name' }, { column: 'stage', property: 'dealstage', type: 'enumeration', label: 'Stage', options: STAGES }],
  },
};
const keyOf: Record<string, (i: number) => string> = {
  contacts: (i) => `user${i}@bench${i % 997}.example.com`,
  companies: (i) => `company${i}.example.com`,
  deals: (i) => `trial_${i}`,
};

async function measure(name: string, object: string, sandbox: Sandbox, from: number, count: number) {
  const destination = await createHubSpotDestination({ accessToken: TOKEN, basePath: sandbox.url, groupName: 'pqlsync', groupLabel: 'pqlsync', requestsPer10s: 100, requestsPerDay: 10_000_000 });
  const sync = syncs[object];
  await destination.ensureProperties([sync]);
  sandbox.resetStats();
  const started = performance.now();
  let delivered = 0;
  for (let page = from; page < from + count; page += 1000) {
    const changes: Change[] = [];
    for (let i = page; i < Math.min(page + 1000, from + count); i++) changes.push({ key: keyOf[object](i), kind: 'new', recordId: null, values: { score: i % 100, name: `Trial ${i}`, stage: STAGES[i % 2] } });
    delivered += (await destination.writer(sync).send(changes)).filter((o) => o.ok).length;
  }
  const seconds = (performance.now() - started) / 1000;
  const line = { scenario: name, records: count, delivered, seconds: Number(seconds.toFixed(1)), recordsPerSecond: Math.round(delivered / seconds), requests: sandbox.stats.requests, byRoute: sandbox.stats.requestsByRoute };
  console.log(JSON.stringify(line));
  return line;
}

const fresh = () => startSandbox({ accessToken: TOKEN, requestsPer10s: 100, windowMs: WINDOW_MS, dailyLimit: 10_000_000 });
const results: Array<{ recordsPerSecond: number; scenario: string }> = [];
for (const object of ['contacts', 'companies', 'deals']) {
  const sandbox = await fresh();
  results.push(await measure(`${object}, first sync into an empty portal`, object, sandbox, 0, N));
  await sandbox.stop();
}
{
  const sandbox = await fresh();
  for (let i = 0; i < N; i += 2) sandbox.seedRecord('companies', { domain: keyOf.companies(i), name: `Existing ${i}` });
  results.push(await measure('companies, first sync, half of them already in the portal', 'companies', sandbox, 0, N));
  results.push(await measure('companies, a daily run: 500 new into that portal', 'companies', sandbox, N, 500));
  await sandbox.stop();
}
const contacts = results[0].recordsPerSecond;
console.log(`ceiling ${Math.round((100 * 100 * 1000) / WINDOW_MS)} records/s; companies/contacts first sync: ${(results[1].recordsPerSecond / contacts).toFixed(2)} (empty portal), ${(results[3].recordsPerSecond / contacts).toFixed(2)} (half existing); deals/contacts ${(results[2].recordsPerSecond / contacts).toFixed(2)}`);
