/**
 * `pqlsync evaluate` as a library call: backtest the scoring (and a candidate) on past
 * dates, then turn the warehouse's histograms into the report's figures.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EvaluateConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import { parseModelFile, type Model } from '../project/model-file.ts';
import { compileContext, loadSelectedModels } from '../run/steps.ts';
import type { Session } from '../run/session.ts';
import { backtestDates, runBacktest, type Scoring } from './backtest.ts';
import { compareScorings, type Comparison } from './compare.ts';
import { computeMetrics, type TargetMetrics } from './metrics.ts';

export interface EvaluateOptions {
  /** Overrides of pqlsync.yml's evaluate: block. */
  horizonDays?: number;
  everyDays?: number;
  dates?: number;
  /** Only these targets (default: all configured). */
  targets?: string[];
  /** The candidate scoring: a model file, or `<git ref>` of the scoring model's file. */
  candidateFile?: string;
  candidateRef?: string;
  /** The model a candidate ref is read for (default scoring_points). */
  candidateModel?: string;
  replicates?: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

export interface ScoringReport extends TargetMetrics {
  medianDaysToConvert: number | null;
}

export interface EvaluationReport {
  /** The data's end (the session's as-of): the latest date is horizonDays before it. */
  asOf: string;
  dates: string[];
  horizonDays: number;
  /** Where the candidate came from, when there is one. */
  candidate?: string;
  targets: Record<string, { current: ScoringReport; candidate?: ScoringReport; comparison?: Comparison }>;
}

export const DEFAULT_EVALUATE: Omit<EvaluateConfig, 'targets'> = { horizon_days: 30, every_days: 7, dates: 13 };

export async function evaluateScoring(session: Session, options: EvaluateOptions = {}): Promise<EvaluationReport> {
  const config = session.project.config.evaluate;
  if (!config) {
    throw new ConfigError(
      `${session.project.configFile} has no evaluate: block. Add one naming the scores and outcomes to backtest (see the shipped pqlsync.yml, evaluate:).`,
    );
  }
  const targets = pickTargets(config.targets, options.targets ?? [], session.project.configFile);
  const horizonDays = positive(options.horizonDays ?? config.horizon_days, '--horizon');
  const dates = backtestDates(session.asOf, {
    horizonDays,
    everyDays: positive(options.everyDays ?? config.every_days, '--every'),
    count: positive(options.dates ?? config.dates, '--dates'),
  });
  const models = await loadSelectedModels(session);
  const candidate = await loadCandidate(session, models, options);

  const data = await runBacktest({
    warehouse: session.warehouse,
    models,
    ctx: compileContext(session),
    targets,
    dates,
    horizonDays,
    candidate: candidate?.model,
    onProgress: options.onProgress,
  });

  const report: EvaluationReport = { asOf: session.asOf, dates, horizonDays, candidate: candidate?.from, targets: {} };
  for (const [name, target] of Object.entries(targets)) {
    const t = data.targets[name];
    const scoring = (s: Scoring): ScoringReport => ({
      ...computeMetrics(t.cells[s], target.tiers, target.pql_tiers),
      medianDaysToConvert: t.medianDaysToConvert[s],
    });
    report.targets[name] = candidate
      ? {
          current: scoring('current'),
          candidate: scoring('candidate'),
          comparison: compareScorings(t.paired, target.tiers[target.tiers.length - 1], { replicates: options.replicates, seed: options.seed }),
        }
      : { current: scoring('current') };
  }
  return report;
}

function pickTargets<T>(all: Record<string, T>, names: string[], file: string): Record<string, T> {
  if (names.length === 0) return all;
  return Object.fromEntries(
    names.map((n) => {
      if (!all[n]) throw new ConfigError(`No evaluate target named '${n}' in ${file} (targets: ${Object.keys(all).join(', ')})`);
      return [n, all[n]];
    }),
  );
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be a positive whole number, got ${value}`);
  return value;
}

/** The candidate model: a file as is, or the scoring model's file as it stands at a git ref. */
async function loadCandidate(session: Session, models: Model[], options: EvaluateOptions): Promise<{ model: Model; from: string } | undefined> {
  if (options.candidateFile && options.candidateRef) throw new ConfigError('Give --candidate or --candidate-ref, not both');
  if (options.candidateFile) {
    const file = path.resolve(options.candidateFile);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new ConfigError(`--candidate ${options.candidateFile}: no such file`);
    }
    const name = options.candidateModel ?? 'scoring_points';
    return { model: parseModelFile(text, options.candidateFile, name), from: options.candidateFile };
  }
  if (options.candidateRef) {
    const name = options.candidateModel ?? 'scoring_points';
    const current = models.find((m) => m.name === name);
    if (!current) throw new ConfigError(`--candidate-model: no model named '${name}'`);
    const file = path.resolve(session.project.root, current.file);
    const spec = `${options.candidateRef}:./${path.basename(file)}`;
    let text: string;
    try {
      ({ stdout: text } = await promisify(execFile)('git', ['show', spec], { cwd: path.dirname(file), maxBuffer: 16 * 1024 * 1024 }));
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n').find((l) => l.startsWith('fatal')) ?? error.message : String(error);
      throw new ConfigError(`--candidate-ref ${options.candidateRef}: git cannot show ${current.file} at that ref (${reason.trim()})`);
    }
    return { model: parseModelFile(text, `${current.file}@${options.candidateRef}`, name), from: `${current.file} at ${options.candidateRef}` };
  }
  return undefined;
}
