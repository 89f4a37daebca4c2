/**
 * npx tsx bench/render-report.ts <evaluate.html> [out.html]
 *
 * Renders an evaluate report again from the JSON embedded in it, with the current renderer
 * (how docs/evaluate-*.png are made after a change to the page, without rerunning the backtest).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { renderEvaluationHtml } from '../src/evaluate/report-html.ts';

const [from, to = from] = process.argv.slice(2);
const html = await readFile(from, 'utf8');
const json = /<script type="application\/json" id="pqlsync-evaluation">([\s\S]*?)<\/script>/.exec(html)?.[1];
if (!json) throw new Error(`${from}: no embedded report JSON`);
const report = JSON.parse(json);
report.warnings ??= [];
await writeFile(to, renderEvaluationHtml(report));
