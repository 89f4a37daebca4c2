/**
 * Builds one incremental model (see src/compile/incremental-sql.ts for its two tables).
 *
 * A run as of `as_of` with lookback L has the fold cutoff `as_of - L days`:
 * - events at or before the cutoff are final: those that became final since the last run
 *   (after the last cutoff, up to this one) are folded into `m__kept`, once;
 * - events after the cutoff are recomputed every run and merged with `m__kept` into `m`.
 * A late event is exact when it lands in the warehouse before the cutoff passes it (within L
 * days of its time); one that lands later is missed until `--full-refresh`.
 * A full rebuild happens on the first build, with `--full-refresh`, when the checksum of the
 * model (its compiled SQL and header, and those of every model upstream) changed, when
 * `as_of` is earlier than the last build's, or when a table is missing.
 */
import { createHash } from 'node:crypto';
import type { TableName, Warehouse } from '../../connectors/warehouse.ts';
import { compileModelMapped, type CompileContext, type CompiledModel } from '../compile/compile-model.ts';
import { deleteMatching, foldSelect, incrementalColumns, incrementalTables, insertSelect, mergeSelect, refillSelect } from '../compile/incremental-sql.ts';
import { ModelError } from '../../contracts/errors.ts';
import type { IncrementalConfig, Model } from '../project/model-file.ts';
import type { ModelWatermarks } from '../state/model-watermarks.ts';

export interface IncrementalOutcome {
  mode: 'full' | 'incremental';
  /** Why a full rebuild ran ('first build', 'full refresh', 'model changed', …); absent when incremental. */
  reason?: string;
  /** ISO instants: the events this build folded into the kept table (`after` < t <= `until`; no `after`: all). */
  folded: { after?: string; until: string } | null;
}

type OnError = (error: unknown, statement: string, sql: string, fileLine: CompiledModel['fileLine']) => ModelError;

export async function buildIncremental(
  warehouse: Warehouse,
  model: Model,
  ctx: CompileContext,
  options: { watermarks?: ModelWatermarks; fullRefresh: boolean; allModels: Model[]; onError: OnError },
): Promise<IncrementalOutcome> {
  const config = model.header.incremental!;
  const { dialect } = warehouse;
  const table = { schema: ctx.modelsSchema, name: model.name };
  const { kept, fresh, recent: recentTable, delta, refill } = incrementalTables(table);
  const checksum = modelChecksum(model, ctx, options.allModels);
  const asOf = new Date(ctx.asOf).toISOString();
  const cutoff = new Date(Date.parse(asOf) - config.lookback_days * 86_400_000).toISOString();

  const run = async (statement: string, compiled?: CompiledModel): Promise<void> => {
    try {
      await warehouse.execute(statement);
    } catch (error) {
      throw options.onError(error, statement, compiled?.sql ?? '', compiled?.fileLine ?? (() => model.bodyStartLine));
    }
  };

  const { watermarks } = options;
  await watermarks?.ensureTable();
  const last = await watermarks?.read(model.name);
  const reason = !watermarks
    ? 'no watermark store'
    : options.fullRefresh
    ? 'full refresh'
    : !last
      ? 'first build'
      : last.checksum !== checksum
        ? 'model changed'
        : Date.parse(asOf) < Date.parse(last.asOf)
          ? `as_of ${asOf} is earlier than the last build's (${last.asOf})`
          : !(await warehouse.describe(kept)) || !(await warehouse.describe(table))
            ? 'a table is missing'
            : undefined;

  const recent = compileModelMapped(model, { ...ctx, timeRange: { after: cutoff, until: asOf } });
  const columns = incrementalColumns(config).map(dialect.quote).join(', ');
  const inTx: string[] = [];
  const scratch: TableName[] = [];
  let folded: IncrementalOutcome['folded'];
  if (reason !== undefined) {
    // Forget the watermark first: a crash before the new one is written means a full rebuild again.
    if (last) await watermarks!.clear(warehouse, model.name);
    const all = compileModelMapped(model, { ...ctx, timeRange: { until: cutoff } });
    await run(dialect.createTableAs(kept, all.sql, 'table'), all);
    await assertColumns(warehouse, model, config, kept);
    await run(dialect.createTableAs(table, `select * from ${dialect.table(kept)} where 1 = 0`, 'table'));
    inTx.push(insertSelect(dialect, config, table, mergeSelect(dialect, config, [dialect.table(kept), recent.sql])));
    folded = { until: cutoff };
  } else {
    // Only keys with an event after the last cutoff can change (events are appended, and a late
    // one lands before the cutoff passes it): those in the newly final range, and those in the
    // recent range. Everything is computed outside the transaction into scratch tables; the
    // transaction only moves rows (BigQuery runs it as one script and cannot read inside it).
    const after = last!.foldedUntil;
    const freshSql = compileModelMapped(model, { ...ctx, timeRange: { after, until: cutoff } }); // empty when the cutoff did not move
    await run(dialect.createTableAs(fresh, freshSql.sql, 'table'), freshSql);
    await run(dialect.createTableAs(recentTable, recent.sql, 'table'), recent);
    await run(dialect.createTableAs(delta, foldSelect(dialect, config, kept, fresh), 'table'));
    await run(dialect.createTableAs(refill, refillSelect(dialect, config, kept, fresh, recentTable), 'table'));
    scratch.push(fresh, recentTable, delta, refill);
    inTx.push(
      deleteMatching(dialect, config, kept, delta),
      insertSelect(dialect, config, kept, `select ${columns} from ${dialect.table(delta)}`),
      deleteMatching(dialect, config, table, refill),
      insertSelect(dialect, config, table, `select ${columns} from ${dialect.table(refill)}`),
    );
    folded = Date.parse(cutoff) > Date.parse(after) ? { after, until: cutoff } : null;
  }

  let current = '';
  try {
    await warehouse.transaction(async (tx) => {
      for (const statement of inTx) {
        current = statement;
        await tx.execute(statement);
      }
      current = '';
      await watermarks?.write(tx, { model: model.name, checksum, asOf, foldedUntil: folded?.until ?? last!.foldedUntil });
    });
  } catch (error) {
    if (error instanceof ModelError) throw error;
    throw options.onError(error, current, recent.sql, recent.fileLine);
  }
  for (const t of scratch) await run(`drop table if exists ${dialect.table(t)}`);
  return reason !== undefined ? { mode: 'full', reason, folded } : { mode: 'incremental', folded };
}

/**
 * What an incremental model was built from: its header, its SQL compiled for this warehouse
 * (with fixed instants, so only a change of the model, the dialect, the schemas or the
 * sources changes it), and the same for every model upstream of it.
 */
export function modelChecksum(model: Model, ctx: CompileContext, allModels: Model[]): string {
  const byName = new Map(allModels.map((m) => [m.name, m]));
  const fixed: CompileContext = { ...ctx, asOf: '2000-01-01T00:00:00.000Z', timeRange: { after: '1999-01-01T00:00:00.000Z', until: '2000-01-01T00:00:00.000Z' } };
  const hash = createHash('sha256').update(ctx.dialect.name);
  const seen = new Set<string>();
  const visit = (m: Model): void => {
    if (seen.has(m.name)) return;
    seen.add(m.name);
    hash.update(`\n-- ${m.name}\n${JSON.stringify(m.header)}\n${compileModelMapped(m, fixed).sql}`);
    for (const ref of m.refs) {
      const upstream = byName.get(ref.name);
      if (upstream) visit(upstream);
    }
  };
  visit(model);
  return hash.digest('hex');
}

async function assertColumns(warehouse: Warehouse, model: Model, config: IncrementalConfig, kept: { schema: string; name: string }): Promise<void> {
  const described = await warehouse.describe(kept);
  const actual = (described ?? []).map((c) => c.name.toLowerCase()).sort();
  const declared = incrementalColumns(config).sort();
  if (actual.join(',') !== declared.join(',')) {
    const missing = declared.filter((c) => !actual.includes(c));
    const extra = actual.filter((c) => !declared.includes(c));
    throw new ModelError(
      `${model.file}: the SELECT's columns must be the incremental key and the merged columns, each once.` +
        (extra.length ? ` Not in incremental.key or incremental.merge: ${extra.join(', ')} (add a merge rule: sum, min, max or any).` : '') +
        (missing.length ? ` Declared but not selected: ${missing.join(', ')}.` : ''),
      model.file,
    );
  }
}
