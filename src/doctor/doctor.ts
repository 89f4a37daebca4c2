/**
 * `pqlsync doctor`, as dbt's `debug`, checks what `run` will need: the config and the models load,
 * the warehouse answers and has the tables the models read, every model compiles (the engine binds
 * it without building it), every mapped column is in its model's output, the sources' time and
 * number columns are not text, the HubSpot token works
 * and has its scopes, no mapping needs a property HubSpot refuses to create, and the token reaches
 * the portal the sync state was delivered to. Each check says what it found and, when it fails,
 * how to fix it. Nothing is sent, and the warehouse keeps nothing: the compile check's views live in
 * a throwaway schema dropped at the end. The token never reaches a message: only HubSpot's answers
 * about it do.
 */
import { MissingDriverError, openWarehouse } from '../../connectors/registry.ts';
import { isTextType, type Warehouse } from '../../connectors/warehouse.ts';
import { loadProject, type Project } from '../config/load-project.ts';
import { SOURCE_SPECS } from '../init/source-columns.ts';
import { syncRelation, type SyncConfig } from '../config/schema.ts';
import { orderModels } from '../project/graph.ts';
import { loadModels, type Model } from '../project/load-models.ts';
import { PqlsyncError } from '../../contracts/errors.ts';
import { HANDOFF_VIEWS } from '../state/handoff-state.ts';
import { StateStore } from '../state/state-store.ts';
import { compileModelsAsViews, type CompiledModels } from './compile-models.ts';
import { checkHubSpot, type HubSpotCheckInput } from './hubspot-checks.ts';
import { checkHandoffActions } from './handoff-checks.ts';

export type CheckStatus = 'ok' | 'failed' | 'skipped';

export interface DoctorCheck {
  check: 'config' | 'models' | 'warehouse' | 'tables' | 'compile' | 'columns' | 'source types' | 'hubspot token' | 'hubspot scopes' | 'properties' | 'task keys' | 'portal' | 'slack token' | 'sequences';
  status: CheckStatus;
  /** What was found, in a sentence. */
  detail: string;
  /** How to fix it, when it failed. */
  fix?: string;
}

export interface DoctorOptions {
  config?: string;
  env: NodeJS.ProcessEnv;
  /** Applies the command line's schema overrides to the loaded project. */
  adjust?: (project: Project) => Project;
  /** HTTP for the HubSpot checks (tests inject a fake); default: global fetch. */
  fetch?: typeof fetch;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const skip = (check: DoctorCheck['check'], why: string) => checks.push({ check, status: 'skipped', detail: why });

  let project: Project | undefined;
  try {
    project = await loadProject(options.config);
    project = options.adjust ? options.adjust(project) : project;
    const syncs = project.config.syncs.map((s) => `${s.name} → ${s.object}`).join(', ');
    checks.push({ check: 'config', status: 'ok', detail: `${project.configFile} loads: project '${project.config.name}', ${project.config.warehouse.type} warehouse, syncs ${syncs}` });
  } catch (error) {
    checks.push({ check: 'config', status: 'failed', detail: messageOf(error), fix: 'the message names the file and key to correct; `pqlsync init` writes a commented pqlsync.yml to start from' });
  }

  let models: Model[] | undefined;
  if (project) {
    try {
      models = orderModels(await loadModels(project.modelsDir, { dialect: project.config.warehouse.type, projectRoot: project.root }), Object.keys(project.sources));
      // The handoff writes the views its syncs read, right before they run.
      const names = new Set([...models.map((m) => m.name), ...(project.config.handoff ? Object.values(HANDOFF_VIEWS) : [])]);
      const unknown = project.config.syncs.filter((s) => !s.relation && !names.has(s.model));
      if (unknown.length > 0) {
        checks.push({
          check: 'models',
          status: 'failed',
          detail: unknown.map((s) => `sync '${s.name}' reads model '${s.model}', which is not in ${project!.modelsDir}`).join('; '),
          fix: 'add the model file, or read a table pqlsync does not build with `relation: schema.table` instead of `model:`',
        });
      } else {
        checks.push({ check: 'models', status: 'ok', detail: `${models.length} models in ${project.modelsDir}; every ref, source and sync model is known, no cycles` });
      }
    } catch (error) {
      checks.push({ check: 'models', status: 'failed', detail: messageOf(error), fix: 'fix the model file the message names' });
    }
  } else skip('models', 'no config');

  let warehouse: Warehouse | undefined;
  let state: HubSpotCheckInput['state'];
  try {
    if (project) {
      try {
        warehouse = await openWarehouse(project.config.warehouse, { projectRoot: project.root, env: options.env });
        await warehouse.query('select 1 as ok');
        checks.push({ check: 'warehouse', status: 'ok', detail: `connected to ${project.config.warehouse.type}` });
      } catch (error) {
        checks.push({ check: 'warehouse', status: 'failed', detail: messageOf(error), fix: error instanceof MissingDriverError ? error.installCommand : WAREHOUSE_FIX[project.config.warehouse.type] });
      }
    } else skip('warehouse', 'no config');

    let tablesOk = false;
    if (project && warehouse) {
      const tables = await checkTables(project, models ?? [], warehouse);
      checks.push(tables);
      tablesOk = tables.status === 'ok';
    } else skip('tables', project ? 'no warehouse connection' : 'no config');

    let compiled: CompiledModels | undefined;
    if (project && warehouse && models && tablesOk) {
      compiled = await compileModelsAsViews(warehouse, models, { sources: project.sources, asOf: new Date().toISOString() });
      checks.push(compileCheck(compiled, models.length, project.config.warehouse.type));
    } else skip('compile', !models ? 'the models did not load' : 'needs the warehouse and the tables the models read');

    if (project && warehouse && compiled) checks.push(await checkColumns(project, compiled, warehouse));
    else skip('columns', 'needs the compiled models');

    if (project && warehouse && models && compiled) {
      const types = await checkSourceTypes(project, models, compiled, warehouse);
      if (types) checks.push(types);
    }

    if (project && warehouse) state = await readBoundAccount(warehouse, project.config.state_schema);
  } finally {
    await warehouse?.close().catch(() => undefined);
  }

  checks.push(...(await checkHubSpot({ project, env: options.env, fetch: options.fetch, state })));
  checks.push(...(await checkHandoffActions({ project, env: options.env, fetch: options.fetch })));
  return checks;
}

function compileCheck(compiled: CompiledModels, total: number, engine: string): DoctorCheck {
  if (compiled.failures.length === 0) {
    return { check: 'compile', status: 'ok', detail: `${total} models compile on ${engine} (each bound by the engine as a view, nothing built)` };
  }
  const blocked = compiled.blocked.length ? `; not compiled, as they depend on a failed model: ${compiled.blocked.map((b) => `${b.model} (on ${b.by})`).join(', ')}` : '';
  return {
    check: 'compile',
    status: 'failed',
    detail: `${compiled.failures.map((f) => f.message).join('\n')}${blocked}`,
    fix: "fix the model's SQL at the file and line named, then run pqlsync doctor again",
  };
}

/** The model columns each sync reads: its key, its mapped columns (the tier column is one) and its association columns. */
function columnsRead(sync: SyncConfig): string[] {
  return [sync.key, ...sync.properties.map((p) => p.column), ...(sync.associations ?? []).map((a) => a.column)];
}

async function checkColumns(project: Project, compiled: CompiledModels, warehouse: Warehouse): Promise<DoctorCheck> {
  const problems: string[] = [];
  let checked = 0;
  const unchecked: string[] = [];
  for (const sync of project.config.syncs) {
    if ((Object.values(HANDOFF_VIEWS) as string[]).includes(sync.model) && !sync.relation) continue;
    const columns = sync.relation
      ? (await warehouse.describe(syncRelation(sync, project.config.schema)))?.map((c) => c.name.toLowerCase())
      : compiled.columns.get(sync.model);
    // Its model failed to compile (reported there), or its relation is missing (reported by tables).
    if (!columns) {
      unchecked.push(sync.name);
      continue;
    }
    checked++;
    const missing = [...new Set(columnsRead(sync))].filter((c) => !columns.includes(c));
    if (missing.length > 0) {
      const from = sync.relation ? `relation ${sync.relation}` : `model ${sync.model}`;
      problems.push(`sync '${sync.name}' reads ${missing.map((c) => `column ${c}`).join(', ')}, which ${from} does not have (it has: ${columns.join(', ')})`);
    }
  }
  if (problems.length > 0) {
    return { check: 'columns', status: 'failed', detail: problems.join('; '), fix: 'rename the column in the sync (key, properties[].column, associations[].column) or add it to the model' };
  }
  const notChecked = unchecked.length ? `not checked (their model did not compile): ${unchecked.join(', ')}` : '';
  if (checked === 0) return { check: 'columns', status: 'skipped', detail: notChecked };
  return { check: 'columns', status: 'ok', detail: `every column ${checked} syncs read is in its model's output${notChecked ? `; ${notChecked}` : ''}` };
}

/**
 * The source columns the shipped models compare as times or add up as numbers (SOURCE_SPECS),
 * where they are text in the warehouse: loaded from CSV or JSON, times often are, and the models
 * then fail to compile with an engine message about types. This names each one, and the cast to
 * write: in the source's `src_<source>` view (`pqlsync init` writes one) or, without one, in a
 * view over the table. Undefined for a project whose sources are not the shipped models' own.
 */
async function checkSourceTypes(project: Project, models: Model[], compiled: CompiledModels, warehouse: Warehouse): Promise<DoctorCheck | undefined> {
  const problems: string[] = [];
  let checked = 0;
  for (const spec of SOURCE_SPECS) {
    const table = project.sources[spec.name];
    if (!table) continue;
    const view = models.find((m) => m.name === `src_${spec.name}`);
    const columns = view ? compiled.described.get(view.name) : await warehouse.describe(table).catch(() => undefined);
    if (!columns) continue;
    const where = view ? view.file : `${table.schema}.${table.name}`;
    for (const column of spec.columns) {
      const found = column.type && columns.find((c) => c.name.toLowerCase() === column.name);
      if (!found) continue;
      checked++;
      if (!isTextType(found.type)) continue;
      const types = warehouse.dialect.types;
      const cast = `cast(${column.name} as ${column.type === 'timestamp' ? types.timestamp : types.float}) as ${column.name}`;
      problems.push(`${where}: ${column.name} is ${found.type}, and the models read it as a ${column.type}: ${view ? `write \`${cast}\` there` : `read the table through a view with \`${cast}\``}`);
    }
  }
  if (checked === 0) return undefined;
  if (problems.length > 0) {
    return { check: 'source types', status: 'failed', detail: problems.join('; '), fix: 'cast each column where it is read (your own column name on the left of `as`), then run pqlsync doctor again' };
  }
  return { check: 'source types', status: 'ok', detail: `the ${checked} time and number columns the models read from your sources have time and number types` };
}

/** The portal the sync state was delivered to; undefined when the state cannot be read. */
async function readBoundAccount(warehouse: Warehouse, schema: string): Promise<HubSpotCheckInput['state']> {
  try {
    return { schema, boundAccount: await new StateStore(warehouse, schema).boundAccount() };
  } catch {
    // No state tables yet (never run): nothing was delivered anywhere.
    return { schema, boundAccount: null };
  }
}

const WAREHOUSE_FIX: Record<string, string> = {
  duckdb: 'check warehouse.path in pqlsync.yml (relative to it), and that no other process holds the file',
  postgres: 'export PQLSYNC_POSTGRES_URL=postgres://user:password@host:5432/database (or DATABASE_URL), and check that the server accepts this user',
  bigquery: 'set GOOGLE_APPLICATION_CREDENTIALS to a service account key file (or use application-default credentials), and warehouse.project or GOOGLE_CLOUD_PROJECT',
  snowflake: 'set warehouse.account/user/database (or SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_DATABASE) and SNOWFLAKE_PRIVATE_KEY_PATH or SNOWFLAKE_PASSWORD',
};

/** The source tables the models read and the relations syncs read, looked up in the warehouse's catalog. */
async function checkTables(project: Project, models: Model[], warehouse: Warehouse): Promise<DoctorCheck> {
  const wanted = new Map<string, { schema: string; name: string; why: string }>();
  for (const source of new Set(models.flatMap((m) => m.sources.map((s) => s.name)))) {
    const table = project.sources[source];
    if (table) wanted.set(`${table.schema}.${table.name}`, { ...table, why: `source '${source}'` });
  }
  for (const sync of project.config.syncs.filter((s) => s.relation)) {
    const table = syncRelation(sync, project.config.schema);
    wanted.set(`${table.schema}.${table.name}`, { ...table, why: `sync '${sync.name}' (relation)` });
  }
  const missing: string[] = [];
  try {
    for (const [name, table] of wanted) if (!(await warehouse.describe(table))) missing.push(`${name} (${table.why})`);
  } catch (error) {
    return { check: 'tables', status: 'failed', detail: messageOf(error), fix: 'grant this user read access to the schemas in pqlsync.yml `sources:`' };
  }
  if (missing.length > 0) {
    return {
      check: 'tables',
      status: 'failed',
      detail: `not found in the warehouse: ${missing.join(', ')}`,
      fix: 'point `sources:` (or the sync\'s `relation:`) in pqlsync.yml at your tables, or load them first (for a relation built by dbt: run dbt build before pqlsync)',
    };
  }
  return { check: 'tables', status: 'ok', detail: `${wanted.size} tables the models and syncs read are there` };
}

function messageOf(error: unknown): string {
  if (error instanceof PqlsyncError || error instanceof Error) return error.message;
  return String(error);
}
