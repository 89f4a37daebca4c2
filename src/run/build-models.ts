/**
 * Builds models inside the warehouse, in the order given (see orderModels):
 * each becomes a table or view in the models schema.
 */
import type { Warehouse } from '../../connectors/warehouse.ts';
import { compileModelMapped, type CompileContext } from '../compile/compile-model.ts';
import { ModelError, PqlsyncError } from '../../contracts/errors.ts';
import type { Model } from '../project/model-file.ts';
import type { ModelWatermarks } from '../state/model-watermarks.ts';
import { engineErrorLine } from './engine-error-line.ts';
import { buildIncremental, type IncrementalOutcome } from './build-incremental.ts';

export interface BuiltModel {
  name: string;
  file: string;
  /**
   * Rows in the built table; -1 when not counted: a view (counting one runs it: for stg_events,
   * a scan of all history every run), or any model built with `countRows: false`.
   */
  rows: number;
  /** Time the build statement took, in milliseconds (the row count excluded). */
  ms: number;
  /** For an incremental model: whether this build folded new events or rebuilt it, and why. */
  incremental?: IncrementalOutcome;
}

export interface BuildOptions {
  /** false: skip the row count (rows -1): a backtest rebuilding the models for many dates has no use for it. */
  countRows?: boolean;
  /** Where incremental models keep their watermarks; without it they are rebuilt in full every time. */
  watermarks?: ModelWatermarks;
  /** Rebuild incremental models from all history (`--full-refresh`). */
  fullRefresh?: boolean;
  /** Every model of the project (default: `models`): an incremental model's checksum covers its upstream. */
  allModels?: Model[];
}

export interface BuildProgress {
  model: string;
  /** 0-based position in `models`. */
  index: number;
  total: number;
  /** Present once the model is built. */
  done?: BuiltModel;
}

/**
 * Creates the models schema if missing, then builds each model with
 * `dialect.createTableAs`, in the order given, stopping at the first failure
 * (models already built stay). `onProgress` is called before each model and again
 * with `done` after it (`countRows: false` skips the count: a backtest rebuilding the models
 * for many dates has no use for it, and a count on a view re-reads its source). A warehouse error becomes a ModelError naming the model's
 * file, and its line when the engine reports one.
 */
export async function buildModels(
  warehouse: Warehouse,
  models: Model[],
  ctx: CompileContext,
  onProgress?: (e: BuildProgress) => void,
  options: BuildOptions = {},
): Promise<BuiltModel[]> {
  const { dialect } = warehouse;
  await warehouse.execute(dialect.createSchema(ctx.modelsSchema));
  const built: BuiltModel[] = [];
  for (const [index, model] of models.entries()) {
    onProgress?.({ model: model.name, index, total: models.length });
    const compiled = compileModelMapped(model, ctx);
    const table = { schema: ctx.modelsSchema, name: model.name };
    const started = performance.now();
    let incremental: IncrementalOutcome | undefined;
    if (model.header.materialized === 'incremental') {
      incremental = await buildIncremental(warehouse, model, ctx, {
        watermarks: options.watermarks,
        fullRefresh: options.fullRefresh ?? false,
        allModels: options.allModels ?? models,
        onError: (error, statement, sql, fileLine) => modelSqlError(error, model, statement, sql, fileLine),
      });
    } else {
      const statement = dialect.createTableAs(table, compiled.sql, model.header.materialized);
      try {
        await warehouse.execute(statement);
      } catch (error) {
        throw modelSqlError(error, model, statement, compiled.sql, compiled.fileLine);
      }
    }
    const ms = Math.round(performance.now() - started);
    let rows = -1;
    if (options.countRows !== false && model.header.materialized !== 'view') {
      try {
        // Read by position: engines differ in the case of unquoted aliases.
        const counted = await warehouse.query(`select count(*) as row_count from ${dialect.table(table)}`);
        rows = Number(Object.values(counted[0] ?? {})[0]);
      } catch (error) {
        throw modelSqlError(error, model, '', compiled.sql, compiled.fileLine);
      }
    }
    const done: BuiltModel = { name: model.name, file: model.file, rows, ms, ...(incremental ? { incremental } : {}) };
    built.push(done);
    onProgress?.({ model: model.name, index, total: models.length, done });
  }
  return built;
}

/**
 * The engine's error on a model's statement as a ModelError naming the model file, and its line
 * when the engine reports one. `step` says what was attempted: a build (the message ends with what
 * to do), or doctor's compile check (whose check says it).
 */
export function modelSqlError(
  error: unknown,
  model: Model,
  statement: string,
  sql: string,
  fileLine: (line: number) => number,
  step: 'build' | 'compile' = 'build',
): ModelError {
  if (error instanceof ModelError) return error;
  // The engine counts lines in the whole statement; the SELECT starts after the DDL around it.
  const at = statement.lastIndexOf(sql);
  const statementLine = at < 0 ? undefined : engineErrorLine(error, statement);
  const prefixLines = statement.slice(0, Math.max(at, 0)).split('\n').length - 1;
  const sqlLine = statementLine === undefined ? undefined : statementLine - prefixLines;
  const where = sqlLine !== undefined && sqlLine >= 1 ? `${model.file}:${fileLine(sqlLine)}` : model.file;
  const reason = error instanceof PqlsyncError || error instanceof Error ? error.message : String(error);
  return new ModelError(
    `${where}: model ${model.name} failed to ${step}:\n${reason.replace(/^/gm, '  ')}${step === 'build' ? "\n  Fix the model's SQL and build again." : ''}`,
    model.file,
    { cause: error },
  );
}
