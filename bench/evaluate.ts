/**
 * npm run bench -- --evaluate [--users 100000] [--days 220] [--seed 11] [--data both|demo|second] [--messy 0] [--out dir]
 *
 * The evaluate benchmark: for each data set (the demo data as generated, and the second data
 * set whose conversions follow other weights: test/helpers/second-data-set.ts) it generates
 * `--users` users with `--days` of history, then runs `pqlsync evaluate --target contacts
 * --suggest` with the shipped demo project (examples/demo) as of the data's end, and prints the
 * wall time, the in-process fit's time, and the out-of-time AUC of the shipped points, the
 * suggested points and the reference model. Projects and HTML reports land in `--out` (default:
 * a temp folder).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { DuckDBWarehouse } from '../connectors/duckdb/duckdb.warehouse.ts';
import { runCli } from '../src/cli/build-cli.ts';
import { DEMO_AS_OF, generateDemoData, type ConversionWeights } from '../src/demo/generate-demo-data.ts';
import { messUpDemoData } from '../src/demo/messy-data.ts';
import type { EvaluationReport } from '../src/evaluate/evaluate.ts';
import { shippedDemoConfig, shippedDemoDir } from '../src/util/package-root.ts';
import { SECOND_DATA_SET } from '../test/helpers/second-data-set.ts';

const DATA_SETS: Record<string, ConversionWeights | undefined> = { demo: undefined, second: SECOND_DATA_SET };

export async function runEvaluateBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--evaluate'),
    options: {
      users: { type: 'string', default: '100000' },
      days: { type: 'string', default: '220' },
      seed: { type: 'string', default: '11' },
      data: { type: 'string', default: 'both' },
      messy: { type: 'string', default: '0' },
      out: { type: 'string' },
    },
  });
  const root = values.out ? path.resolve(values.out) : await mkdtemp(path.join(os.tmpdir(), 'pqlsync-bench-evaluate-'));
  const names = values.data === 'both' ? Object.keys(DATA_SETS) : [values.data!];
  let failed = 0;
  for (const name of names) {
    if (!(name in DATA_SETS)) throw new Error(`--data ${name}: give demo, second or both`);
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    const db = path.join(dir, 'warehouse.duckdb');
    const config = parseDocument(await readFile(shippedDemoConfig(), 'utf8')).toJS() as Record<string, any>;
    config.warehouse = { type: 'duckdb', path: db };
    config.models_path = path.resolve(shippedDemoDir(), config.models_path);
    await writeFile(path.join(dir, 'pqlsync.yml'), JSON.stringify(config, null, 2));

    let started = performance.now();
    const w = await DuckDBWarehouse.open({ path: db });
    const rows = await generateDemoData(w, { users: Number(values.users), seed: Number(values.seed), days: Number(values.days), conversion: DATA_SETS[name] });
    if (Number(values.messy) > 0) console.log('messy rows:', await messUpDemoData(w, { seed: Number(values.seed), share: Number(values.messy) }));
    await w.close();
    console.log(`${name}: generated ${rows.users} users, ${rows.events} events (${values.days} days) in ${seconds(started)} s`);

    started = performance.now();
    const lines: string[] = [];
    const sink = { write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WritableStream;
    const code = await runCli(
      ['evaluate', '--config', path.join(dir, 'pqlsync.yml'), '--as-of', DEMO_AS_OF, '--target', 'contacts', '--suggest', '--json', '--html', path.join(dir, 'evaluate.html')],
      { env: process.env, out: sink, err: process.stderr },
    );
    const wall = seconds(started);
    const event = lines.join('').split('\n').flatMap((l) => (l.startsWith('{') ? [JSON.parse(l)] : [])).find((e) => e.event === 'evaluation');
    const report = event?.report as EvaluationReport | undefined;
    const s = report?.suggestion?.targets[0];
    if (code !== 0 || !report || !s?.outOfTime) {
      failed++;
      console.log(`${name}: evaluate exit ${code} in ${wall} s\n${lines.join('').slice(-2000)}`);
      continue;
    }
    const o = s.outOfTime;
    console.log(
      `${name}: evaluate --suggest in ${wall} s (fit ${(report.suggestion!.fitMs / 1000).toFixed(2)} s in process, ${report.suggestion!.fittedOn.length} fitting dates, ${s.fitted.records.toLocaleString('en-US')} record-dates, ${s.fitted.conversions.toLocaleString('en-US')} conversions)`,
    );
    console.log(
      `${name}: out of time on ${report.dates.length} dates (${o.records.toLocaleString('en-US')} record-dates, ${o.conversions.toLocaleString('en-US')} converted): AUC shipped ${o.current?.toFixed(3)}, suggested ${o.suggested?.toFixed(3)}, reference ${o.reference?.toFixed(3)}; warehouse candidate AUC ${report.targets.contacts.candidate?.auc?.toFixed(3)}`,
    );
    console.log(`${name}: report ${path.join(dir, 'evaluate.html')}`);
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
