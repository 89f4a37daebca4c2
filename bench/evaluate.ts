/**
 * npx tsx bench/evaluate.ts [--users 100000] [--days 150] [--seed 42] [--messy 0] [--suggest] [--out dir]
 *
 * The evaluate benchmark: generates the demo data (with `--days` of history, enough for 13
 * weekly dates and a 30-day horizon), then runs `pqlsync evaluate` with the shipped demo
 * project's pqlsync.yml and models (examples/demo), as of the data's end, and prints the time it
 * took and the report.
 * The project and the HTML report land in `--out` (default: a temp folder).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { DuckDBWarehouse } from '../connectors/duckdb/duckdb.warehouse.ts';
import { runCli } from '../src/cli/build-cli.ts';
import { DEMO_AS_OF, generateDemoData } from '../src/demo/generate-demo-data.ts';
import { messUpDemoData } from '../src/demo/messy-data.ts';
import { shippedDemoConfig, shippedDemoDir } from '../src/util/package-root.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    days: { type: 'string', default: '150' },
    seed: { type: 'string', default: '42' },
    messy: { type: 'string', default: '0' },
    suggest: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const dir = values.out ? path.resolve(values.out) : await mkdtemp(path.join(os.tmpdir(), 'pqlsync-bench-evaluate-'));
await mkdir(dir, { recursive: true });
const db = path.join(dir, 'warehouse.duckdb');
const config = parseDocument(await readFile(shippedDemoConfig(), 'utf8')).toJS() as Record<string, any>;
config.warehouse = { type: 'duckdb', path: db };
config.models_path = path.resolve(shippedDemoDir(), config.models_path);
await writeFile(path.join(dir, 'pqlsync.yml'), JSON.stringify(config, null, 2));

let started = performance.now();
const w = await DuckDBWarehouse.open({ path: db });
const rows = await generateDemoData(w, { users: Number(values.users), seed: Number(values.seed), days: Number(values.days) });
if (Number(values.messy) > 0) console.log('messy rows:', await messUpDemoData(w, { seed: Number(values.seed), share: Number(values.messy) }));
await w.close();
console.log(`generated ${rows.users} users, ${rows.events} events (${values.days} days) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

started = performance.now();
const code = await runCli(
  ['evaluate', '--config', path.join(dir, 'pqlsync.yml'), '--as-of', DEMO_AS_OF, '--html', path.join(dir, 'evaluate.html'), ...(values.suggest ? ['--suggest'] : [])],
  { env: process.env, out: process.stdout, err: process.stderr },
);
console.log(`evaluate: exit ${code} in ${((performance.now() - started) / 1000).toFixed(1)} s (project in ${dir})`);
process.exitCode = code;
