/**
 * `pqlsync build` on the shipped project: the first build of user_event_totals is full, the
 * next one (later as_of) folds incrementally, `--full-refresh` rebuilds it, and an earlier
 * `--as-of` rebuilds it too; each says so in its model_built event.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { memoryLogger, shippedProject } from '../helpers/project.ts';

let shipped: Awaited<ReturnType<typeof shippedProject>>;

beforeAll(async () => {
  shipped = await shippedProject();
  const w = await DuckDBWarehouse.open({ path: shipped.project.config.warehouse.type === 'duckdb' ? shipped.project.config.warehouse.path : '' });
  try {
    await generateDemoData(w, { users: 100, seed: 3 });
  } finally {
    await w.close();
  }
}, 120_000);
afterAll(async () => {
  await shipped?.cleanup();
});

async function build(...args: string[]): Promise<{ incremental: string; reason?: string }> {
  const out = memoryLogger();
  const code = await runCli(['build', '--select', '+user_features', '--config', path.join(shipped.dir, 'pqlsync.yml'), '--json', ...args], { env: {}, out: out.sink, err: out.sink });
  const events = out.events();
  expect(code, JSON.stringify(events.filter((e) => e.level === 'error'))).toBe(EXIT.ok);
  const built = events.find((e) => e.event === 'model_built' && e.model === 'user_event_totals');
  return { incremental: built.incremental, ...(built.reason ? { reason: built.reason } : {}) };
}

it('folds after the first build; --full-refresh and an earlier --as-of rebuild in full', async () => {
  expect(await build('--as-of', '2026-11-01T00:00:00Z')).toEqual({ incremental: 'full', reason: 'first build' });
  expect(await build('--as-of', '2026-11-01T06:15:00Z')).toEqual({ incremental: 'incremental' });
  expect(await build('--as-of', '2026-11-01T06:15:00Z', '--full-refresh')).toEqual({ incremental: 'full', reason: 'full refresh' });
  expect(await build('--as-of', '2026-10-30T00:00:00Z')).toMatchObject({ incremental: 'full', reason: expect.stringMatching(/earlier than the last build/) });
}, 120_000);
