/**
 * The evaluate report in a real browser (headless Chromium from Debian's packages; .ci/run
 * installs it): the page renders to a screenshot that is not blank, and the figures in the
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
import { createPrng } from '../../src/util/prng.ts';

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
    paired.push({ asOf: '2026-09-01T00:00:00.000Z', current: { score, tier: tierOf(score) }, candidate: { score: other, tier: tierOf(other) }, records, conversions });
  }
  const metrics = (c: ScoreCell[]) => ({ ...computeMetrics(c, TIERS, ['hot', 'sales_ready']), medianDaysToConvert: 12 });
  return {
    asOf: '2026-11-01T00:00:00.000Z',
    dates: ['2026-09-01T00:00:00.000Z'],
    horizonDays: 30,
    candidate: 'candidate.sql',
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

  it('renders a screenshot that is not blank', async () => {
    const shot = path.join(dir, 'shot.png');
    await promisify(execFile)(CHROMIUM!, [...FLAGS, '--window-size=1200,1600', `--screenshot=${shot}`, `file://${file}`], { timeout: 60_000 });
    const png = await readFile(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(pixelVariety(png)).toBeGreaterThan(50);
  }, 90_000);

  it('shows in the rendered DOM exactly the JSON numbers', async () => {
    const { stdout } = await promisify(execFile)(CHROMIUM!, [...FLAGS, '--dump-dom', `file://${file}`], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 });
    expect(expectCellsMatchJson(stdout, r)).toBeGreaterThan(100);
    expect(stdout).toContain('<svg');
  }, 90_000);
});
