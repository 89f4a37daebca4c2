/**
 * The baseline: the hand-written integration teams build instead of pqlsync. It reads the
 * scored users and updates every contact, every run, one request per contact, with the
 * same official client (`client.crm.contacts.basicApi.update(email, { properties }, 'email')`).
 *
 * It is given its best case: paced at exactly the portal's limit (no margin), ten requests
 * in flight, values formatted without checks, a 429 waited out and retried. It runs on a
 * sample of the contacts; its wall time for all of them is extrapolated from the measured
 * rate (requests per run are exact: one per contact).
 */
import { Client } from '@hubspot/api-client';
import { DuckDBWarehouse } from '../connectors/duckdb/duckdb.warehouse.ts';
import { sendToParent } from './ipc.ts';
import { MODEL, MODELS_SCHEMA, PROPERTIES } from './scored-users.ts';

export interface BaselineChildInput {
  databaseFile: string;
  memoryLimit: string;
  sandboxUrl: string;
  token: string;
  /** Contacts to update (the first `sample` of the model). */
  sample: number;
  /** Requests allowed per window, and the window (the sandbox's, compressed). */
  requestsPerWindow: number;
  windowMs: number;
}

const input = JSON.parse(process.argv[2]) as BaselineChildInput;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function format(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

async function main(): Promise<void> {
  const warehouse = await DuckDBWarehouse.open({ path: input.databaseFile, memoryLimit: input.memoryLimit });
  const rows = await warehouse.query(`select * from ${MODELS_SCHEMA}.${MODEL} order by n limit ${Math.trunc(input.sample)}`);
  await warehouse.close();
  const client = new Client({ accessToken: input.token, basePath: input.sandboxUrl, numberOfApiCallRetries: 0 });

  // A rolling window at exactly the limit: the baseline's best case.
  const sent: number[] = [];
  const takeSlot = async () => {
    for (;;) {
      const now = performance.now();
      while (sent.length > 0 && sent[0] <= now - input.windowMs) sent.shift();
      if (sent.length < input.requestsPerWindow) {
        sent.push(now);
        return;
      }
      await sleep(sent[0] + input.windowMs - now + 1);
    }
  };

  let requests = 0;
  let rateLimited = 0;
  let errors = 0;
  let next = 0;
  // Warm the connection up outside the measured time.
  await client.crm.contacts.basicApi.getById(String(rows[0].email), ['email'], undefined, undefined, false, 'email');
  await sleep(input.windowMs);
  const started = performance.now();
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++];
      const properties = Object.fromEntries(PROPERTIES.map((p) => [p.property, format(row[p.column])]));
      for (;;) {
        await takeSlot();
        requests++;
        try {
          await client.crm.contacts.basicApi.update(String(row.email), { properties }, 'email');
          break;
        } catch (error) {
          if ((error as { code?: number }).code === 429) {
            rateLimited++;
            await sleep(input.windowMs / 10);
            continue;
          }
          errors++;
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  const wallMs = performance.now() - started;
  await sendToParent({ type: 'baseline', result: { requests, records: rows.length, wallMs: Math.round(wallMs), rateLimited, errors } });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
