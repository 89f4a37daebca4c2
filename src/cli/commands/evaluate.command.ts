import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Argv } from 'yargs';
import { withSession, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

interface EvaluateArgs extends GlobalArgs {
  target?: string[];
  horizon?: number;
  every?: number;
  dates?: number;
  candidate?: string;
  candidateRef?: string;
  candidateModel?: string;
  replicates: number;
  seed: number;
  html?: string;
  suggest: boolean;
  suggestOut?: string;
}

export function evaluateCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'evaluate',
    describe:
      'Backtest the scoring: rebuild the scores as of past dates and measure who converted afterwards (conversion by tier and band, lift, AUC, PQL precision and recall); compare with a candidate scoring',
    builder: (y: Argv) =>
      y
        .option('target', { type: 'string', array: true, describe: 'Targets to evaluate, from evaluate.targets in pqlsync.yml (default: all)' })
        .option('horizon', { type: 'number', describe: 'Days after each date in which a conversion counts (default: evaluate.horizon_days, 30)' })
        .option('every', { type: 'number', describe: 'Days between backtest dates (default: evaluate.every_days, 7)' })
        .option('dates', { type: 'number', describe: 'Number of backtest dates, the latest one --horizon days before --as-of (default: evaluate.dates, 13)' })
        .option('candidate', { type: 'string', describe: 'A candidate scoring: a file replacing models/config/scoring_points.sql, compared side by side' })
        .option('candidate-ref', { type: 'string', describe: 'A candidate scoring: scoring_points.sql as it stands at this git ref (a branch, tag or commit)' })
        .option('candidate-model', { type: 'string', describe: 'The model a candidate replaces (default: scoring_points)' })
        .option('replicates', { type: 'number', default: 1000, describe: 'Bootstrap replicates for the comparison interval' })
        .option('seed', { type: 'number', default: 1, describe: 'Seed of the bootstrap' })
        .option('suggest', {
          type: 'boolean',
          default: false,
          describe: 'Fit point values and tier thresholds from the outcomes on the earlier dates, write them as a candidate scoring, and compare it on the later dates',
        })
        .option('suggest-out', { type: 'string', describe: 'Where --suggest writes the candidate (default: .pqlsync/scoring_points.suggested.sql next to pqlsync.yml, or beside a config kept in .pqlsync/)' })
        .option('html', { type: 'string', describe: 'Where to write the HTML report (default: .pqlsync/evaluate.html next to pqlsync.yml, or beside a config kept in .pqlsync/)' }),
    handler: (args: EvaluateArgs) =>
      withSession(args, io, exit, async (session) => {
        const [{ evaluateScoring }, { renderEvaluationHtml }, { renderEvaluationText }, { outputDir }] = await Promise.all([
          import('../../evaluate/evaluate.ts'),
          import('../../evaluate/report-html.ts'),
          import('../../evaluate/report-text.ts'),
          import('../../config/load-project.ts'),
        ]);
        const report = await evaluateScoring(session, {
          targets: args.target,
          horizonDays: args.horizon,
          everyDays: args.every,
          dates: args.dates,
          candidateFile: args.candidate,
          candidateRef: args.candidateRef,
          candidateModel: args.candidateModel,
          replicates: args.replicates,
          seed: args.seed,
          suggest: args.suggest,
          suggestOut: args.suggestOut,
          onProgress: (m) => session.log.progress(m),
        });
        session.log.progressDone();
        const html = path.resolve(args.html ?? path.join(outputDir(session.project), 'evaluate.html'));
        await mkdir(path.dirname(html), { recursive: true });
        await writeFile(html, renderEvaluationHtml(report));
        if (session.log.json) session.log.info(`evaluation written to ${html}`, { event: 'evaluation', html, report });
        else io.out.write(`${renderEvaluationText(report)}\nHTML report: ${html}\n`);
      }),
  };
}
