/**
 * `pqlsync evaluate` as a library call: backtest the scoring (and a candidate) on past
 * dates, then turn the warehouse's histograms into the report's figures.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { outputDir } from '../config/load-project.ts';
import type { EvaluateTarget } from '../config/schema.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { shippedDemoConfig } from '../util/package-root.ts';
import { parseModelFile, type Model } from '../project/model-file.ts';
import { compileContext, loadSelectedModels } from '../run/steps.ts';
import type { Session } from '../run/session.ts';
import { backtestDates, runBacktest, type Scoring, type TargetBacktest } from './backtest.ts';
import { compareScorings, type Comparison } from './compare.ts';
import { computeMetrics, type TargetMetrics } from './metrics.ts';
import { applySuggestions, probeModelText, scoreOutOfTime, suggestPoints, type Suggestion } from './suggest.ts';

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
  /**
   * Fit points and thresholds on the earlier dates (those whose horizon ends before the later
   * half begins), write them as a candidate scoring model to `suggestOut`, and report the
   * candidate against the current scoring on the later half only (out of time).
   */
  suggest?: boolean;
  suggestOut?: string;
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
  /** Dates before the data starts or after it ends, an --as-of past the data: in words. */
  warnings: string[];
  targets: Record<string, { current: ScoringReport; candidate?: ScoringReport; comparison?: Comparison }>;
  /** With --suggest: what was fitted, on which dates, and where the candidate was written. */
  suggestion?: {
    fittedOn: string[];
    file: string;
    /** Time the in-process fit took (the warehouse's backtest builds not included). */
    fitMs: number;
    targets: Suggestion[];
  };
}

export async function evaluateScoring(session: Session, options: EvaluateOptions = {}): Promise<EvaluationReport> {
  const config = session.project.config.evaluate;
  if (!config) {
    throw new ConfigError(
      `${session.project.configFile} has no evaluate: block. Add one naming the scores and outcomes to backtest (see evaluate: in the demo project's pqlsync.yml, ${shippedDemoConfig()}).`,
    );
  }
  const targets = pickTargets(config.targets, options.targets ?? [], session.project.configFile);
  const horizonDays = positive(options.horizonDays ?? config.horizon_days, '--horizon');
  const allDates = backtestDates(session.asOf, {
    horizonDays,
    everyDays: positive(options.everyDays ?? config.every_days, '--every'),
    count: positive(options.dates ?? config.dates, '--dates'),
  });
  const models = await loadSelectedModels(session);
  let dates = allDates;
  let candidate = await loadCandidate(session, models, options);
  let fitting: SuggestPlan | undefined;
  let suggestion: EvaluationReport['suggestion'];
  if (options.suggest) {
    if (candidate) throw new ConfigError('--suggest writes its own candidate: leave out --candidate and --candidate-ref');
    const split = splitOutOfTime(allDates, horizonDays);
    dates = split.test;
    fitting = await planSuggestion(session, models, targets);
    const fitted = await suggestFromOutcomes(session, models, fitting, split.train, horizonDays, options);
    suggestion = fitted.suggestion;
    candidate = fitted.candidate;
  }

  const data = await runBacktest({
    warehouse: session.warehouse,
    models,
    ctx: compileContext(session),
    targets,
    dates,
    horizonDays,
    candidate: candidate?.model,
    // With --suggest, the reporting dates are probed too: the reference model is scored on them.
    ...(fitting ? { features: fitting.features, probe: fitting.probe } : {}),
    onProgress: options.onProgress,
  });
  if (fitting && suggestion) {
    for (const s of suggestion.targets) {
      s.outOfTime = scoreOutOfTime(targets[s.target].suggest!, s, data.targets[s.target].patterns, fitting.text, fitting.scoring.file);
    }
  }

  const report: EvaluationReport = {
    asOf: session.asOf,
    dates,
    horizonDays,
    candidate: candidate?.from,
    warnings: Object.entries(targets).flatMap(([name, t]) => dataWarnings(name, t, data.targets[name], dates, session.asOf, horizonDays)),
    targets: {},
    suggestion,
  };
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

/**
 * Backtest dates the data cannot answer: a date with no records (before the data starts), and
 * an --as-of well past the last conversion in the outcomes (left at today while the data ended
 * earlier: the latest horizons then see no conversions).
 */
export function dataWarnings(name: string, target: EvaluateTarget, data: TargetBacktest, dates: string[], asOf: string, horizonDays: number): string[] {
  const warnings: string[] = [];
  const records = new Map<string, number>();
  for (const c of data.cells.current) records.set(c.asOf, (records.get(c.asOf) ?? 0) + c.records);
  const most = Math.max(0, ...records.values());
  const empty = dates.filter((d) => (records.get(d) ?? 0) === 0);
  if (empty.length > 0) warnings.push(`${name}: no records on ${empty.map((d) => d.slice(0, 10)).join(', ')}: ${empty.length === 1 ? 'that date falls' : 'those dates fall'} before the data starts; give fewer --dates`);
  const thin = dates.filter((d) => (records.get(d) ?? 0) > 0 && (records.get(d) ?? 0) < most * 0.2);
  if (thin.length > 0) warnings.push(`${name}: ${thin.map((d) => d.slice(0, 10)).join(', ')} hold${thin.length === 1 ? 's' : ''} under a fifth of the records of the fullest date: near the data's start, such dates speak for few records`);
  const source = target.outcomes.source ?? target.outcomes.model;
  const last = data.outcomeRange.last;
  if (last === null) {
    warnings.push(`${name}: the outcomes (${source}) hold no conversion at all`);
  } else if (Date.parse(asOf) - Date.parse(last) > 7 * 86_400_000) {
    const days = Math.round((Date.parse(asOf) - Date.parse(last)) / 86_400_000);
    const blind = dates.filter((d) => Date.parse(d) > Date.parse(last));
    warnings.push(
      `${name}: the last conversion in ${source} is on ${last.slice(0, 10)}, ${days} days before --as-of ${asOf.slice(0, 10)}: if the data ends there, pass --as-of ${last.slice(0, 10)}${blind.length > 0 ? `; ${blind.length} backtest date${blind.length === 1 ? '' : 's'} fall after it and count no conversion` : `; the ${horizonDays}-day horizons of the latest dates reach past it`}`,
    );
  }
  return warnings;
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

/**
 * Out-of-time split: the later half of the dates is for reporting; fitting uses the earlier
 * dates whose horizon ends by the first reporting date, so no conversion counts in both.
 */
export function splitOutOfTime(dates: string[], horizonDays: number): { train: string[]; test: string[] } {
  const split = trySplit(dates, horizonDays);
  if (split.train.length < MIN_FITTING_DATES || split.test.length === 0) {
    const everyDays = dates.length > 1 ? Math.round((Date.parse(dates[1]) - Date.parse(dates[0])) / 86_400_000) : horizonDays;
    let needed = dates.length + 1;
    const spaced = (n: number) => Array.from({ length: n }, (_, k) => new Date(k * everyDays * 86_400_000).toISOString());
    while (needed < 1000 && trySplit(spaced(needed), horizonDays).train.length < MIN_FITTING_DATES) needed++;
    throw new ConfigError(
      `--suggest fits on the earlier dates whose ${horizonDays}-day horizon ends before the later half begins, and needs ${MIN_FITTING_DATES} of them: ${dates.length} dates ${everyDays} days apart leave ${split.train.length}. Give --dates ${needed} or more (with the history to cover them), or a shorter --horizon.`,
    );
  }
  return split;
}

/** Dates the fit needs at least (one date is one snapshot of the population: too easily unlike the later ones). */
const MIN_FITTING_DATES = 2;

function trySplit(dates: string[], horizonDays: number): { train: string[]; test: string[] } {
  const test = dates.slice(Math.ceil(dates.length / 2));
  const first = Date.parse(test[0] ?? '');
  const train = dates.filter((d) => Date.parse(d) + horizonDays * 86_400_000 <= first);
  return { train, test };
}

interface SuggestPlan {
  /** The targets with a suggest: block. */
  targets: Record<string, EvaluateTarget>;
  /** The scoring model they fit, its text, and the probe built from it. */
  scoring: Model;
  text: string;
  probe: Model;
  /** Target → its layer columns. */
  features: Record<string, string[]>;
}

async function planSuggestion(session: Session, models: Model[], targets: Record<string, EvaluateTarget>): Promise<SuggestPlan> {
  const fitting = Object.entries(targets).filter(([, t]) => t.suggest);
  if (fitting.length === 0) throw new ConfigError(`--suggest: no evaluate target in ${session.project.configFile} has a suggest: block (see evaluate: in the demo project's pqlsync.yml, ${shippedDemoConfig()})`);
  const modelNames = new Set(fitting.map(([, t]) => t.suggest!.model));
  if (modelNames.size > 1) throw new ConfigError(`--suggest: the targets' suggest blocks name different models (${[...modelNames].join(', ')}); fit one with --target`);
  const name = [...modelNames][0];
  const scoring = models.find((m) => m.name === name);
  if (!scoring) throw new ConfigError(`evaluate.targets.*.suggest.model: no model named '${name}'`);
  const text = await readFile(path.resolve(session.project.root, scoring.file), 'utf8');
  let probeText = text;
  for (const [, t] of fitting) probeText = probeModelText(probeText, t.suggest!, scoring.file);
  return {
    targets: Object.fromEntries(fitting),
    scoring,
    text,
    probe: parseModelFile(probeText, `${scoring.file} (probe)`, name),
    features: Object.fromEntries(fitting.map(([n, t]) => [n, Object.keys(t.suggest!.features)])),
  };
}

async function suggestFromOutcomes(
  session: Session,
  models: Model[],
  plan: SuggestPlan,
  train: string[],
  horizonDays: number,
  options: EvaluateOptions,
): Promise<{ suggestion: NonNullable<EvaluationReport['suggestion']>; candidate: { model: Model; from: string } }> {
  const data = await runBacktest({
    warehouse: session.warehouse,
    models,
    ctx: compileContext(session),
    targets: plan.targets,
    dates: train,
    horizonDays,
    features: plan.features,
    probe: plan.probe,
    onProgress: options.onProgress,
  });
  const started = performance.now();
  const suggestions = Object.entries(plan.targets).map(([n, t]) => suggestPoints(n, t.suggest!, data.targets[n].patterns, plan.text, plan.scoring.file, { pqlsPerWeek: session.project.config.handoff?.capacity?.pqls_per_week }));
  const fitMs = performance.now() - started;
  const name = plan.scoring.name;
  const note = `Suggested by pqlsync evaluate --suggest: fitted on ${train.length} dates from ${train[0].slice(0, 10)} to ${train[train.length - 1].slice(0, 10)} (${horizonDays}-day horizon).`;
  const out = path.resolve(options.suggestOut ?? path.join(outputDir(session.project), `${name}.suggested.sql`));
  const suggested = applySuggestions(plan.text, suggestions, note);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, suggested);
  return {
    suggestion: { fittedOn: train, file: out, fitMs, targets: suggestions },
    candidate: { model: parseModelFile(suggested, out, name), from: out },
  };
}
