/**
 * `pqlsync doctor`, as dbt's `debug`: loads the config and the models, connects to the warehouse,
 * looks for the tables the models and syncs read, and checks the HubSpot token and its scopes.
 * Each check says what it found and, when it fails, how to fix it. Nothing is written anywhere
 * (the warehouse sees only a `select 1` and lookups in its catalog), and the token never reaches
 * a message: only HubSpot's answers about it do.
 */
import { openWarehouse } from '../../connectors/registry.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { loadProject, type Project } from '../config/load-project.ts';
import { syncRelation } from '../config/schema.ts';
import { orderModels } from '../project/graph.ts';
import { loadModels, type Model } from '../project/load-models.ts';
import { PqlsyncError } from '../errors.ts';

export type CheckStatus = 'ok' | 'failed' | 'skipped';

export interface DoctorCheck {
  check: 'config' | 'models' | 'warehouse' | 'tables' | 'hubspot token' | 'hubspot scopes';
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

/** The scopes pqlsync needs for a HubSpot object: read and write its records and its property schema. */
export function requiredScopes(objects: string[]): string[] {
  return [...new Set(objects)].flatMap((o) => [`crm.objects.${o}.read`, `crm.objects.${o}.write`, `crm.schemas.${o}.read`, `crm.schemas.${o}.write`]);
}

const HUBSPOT_ORIGIN = 'https://api.hubapi.com';
const TIMEOUT_MS = 15_000;

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
      const names = new Set(models.map((m) => m.name));
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
  try {
    if (project) {
      try {
        warehouse = await openWarehouse(project.config.warehouse, { projectRoot: project.root, env: options.env });
        await warehouse.query('select 1 as ok');
        checks.push({ check: 'warehouse', status: 'ok', detail: `connected to ${project.config.warehouse.type}` });
      } catch (error) {
        checks.push({ check: 'warehouse', status: 'failed', detail: messageOf(error), fix: WAREHOUSE_FIX[project.config.warehouse.type] });
      }
    } else skip('warehouse', 'no config');

    if (project && warehouse) checks.push(await checkTables(project, models ?? [], warehouse));
    else skip('tables', project ? 'no warehouse connection' : 'no config');
  } finally {
    await warehouse?.close().catch(() => undefined);
  }

  checks.push(...(await checkHubSpot(project, options)));
  return checks;
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

async function checkHubSpot(project: Project | undefined, options: DoctorOptions): Promise<DoctorCheck[]> {
  const token = options.env.HUBSPOT_ACCESS_TOKEN?.trim();
  if (!token) {
    return [
      {
        check: 'hubspot token',
        status: 'failed',
        detail: 'HUBSPOT_ACCESS_TOKEN is not set',
        fix: 'create a private app in HubSpot (Settings → Integrations → Private apps) and export HUBSPOT_ACCESS_TOKEN=<its token>; never put it in pqlsync.yml',
      },
      { check: 'hubspot scopes', status: 'skipped', detail: 'no token' },
    ];
  }
  const origin = (options.env.HUBSPOT_BASE_PATH || HUBSPOT_ORIGIN).replace(/\/+$/, '');
  const http = options.fetch ?? fetch;
  const objects = project ? [...new Set(project.config.syncs.map((s) => s.object as string))] : ['contacts', 'companies'];
  const needed = requiredScopes(objects);
  const where = origin === HUBSPOT_ORIGIN ? 'HubSpot' : `HubSpot at ${origin}`;

  // A private app's token says which scopes it has (POST /oauth/v2/private-apps/get/access-token-info).
  let granted: string[] | undefined;
  let portal: unknown;
  try {
    const answer = await http(`${origin}/oauth/v2/private-apps/get/access-token-info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tokenKey: token }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (answer.ok) {
      const info = (await answer.json()) as { scopes?: unknown; hubId?: unknown };
      if (Array.isArray(info.scopes)) granted = info.scopes.map(String);
      portal = info.hubId;
    }
  } catch {
    // Not answered: the probes below reach the same endpoints a sync does.
  }

  if (granted) {
    const missing = needed.filter((s) => !granted!.includes(s));
    const known: DoctorCheck = { check: 'hubspot token', status: 'ok', detail: `${where} knows the token (private app${portal ? ` in portal ${portal}` : ''})` };
    if (missing.length > 0) {
      return [
        known,
        {
          check: 'hubspot scopes',
          status: 'failed',
          detail: `the token lacks ${missing.join(', ')} (the syncs write ${objects.join(', ')})`,
          fix: "add those scopes to the private app (Settings → Integrations → Private apps → your app → Scopes), commit the change, and use the app's token",
        },
      ];
    }
    return [known, { check: 'hubspot scopes', status: 'ok', detail: `the token has every scope the syncs need: ${needed.join(', ')}` }];
  }

  // No token info (an OAuth token, an older portal, the sandbox): read what a sync reads first.
  const probes = objects.flatMap((o) => [
    { path: `/crm/v3/properties/${o}`, scope: `crm.schemas.${o}.read` },
    { path: `/crm/v3/objects/${o}?limit=1`, scope: `crm.objects.${o}.read` },
  ]);
  const missing: string[] = [];
  for (const probe of probes) {
    let status: number;
    try {
      const answer = await http(`${origin}${probe.path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      status = answer.status;
      await answer.body?.cancel();
    } catch (error) {
      return [
        { check: 'hubspot token', status: 'failed', detail: `${where} did not answer: ${messageOf(error)}`, fix: 'check the network (and HUBSPOT_BASE_PATH, if you set it)' },
        { check: 'hubspot scopes', status: 'skipped', detail: 'HubSpot unreachable' },
      ];
    }
    if (status === 401) {
      return [
        {
          check: 'hubspot token',
          status: 'failed',
          detail: `${where} rejected the token (401: unknown, revoked or expired)`,
          fix: "copy the token again from the private app's Auth tab (or rotate it) and export HUBSPOT_ACCESS_TOKEN",
        },
        { check: 'hubspot scopes', status: 'skipped', detail: 'the token was rejected' },
      ];
    }
    if (status === 403) missing.push(probe.scope);
    else if (status >= 400) {
      return [
        { check: 'hubspot token', status: 'failed', detail: `${where} answered ${status} to GET ${probe.path.split('?')[0]}`, fix: 'retry later; if it persists, check status.hubspot.com' },
        { check: 'hubspot scopes', status: 'skipped', detail: `HubSpot answered ${status}` },
      ];
    }
  }
  const accepted: DoctorCheck = { check: 'hubspot token', status: 'ok', detail: `${where} accepts the token` };
  if (missing.length > 0) {
    return [
      accepted,
      {
        check: 'hubspot scopes',
        status: 'failed',
        detail: `HubSpot refused reads that need ${missing.join(', ')} (403)`,
        fix: `give the private app the scopes ${needed.join(', ')}`,
      },
    ];
  }
  return [
    accepted,
    {
      check: 'hubspot scopes',
      status: 'ok',
      detail: `reads of ${objects.join(', ')} and their properties are allowed; write scopes (${needed.filter((s) => s.endsWith('.write')).join(', ')}) cannot be checked without writing: HubSpot gave no token info`,
    },
  ];
}

function messageOf(error: unknown): string {
  if (error instanceof PqlsyncError || error instanceof Error) return error.message;
  return String(error);
}
