/**
 * Doctor's compile check: every model compiled and handed to the engine without building it.
 * Each model becomes a view in a throwaway schema, in dependency order, so its `ref()`s resolve
 * to its upstream models' views: the engine binds the whole SELECT (syntax, tables, columns,
 * functions, types) as it would in a build, yet reads no rows. The views' columns are what the
 * built tables will have. The schema is dropped at the end, whatever happened.
 */
import { randomBytes } from 'node:crypto';
import type { ColumnInfo, TableName, Warehouse } from '../../connectors/warehouse.ts';
import { compileModelMapped } from '../compile/compile-model.ts';
import type { Model } from '../project/model-file.ts';
import { modelSqlError } from '../run/build-models.ts';

export interface CompiledModels {
  /** Output columns of each model that compiled (lower case). */
  columns: Map<string, string[]>;
  /** The same with the engine's type of each. */
  described: Map<string, ColumnInfo[]>;
  /** The models the engine refused, each with the message naming its file (and line). */
  failures: Array<{ model: string; file: string; message: string }>;
  /** Models not tried because a model they depend on failed. */
  blocked: Array<{ model: string; by: string }>;
}

export async function compileModelsAsViews(
  warehouse: Warehouse,
  models: Model[],
  context: { sources: Record<string, TableName>; asOf: string },
): Promise<CompiledModels> {
  const { dialect } = warehouse;
  const schema = `pqlsync_doctor_${randomBytes(4).toString('hex')}`;
  const result: CompiledModels = { columns: new Map(), described: new Map(), failures: [], blocked: [] };
  const failedOrBlocked = new Map<string, string>();
  await warehouse.execute(dialect.createSchema(schema));
  try {
    // `models` is in build order: a model's refs come before it.
    for (const model of models) {
      const upstream = model.refs.find((r) => failedOrBlocked.has(r.name));
      if (upstream) {
        result.blocked.push({ model: model.name, by: failedOrBlocked.get(upstream.name)! });
        failedOrBlocked.set(model.name, failedOrBlocked.get(upstream.name)!);
        continue;
      }
      const view = { schema, name: model.name };
      let statement = '';
      let compiled: ReturnType<typeof compileModelMapped> | undefined;
      try {
        compiled = compileModelMapped(model, { dialect, modelsSchema: schema, sources: context.sources, asOf: context.asOf });
        statement = dialect.createTableAs(view, compiled.sql, 'view');
        await warehouse.execute(statement);
        const columns = await warehouse.describe(view);
        result.columns.set(model.name, (columns ?? []).map((c) => c.name.toLowerCase()));
        result.described.set(model.name, columns ?? []);
      } catch (error) {
        const message = compiled ? modelSqlError(error, model, statement, compiled.sql, compiled.fileLine, 'compile').message : String((error as Error).message ?? error);
        result.failures.push({ model: model.name, file: model.file, message });
        failedOrBlocked.set(model.name, model.name);
      }
    }
  } finally {
    await warehouse.execute(`drop schema if exists ${dialect.quote(schema)} cascade`).catch(() => undefined);
  }
  return result;
}
