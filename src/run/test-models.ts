/**
 * Model tests from the headers (unique, not_null, accepted_values, relationships),
 * run as SQL in the warehouse on the built tables: a count, then a sample of at most
 * five offending values when the count is not zero. Portable SQL only: identifiers go
 * through `dialect.quote` (the header validated them as identifiers), values travel
 * as parameters.
 */
import type { Dialect, Query, Value, Warehouse } from '../../connectors/warehouse.ts';
import type { CompileContext } from '../compile/compile-model.ts';
import { ModelError } from '../../contracts/errors.ts';
import { TEST_THRESHOLD, type Model, type TestSeverity } from '../project/model-file.ts';

export interface ModelTestResult {
  model: string;
  file: string;
  /** e.g. 'unique(user_id)', 'not_null(email)', 'accepted_values(pql_tier)', 'relationships(account_id → accounts.account_id)'. */
  test: string;
  /**
   * Offending count: duplicated values for unique; rows for not_null, accepted_values
   * and relationships. 0 when the test passes.
   */
  failures: number;
  /**
   * Up to 5 offending values: the duplicated values (unique), the unexpected values
   * (accepted_values), the missing parents (relationships), the rows' unique key
   * (not_null, when the model has a key other than the tested column; else empty).
   */
  sample: string[];
  /** Why the test did not run (a relationships test whose parent model is not built, under --select). */
  skipped?: string;
  /**
   * pass; warn (failures met `warn_if`, or the test's severity is warn: reported, the run goes
   * on); error (failures met `error_if`: the run stops before anything is sent).
   */
  status: 'pass' | 'warn' | 'error';
  /** The test's severity and thresholds as the header wrote them (defaults: error, '>0', '>0'). */
  severity: Required<TestSeverity>;
}

const SAMPLE_SIZE = 5;

interface TestQuery {
  test: string;
  /** Count of offending rows or values, as a single column `failures`. */
  count: Query;
  /** Offending values, as a single column `sample_value`; undefined when there is nothing to show. */
  sample?: Query;
  /** The other model a relationships test reads. */
  parent?: string;
  severity: Required<TestSeverity>;
}

/**
 * Runs every test of every model, in model order; returns all results (failures > 0
 * for failing ones). A test that cannot run (e.g. a column that does not exist)
 * throws ModelError naming the model, the test and the file.
 */
export async function testModels(warehouse: Warehouse, models: Model[], ctx: CompileContext): Promise<ModelTestResult[]> {
  const results: ModelTestResult[] = [];
  const testing = new Set(models.map((m) => m.name));
  for (const model of models) {
    for (const q of testQueries(model, warehouse.dialect, ctx.modelsSchema)) {
      // Under --select, a relationships test may point outside the selection: run it only if
      // its parent is built, and say so when it is not (never a silent pass).
      if (q.parent && !testing.has(q.parent) && !(await warehouse.describe({ schema: ctx.modelsSchema, name: q.parent }))) {
        results.push({ model: model.name, file: model.file, test: q.test, failures: 0, sample: [], skipped: `model ${q.parent} is not built`, status: 'pass', severity: q.severity });
        continue;
      }
      try {
        const failures = Number(firstValue(await warehouse.query(q.count)));
        if (!Number.isInteger(failures)) throw new Error(`the count query returned no number`);
        let sample: string[] = [];
        if (failures > 0 && q.sample) {
          sample = (await warehouse.query(q.sample)).map((r) => showValue(Object.values(r)[0]));
        }
        const rows = failures > 0 && usesShare(q.severity) ? await countRows(warehouse, model, ctx) : 0;
        results.push({ model: model.name, file: model.file, test: q.test, failures, sample, status: testStatus(failures, rows, q.severity), severity: q.severity });
      } catch (error) {
        if (error instanceof ModelError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new ModelError(
          `${model.file}: test ${q.test} of model ${model.name} could not run:\n${reason.replace(/^/gm, '  ')}\n  Check the tests in the header against the model's columns, and that the model is built.`,
          model.file,
          { cause: error },
        );
      }
    }
  }
  return results;
}

/** The tests of one model as SQL, in header order: unique, not_null, accepted_values, relationships. */
export function testQueries(model: Model, dialect: Dialect, modelsSchema: string): TestQuery[] {
  const q = dialect.quote;
  const table = dialect.table({ schema: modelsSchema, name: model.name });
  const tests = model.header.tests;
  const key = model.header.unique_key ?? columnOf(tests.unique?.[0]);
  const queries: TestQuery[] = [];

  for (const entry of tests.unique ?? []) {
    const column = columnOf(entry)!;
    const c = q(column);
    const duplicates = `select ${c} as dup from ${table} where ${c} is not null group by ${c} having count(*) > 1`;
    queries.push({
      test: `unique(${column})`,
      severity: severityOf(entry),
      count: `select count(*) as failures from (${duplicates}) as duplicates`,
      sample: `select dup as sample_value from (${duplicates}) as duplicates order by dup limit ${SAMPLE_SIZE}`,
    });
  }

  for (const entry of tests.not_null ?? []) {
    const column = columnOf(entry)!;
    const where = `where ${q(column)} is null`;
    queries.push({
      test: `not_null(${column})`,
      severity: severityOf(entry),
      count: `select count(*) as failures from ${table} ${where}`,
      sample:
        key && key !== column
          ? `select ${q(key)} as sample_value from ${table} ${where} order by ${q(key)} limit ${SAMPLE_SIZE}`
          : undefined,
    });
  }

  for (const [column, entry] of Object.entries(tests.accepted_values ?? {})) {
    const values = Array.isArray(entry) ? entry : entry.values;
    const c = q(column);
    const placeholders = values.map(() => '?').join(', ');
    const where = `where ${c} is not null and ${c} not in (${placeholders})`;
    queries.push({
      test: `accepted_values(${column})`,
      severity: severityOf(Array.isArray(entry) ? {} : entry),
      count: { sql: `select count(*) as failures from ${table} ${where}`, values: values as Value[] },
      sample: {
        sql: `select distinct ${c} as sample_value from ${table} ${where} order by ${c} limit ${SAMPLE_SIZE}`,
        values: values as Value[],
      },
    });
  }

  for (const [column, entry] of Object.entries(tests.relationships ?? {})) {
    const { to, field } = entry;
    const parent = dialect.table({ schema: modelsSchema, name: to });
    const orphans = `from ${table} t_child where t_child.${q(column)} is not null and not exists (select 1 from ${parent} t_parent where t_parent.${q(field)} = t_child.${q(column)})`;
    queries.push({
      test: `relationships(${column} → ${to}.${field})`,
      parent: to,
      severity: severityOf(entry),
      count: `select count(*) as failures ${orphans}`,
      sample: `select distinct t_child.${q(column)} as sample_value ${orphans} order by t_child.${q(column)} limit ${SAMPLE_SIZE}`,
    });
  }
  return queries;
}

function columnOf(entry: string | { column: string } | undefined): string | undefined {
  return typeof entry === 'string' ? entry : entry?.column;
}

function severityOf(entry: string | TestSeverity): Required<TestSeverity> {
  const t = typeof entry === 'string' ? {} : entry;
  return { severity: t.severity ?? 'error', warn_if: t.warn_if ?? '>0', error_if: t.error_if ?? '>0' };
}

function usesShare(s: Required<TestSeverity>): boolean {
  return s.warn_if.trim().endsWith('%') || s.error_if.trim().endsWith('%');
}

async function countRows(warehouse: Warehouse, model: Model, ctx: CompileContext): Promise<number> {
  return Number(firstValue(await warehouse.query(`select count(*) as row_count from ${warehouse.dialect.table({ schema: ctx.modelsSchema, name: model.name })}`)));
}

/** Whether `failures` out of `rows` meet a threshold like '>0', '>=100' or '>1%'. */
export function meetsThreshold(threshold: string, failures: number, rows: number): boolean {
  const match = TEST_THRESHOLD.exec(threshold);
  if (!match) throw new ModelError(`'${threshold}' is not a test threshold: write '>0', '>100' or '>=1%'`);
  const [, op, number, percent] = match;
  const value = percent ? (rows > 0 ? (100 * failures) / rows : 0) : failures;
  return op === '>=' ? value >= Number(number) : value > Number(number);
}

/** pass, warn or error for a test's failure count, as dbt decides it. */
export function testStatus(failures: number, rows: number, s: Required<TestSeverity>): ModelTestResult['status'] {
  if (failures === 0) return 'pass';
  if (s.severity === 'error' && meetsThreshold(s.error_if, failures, rows)) return 'error';
  return meetsThreshold(s.warn_if, failures, rows) ? 'warn' : 'pass';
}

/**
 * The single value of a one-row, one-column result, read by position: engines differ
 * in the case of unquoted aliases (Snowflake answers FAILURES for failures).
 */
function firstValue(rows: Record<string, Value>[]): Value | undefined {
  return rows.length === 1 ? Object.values(rows[0])[0] : undefined;
}

function showValue(value: Value | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** 'stg_users not_null(account_id) (models/staging/stg_users.sql): 3 failing row(s), e.g. u1, u2'. */
export function describeFailure(r: ModelTestResult): string {
  const what = r.test.startsWith('unique(') ? 'duplicated value(s)' : 'failing row(s)';
  const sample = r.sample.length > 0 ? `, e.g. ${r.sample.join(', ')}` : '';
  return `${r.model} ${r.test} (${r.file}): ${r.failures} ${what}${sample}`;
}

/** Throws one ModelError listing each test whose status is error (model, file, sample); warnings do not throw. */
export function assertModelTestsPass(results: ModelTestResult[]): void {
  const failing = results.filter((r) => r.status === 'error');
  if (failing.length === 0) return;
  const lines = failing.map((r) => `  - ${describeFailure(r)}`);
  throw new ModelError(
    `${failing.length} model test(s) failed:\n${lines.join('\n')}\nFix the models (or their data) so the tests in their headers hold; where such rows are expected, give the test severity: warn or an error_if threshold in the model's header.`,
    failing[0].file,
  );
}
