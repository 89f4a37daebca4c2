/**
 * `run --select +contact_sync` on the shipped project: only that model and its upstream are
 * built, and only the sync of that model runs (the companies sync does not).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { orderModels, selectModels } from '../../src/project/graph.ts';
import { loadModels } from '../../src/project/load-models.ts';
import { memoryLogger, shippedProject } from '../helpers/project.ts';

const TOKEN = 'pat-select-test';
let sandbox: Sandbox;
let shipped: Awaited<ReturnType<typeof shippedProject>>;

beforeAll(async () => {
  shipped = await shippedProject();
  const w = await DuckDBWarehouse.open({ path: shipped.project.config.warehouse.type === 'duckdb' ? shipped.project.config.warehouse.path : '' });
  try {
    await generateDemoData(w, { users: 200, seed: 5 });
  } finally {
    await w.close();
  }
  sandbox = await startSandbox({ accessToken: TOKEN, requestsPer10s: 100, windowMs: 1000 });
}, 120_000);
afterAll(async () => {
  await sandbox?.stop();
  await shipped?.cleanup();
});

describe('run --select on the shipped project', () => {
  it('+contact_sync builds contact_sync and its upstream only, and runs only the contacts sync', async () => {
    const all = orderModels(
      await loadModels(shipped.project.modelsDir, { dialect: 'duckdb', projectRoot: shipped.project.root }),
      Object.keys(shipped.project.sources),
    );
    const expected = selectModels(all, ['+contact_sync']).map((m) => m.name);
    expect(expected).toContain('contact_sync');
    expect(expected.length).toBeLessThan(all.length);

    const config = path.join(shipped.dir, 'pqlsync.yml');
    const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url };
    // A fresh warehouse: the relationships tests of user_scores read account_features, which
    // is not upstream of contact_sync, so they are skipped and said to be skipped.
    const out = memoryLogger();
    const code = await runCli(['run', '--select', '+contact_sync', '--config', config, '--json', '--as-of', DEMO_AS_OF], {
      env,
      out: out.sink,
      err: out.sink,
    });
    const events = out.events();
    expect(code, JSON.stringify(events.filter((e) => e.level === 'error'))).toBe(EXIT.ok);
    const skipped = events.filter((e) => e.event === 'model_test_skipped');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((e) => String(e.reason).endsWith('is not built'))).toBe(true);
    expect(events.filter((e) => e.event === 'model_built').map((e) => e.model)).toEqual(expected);
    const synced = events.filter((e) => e.event === 'sync_done');
    expect(synced.map((e) => e.sync)).toEqual(['contacts']);
    expect(synced[0].sent).toBeGreaterThan(0);
    expect(sandbox.records('companies')).toHaveLength(0);
  });
});
