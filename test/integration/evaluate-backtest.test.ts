/**
 * `pqlsync evaluate` on the shipped models and generated demo data in DuckDB, through the CLI:
 * its figures equal a straightforward SQL computation of the same numbers (models built as of
 * each date by hand, joined to the outcomes, counted), no event after a date changes that
 * date's scores, and the HTML report shows exactly the JSON's numbers without fetching anything.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCellsMatchJson } from '../helpers/report-cells.ts';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { DEMO_AS_OF, generateDemoData, touchUsers } from '../../src/demo/generate-demo-data.ts';
import type { EvaluationReport } from '../../src/evaluate/evaluate.ts';
import { orderModels, selectModels } from '../../src/project/graph.ts';
import { loadModels } from '../../src/project/load-models.ts';
import { buildModels } from '../../src/run/build-models.ts';
import { memoryLogger, shippedProject } from '../helpers/project.ts';

const DATES = ['2026-09-18T00:00:00.000Z', '2026-09-25T00:00:00.000Z', '2026-10-02T00:00:00.000Z'];
let fx: Awaited<ReturnType<typeof shippedProject>>;

async function evaluate(extra: string[] = []): Promise<{ code: number; report: EvaluationReport; err: string; html: string }> {
  const out = memoryLogger();
  const err: string[] = [];
  const html = path.join(fx.dir, 'report.html');
  const code = await runCli(['evaluate', '--config', fx.project.configFile, '--as-of', DEMO_AS_OF, ...(extra.includes('--dates') ? [] : ['--dates', '3']), '--json', '--html', html, '--replicates', '50', ...extra], {
    env: {},
    out: out.sink,
    err: { write: (s: string) => (err.push(s), true) } as unknown as NodeJS.WritableStream,
  });
  const event = out.events().find((e) => e.event === 'evaluation');
  return { code, report: event?.report as EvaluationReport, err: err.join('') + out.lines.join(''), html };
}

beforeAll(async () => {
  fx = await shippedProject();
  const w = await DuckDBWarehouse.open({ path: fx.project.config.warehouse.type === 'duckdb' ? fx.project.config.warehouse.path : '' });
  await generateDemoData(w, { users: 700, seed: 5, days: 90 });
  await w.close();
}, 60_000);
afterAll(async () => fx?.cleanup());

describe('pqlsync evaluate on DuckDB', () => {
  let report: EvaluationReport;
  let html: string;

  it('backtests contacts and accounts on the dates asked for', async () => {
    const r = await evaluate();
    expect(r.code, r.err).toBe(0);
    report = r.report;
    html = await readFile(r.html, 'utf8');
    expect(report.dates).toEqual(DATES);
    expect(Object.keys(report.targets)).toEqual(['contacts', 'accounts']);
    expect(report.targets.contacts.current.conversions).toBeGreaterThan(10);
  }, 60_000);

  it('its figures equal the same numbers computed by hand in SQL', async () => {
    const w = await DuckDBWarehouse.open({ path: path.join(fx.dir, 'warehouse.duckdb') });
    try {
      const all = orderModels(await loadModels(fx.project.modelsDir, { dialect: 'duckdb', projectRoot: fx.project.root }), Object.keys(fx.project.sources));
      const models = selectModels(all, ['+user_scores']);
      await w.execute('create table main.by_hand (as_of timestamp, user_id varchar, score integer, tier varchar, converted integer)');
      for (const d of DATES) {
        await buildModels(w, models, { dialect: w.dialect, modelsSchema: 'by_hand', sources: fx.project.sources, asOf: d });
        await w.execute(`insert into main.by_hand
          select timestamp '${d.slice(0, 19).replace('T', ' ')}', s.user_id, s.pql_score, s.pql_tier,
            case when o.converted_at > timestamp '${d.slice(0, 10)}' and o.converted_at <= timestamp '${d.slice(0, 10)}' + interval 30 day then 1 else 0 end
          from by_hand.user_scores s left join raw.user_outcomes o on o.user_id = s.user_id
          where o.converted_at is null or o.converted_at > timestamp '${d.slice(0, 10)}'`);
      }
      const c = report.targets.contacts.current;
      const tiers = await w.query('select tier, count(*) as n, sum(converted) as k from main.by_hand group by tier');
      for (const t of tiers) {
        const g = c.tiers.find((x) => x.label === t.tier)!;
        expect([g.records, g.conversions], String(t.tier)).toEqual([Number(t.n), Number(t.k)]);
      }
      const [pairs] = await w.query(`select sum(case when p.score > n.score then 1.0 when p.score = n.score then 0.5 else 0 end) / count(*) as auc
        from main.by_hand p cross join main.by_hand n where p.converted = 1 and n.converted = 0`);
      expect(c.auc).toBeCloseTo(Number(pairs.auc), 9);
      const [pql] = await w.query(`select sum(converted) as k, count(*) as n from main.by_hand where tier in ('hot', 'sales_ready')`);
      expect(c.pql.precision).toBeCloseTo(Number(pql.k) / Number(pql.n), 12);
      const [zero] = await w.query('select avg(case when score = 0 then 1.0 else 0 end) as z from main.by_hand');
      expect(c.zeroShare).toBeCloseTo(Number(zero.z), 12);
    } finally {
      await w.close();
    }
  }, 60_000);

  it('the terminal table says the same as the JSON', async () => {
    const out: string[] = [];
    const code = await runCli(['evaluate', '--config', fx.project.configFile, '--as-of', DEMO_AS_OF, '--dates', '3', '--html', path.join(fx.dir, 'text.html')], {
      env: {},
      out: { write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WritableStream,
      err: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    expect(code).toBe(0);
    const text = out.join('');
    const c = report.targets.contacts.current;
    expect(text).toContain(`contacts (current scoring): ${c.records.toLocaleString('en-US')} record-dates, ${c.conversions.toLocaleString('en-US')} converted`);
    expect(text).toContain(`AUC ${c.auc!.toFixed(3)}`);
    const top = c.tiers.find((t) => t.label === 'sales_ready')!;
    expect(text).toMatch(new RegExp(`sales_ready\\s+${top.records.toLocaleString('en-US')}\\s+${top.conversions}\\s+${(top.rate * 100).toFixed(1)}%\\s+${top.lift.toFixed(2)}×`));
    expect(text).toContain(`HTML report: ${path.join(fx.dir, 'text.html')}`);
  }, 60_000);

  it('the HTML report is self-contained and shows the JSON numbers', () => {
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/\s(src|href)=|url\(|@import/);
    const embedded = JSON.parse(/<script type="application\/json" id="pqlsync-evaluation">(.*?)<\/script>/s.exec(html)![1]);
    expect(embedded).toEqual(report);
    expect(expectCellsMatchJson(html, report)).toBeGreaterThan(100);
  });

  it('nothing after a date leaks into it: events after the last date change no figure', async () => {
    const w = await DuckDBWarehouse.open({ path: path.join(fx.dir, 'warehouse.duckdb') });
    const cold = await w.query(`select user_id from raw.users order by user_id limit 200`);
    await touchUsers(w, { userIds: cold.map((r) => String(r.user_id)), at: '2026-10-02T00:00:01Z' });
    await w.close();
    const again = await evaluate(['--target', 'contacts']);
    expect(again.code, again.err).toBe(0);
    expect(again.report.targets.contacts.current).toEqual(report.targets.contacts.current);
  }, 60_000);

  it('a candidate scoring that is the current one differs by exactly 0, on the same record-dates', async () => {
    const same = await evaluate(['--target', 'contacts', '--candidate', path.join(fx.project.modelsDir, 'config', 'scoring_points.sql')]);
    expect(same.code, same.err).toBe(0);
    expect(same.report.targets.contacts.comparison!.auc.difference).toBe(0);
    expect(same.report.targets.contacts.candidate!.bands).toEqual(same.report.targets.contacts.current.bands);
  }, 60_000);

  it('--suggest refuses, with the numbers, when the fitting dates hold too few conversions (the fitted case: evaluate-suggest-learns.test.ts)', async () => {
    const out = path.join(fx.dir, 'suggested.sql');
    const r = await evaluate(['--target', 'contacts', '--suggest', '--suggest-out', out, '--dates', '6', '--horizon', '14']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/contacts has \d+ conversions among \d+ record-dates on the fitting dates; at least 300 conversions/);
    await expect(readFile(out, 'utf8')).rejects.toThrow();
    const few = await evaluate(['--target', 'contacts', '--suggest', '--dates', '6']);
    expect(few.code).toBe(2);
    expect(few.err).toMatch(/6 dates 7 days apart leave 0\. Give --dates 11 or more/);
  }, 60_000);

  it('warns when dates fall before the data starts, and when --as-of runs past the last conversion', async () => {
    // 90 days of data; 16 weekly dates with a 30-day horizon reach 135 days back.
    const early = await evaluate(['--target', 'contacts', '--dates', '16']);
    expect(early.code, early.err).toBe(0);
    expect(early.report.warnings.join('\n')).toMatch(/contacts: no records on 2026-0\d-\d\d(, 2026-\d\d-\d\d)*: those dates fall before the data starts/);
    expect(early.report.warnings.join('\n')).not.toMatch(/last conversion/);
    const out = memoryLogger();
    const code = await runCli(
      ['evaluate', '--config', fx.project.configFile, '--as-of', '2026-12-20T00:00:00.000Z', '--target', 'contacts', '--dates', '3', '--json', '--replicates', '20', '--html', path.join(fx.dir, 'late.html')],
      { env: {}, out: out.sink, err: out.sink },
    );
    expect(code, out.lines.join('')).toBe(0);
    const late = out.events().find((e) => e.event === 'evaluation')?.report as EvaluationReport;
    expect(late.warnings.join('\n')).toMatch(/contacts: the last conversion in user_outcomes is on 2026-1\d-\d\d, \d+ days before --as-of 2026-12-20: if the data ends there, pass --as-of 2026-1\d-\d\d/);
    expect(await readFile(path.join(fx.dir, 'late.html'), 'utf8')).toContain('class="warning"');
  }, 120_000);

  it('names the problem when the outcome source is not configured', async () => {
    const broken = await shippedProject((c) => {
      c.warehouse.path = path.join(fx.dir, 'warehouse.duckdb');
      c.evaluate.targets.contacts.outcomes.source = 'conversions';
    });
    try {
      const out = memoryLogger();
      const code = await runCli(['evaluate', '--config', broken.project.configFile, '--target', 'contacts', '--dates', '1', '--as-of', DEMO_AS_OF], { env: {}, out: out.sink, err: out.sink });
      expect(code).toBe(2);
      expect(out.lines.join('')).toMatch(/evaluate\.targets\.contacts\.outcomes\.source: 'conversions' is not under sources:/);
    } finally {
      await broken.cleanup();
    }
  }, 60_000);
});
