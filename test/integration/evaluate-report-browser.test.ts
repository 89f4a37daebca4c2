/**
 * The evaluate report in a real browser (headless Chromium from Debian's packages; .ci/run
 * installs it): the page renders to a screenshot that is not blank at 1280 and 400 px wide, has
 * no horizontal scroll at either width, every chart has both axis titles, and the figures in the
 * DOM Chromium renders equal the report's JSON.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCellsMatchJson } from '../helpers/report-cells.ts';
import { compareScorings } from '../../src/evaluate/compare.ts';
import type { EvaluationReport } from '../../src/evaluate/evaluate.ts';
import { computeMetrics, type ScoreCell } from '../../src/evaluate/metrics.ts';
import { renderEvaluationHtml } from '../../src/evaluate/report-html.ts';
import { createPrng } from '../../connectors/shared/prng.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!CHROMIUM) console.log('[skipped] evaluate report in Chromium: no chromium on this machine (apt-get install chromium, as .ci/run does)');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--hide-scrollbars'];
const TIERS = ['cold', 'warm', 'hot', 'sales_ready'];
const tierOf = (s: number) => (s >= 80 ? 'sales_ready' : s >= 60 ? 'hot' : s >= 30 ? 'warm' : 'cold');

/** A report with a candidate, from generated record-dates (the backtest's own tests cover the warehouse side). */
function report(): EvaluationReport {
  const random = createPrng(11);
  const cells: Record<'current' | 'candidate', ScoreCell[]> = { current: [], candidate: [] };
  const paired = [];
  for (let score = 0; score <= 100; score += 5) {
    const records = 200 + Math.floor(random() * 200);
    const conversions = Math.floor(records * (0.005 + (score / 100) ** 2 * 0.2));
    const other = Math.min(100, score + 5);
    cells.current.push({ asOf: '2026-09-01T00:00:00.000Z', score, tier: tierOf(score), records, conversions });
    cells.candidate.push({ asOf: '2026-09-01T00:00:00.000Z', score: other, tier: tierOf(other), records, conversions });
    paired.push({ cluster: score % 7, current: { score, tier: tierOf(score) }, candidate: { score: other, tier: tierOf(other) }, records, conversions });
  }
  const metrics = (c: ScoreCell[]) => ({ ...computeMetrics(c, TIERS, ['hot', 'sales_ready']), medianDaysToConvert: 12 });
  const point = (name: string, layer: string, from: number, to: number) => ({ name, layer, from, to, weight: to / 40, referenceWeight: to / 38, share: 0.12 });
  return {
    asOf: '2026-11-01T00:00:00.000Z',
    dates: ['2026-09-01T00:00:00.000Z'],
    horizonDays: 30,
    candidate: 'candidate.sql',
    warnings: ['contacts: the last conversion in user_outcomes is on 2026-10-20, 12 days before --as-of 2026-11-01: if the data ends there, pass --as-of 2026-10-20'],
    suggestion: {
      fittedOn: ['2026-07-10T00:00:00.000Z', '2026-07-17T00:00:00.000Z'],
      file: '/a/rather/long/path/to/the/project/.pqlsync/scoring_points.suggested.sql',
      fitMs: 420,
      targets: [
        {
          target: 'contacts',
          points: [point('onboarding_points', 'activation_layer', 5, 49), point('integration_points', 'intent_layer', 10, 34), point('decay_3_points', 'decay_points', 40, 2)],
          caps: [{ name: 'intent_cap', from: 30, to: 100 }],
          thresholds: [{ tier: 'warm', name: 'warm_min', lift: 1, from: 30, to: 26, share: 0.2 }],
          scale: 0.04,
          fitted: { records: 15_000, conversions: 430, current: 0.76, suggested: 0.85, reference: 0.85 },
          outOfTime: { records: 67_000, conversions: 1_400, current: 0.805, suggested: 0.873, reference: 0.875 },
          notes: ['warm: lowest score 91 (its 1× lift) would leave the tier 0.01% of the records; moved to 60 so it holds 2.0% (min_tier_share 1.0%)'],
          reference: { intercept: -4, coefficients: [1, 2, 3], sweeps: 10 },
        },
      ],
    },
    targets: { contacts: { current: metrics(cells.current), candidate: metrics(cells.candidate), comparison: compareScorings(paired, 'sales_ready', { replicates: 50 }) } },
  };
}

/** Distinct byte values of a PNG's decompressed pixel rows: a blank page has one or two. */
function pixelVariety(png: Buffer): number {
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  return new Set(inflateSync(Buffer.concat(idat))).size;
}

describe.skipIf(!CHROMIUM)('evaluate report in Chromium', () => {
  let dir: string;
  let file: string;
  const r = report();
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-report-'));
    file = path.join(dir, 'evaluate.html');
    await writeFile(file, renderEvaluationHtml(r));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  for (const width of [1280, 400]) {
    it(`at ${width} px: a screenshot that is not blank, no horizontal scroll, both axis titles on every chart`, async () => {
      const shot = path.join(dir, `shot-${width}.png`);
      await promisify(execFile)(CHROMIUM!, [...FLAGS, `--window-size=${width},1600`, `--screenshot=${shot}`, `file://${file}`], { timeout: 60_000 });
      const png = await readFile(shot);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(width);
      expect(pixelVariety(png)).toBeGreaterThan(50);

      // The page in an iframe exactly `width` px wide (headless Chromium will not lay out a
      // window narrower than 500 px for --dump-dom), measured from the parent, which writes
      // what the layout measured into its own DOM.
      const probe = path.join(dir, `probe-${width}.html`);
      await writeFile(probe, `<!doctype html><html><body style="margin:0"><iframe id="page" src="evaluate.html" style="width:${width}px;height:1600px;border:0"></iframe><script>
        document.getElementById('page').addEventListener('load', (e) => {
          const doc = e.target.contentDocument;
          const d = document.documentElement;
          d.dataset.scrollWidth = String(doc.documentElement.scrollWidth);
          d.dataset.viewport = String(e.target.contentWindow.innerWidth);
          d.dataset.charts = String(doc.querySelectorAll('svg').length);
          d.dataset.untitled = String([...doc.querySelectorAll('svg')].filter((s) => !s.querySelector('.axis-title.x')?.textContent || !s.querySelector('.axis-title.y')?.textContent).length);
        });
      </script></body></html>`);
      const { stdout } = await promisify(execFile)(CHROMIUM!, [...FLAGS, '--allow-file-access-from-files', '--window-size=1400,1700', '--dump-dom', `file://${probe}`], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 });
      const data = (name: string) => Number(new RegExp(`data-${name}="(\\d+)"`).exec(stdout)?.[1]);
      expect(data('viewport')).toBe(width);
      expect(data('scroll-width')).toBeLessThanOrEqual(width);
      expect(data('charts')).toBeGreaterThanOrEqual(5);
      expect(data('untitled')).toBe(0);
    }, 120_000);
  }

  it('shows in the rendered DOM exactly the JSON numbers', async () => {
    const { stdout } = await promisify(execFile)(CHROMIUM!, [...FLAGS, '--dump-dom', `file://${file}`], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 });
    expect(expectCellsMatchJson(stdout, r)).toBeGreaterThan(100);
    expect(stdout).toContain('<svg');
  }, 90_000);
});
