import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../../contracts/errors.ts';
import type { TableName } from '../../connectors/warehouse.ts';
import { identifier, projectConfig, type ProjectConfig, type SyncConfig } from './schema.ts';
import { validate } from './validate.ts';
import { destinationConfigs } from '../../connectors/registry.ts';
import { orderSyncs } from '../run/sync-order.ts';
import { packageRoot, SHIPPED_DEMO_DIR } from '../util/package-root.ts';

export const CONFIG_FILE = 'pqlsync.yml';

export interface Project {
  /** Folder holding pqlsync.yml. */
  root: string;
  configFile: string;
  config: ProjectConfig;
  modelsDir: string;
  sources: Record<string, TableName>;
}

/**
 * Where pqlsync writes files for the user (the evaluate report, suggested points): .pqlsync/ beside
 * pqlsync.yml, or that folder itself for a config kept in a .pqlsync/ folder (the one `pqlsync demo`
 * leaves), so nothing lands in .pqlsync/.pqlsync/.
 */
export function outputDir(project: Pick<Project, 'root'>): string {
  return path.basename(project.root) === '.pqlsync' ? project.root : path.join(project.root, '.pqlsync');
}

/** Reads and validates pqlsync.yml (default: ./pqlsync.yml); every error names the file and the key path. */
export async function loadProject(configPath?: string): Promise<Project> {
  const configFile = path.resolve(configPath ?? CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch {
    if (configPath === undefined) throw new ConfigError(noProjectHere(path.dirname(configFile)));
    throw new ConfigError(`${configFile} not found: run pqlsync from your project folder or pass --config <path>`);
  }
  return parseProject(text, configFile);
}

/**
 * What to do when a command finds no pqlsync.yml in `dir` and was given no --config: where the
 * demo's project is, when `pqlsync demo` ran here (it leaves .pqlsync/demo.yml beside its
 * database) or when `dir` is pqlsync's own repository (whose demo project is examples/demo).
 */
export function noProjectHere(dir: string): string {
  const hints = ["`pqlsync init` creates a project; `pqlsync demo` runs the one that ships with pqlsync"];
  const demoConfig = path.join('.pqlsync', 'demo.yml');
  const demoConfigHere = existsSync(path.join(dir, demoConfig));
  if (path.resolve(dir) === packageRoot()) {
    const demo = path.join(SHIPPED_DEMO_DIR, CONFIG_FILE);
    hints.unshift(
      demoConfigHere
        ? `this is pqlsync's own repository; the demo (\`npm start\`) left its project here: pass --config ${demoConfig} (the demo project itself is ${demo})`
        : `this is pqlsync's own repository; its demo project is ${demo}: \`npm start\` runs it, then pass --config ${demoConfig} to status, plan or evaluate`,
    );
  } else if (demoConfigHere) {
    hints.unshift(`\`pqlsync demo\` left its project here: pass --config ${demoConfig}`);
  }
  return `No ${CONFIG_FILE} in ${dir}: run pqlsync in your project's folder or pass --config <path to ${CONFIG_FILE}>.\n${hints.map((h) => `  - ${h}`).join('\n')}`;
}

export function parseProject(text: string, configFile: string): Project {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    const first = document.errors[0];
    const line = first.linePos?.[0]?.line;
    throw new ConfigError(`${configFile}${line ? `:${line}` : ''} is not valid YAML: ${first.message.split('\n')[0]}`);
  }
  const config = validate(projectConfig, document.toJS(), { filePath: configFile });
  checkSyncs(config, configFile);
  const root = path.dirname(configFile);
  const sources = Object.fromEntries(
    Object.entries(config.sources).map(([name, table]) => {
      const [schema, tableName] = table.split('.');
      return [name, { schema, name: tableName }];
    }),
  );
  return { root, configFile, config, modelsDir: path.resolve(root, config.models_path), sources };
}

/** Cross-field rules zod cannot express per field. */
function checkSyncs(config: ProjectConfig, file: string): void {
  const problems: string[] = [];
  const names = new Set<string>();
  config.syncs.forEach((sync, i) => {
    if (names.has(sync.name)) problems.push(`syncs.${i}.name: '${sync.name}' is used by two syncs`);
    names.add(sync.name);
    const properties = new Set<string>();
    sync.properties.forEach((p, j) => {
      if (properties.has(p.property)) problems.push(`syncs.${i}.properties.${j}.property: '${p.property}' is mapped twice`);
      properties.add(p.property);
    });
    const tier = sync.guardrails.tier_column;
    if (tier && !sync.properties.some((p) => p.column === tier)) {
      problems.push(`syncs.${i}.guardrails.tier_column: '${tier}' is not one of the sync's mapped columns`);
    }
  });
  // The destination's own rules (HubSpot: pipelines, insert-once, identity properties, associations).
  problems.push(...destinationConfigs[config.destination.type].checkSyncs(config.syncs));
  if (problems.length === 0) {
    try {
      orderSyncs(config.syncs);
    } catch (error) {
      problems.push(`syncs: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** Where a command builds models and keeps state, when a flag or the environment says otherwise than pqlsync.yml. */
export interface SchemaOverrides {
  models?: string;
  state?: string;
  /** Where the values came from, for messages (e.g. '--models-schema'). */
  sources?: { models?: string; state?: string };
}

/**
 * The project with its models schema and state schema replaced (a pull request's plan builds
 * into a schema of its own). Each name is checked as pqlsync.yml's are.
 */
export function withSchemas(project: Project, overrides: SchemaOverrides): Project {
  const check = (value: string | undefined, source: string) => {
    if (value !== undefined && !identifier.safeParse(value).success) {
      throw new ConfigError(`${source} '${value}' is not a schema name pqlsync accepts (lower-case letters, digits, underscores; not starting with a digit)`);
    }
    return value;
  };
  const models = check(overrides.models, overrides.sources?.models ?? 'the models schema');
  const state = check(overrides.state, overrides.sources?.state ?? 'the state schema');
  if (models === undefined && state === undefined) return project;
  return { ...project, config: { ...project.config, schema: models ?? project.config.schema, state_schema: state ?? project.config.state_schema } };
}

/** The project as this invocation sees it: --models-schema / --state-schema, or the environment, win over pqlsync.yml. */
export function projectFor(project: Project, args: { modelsSchema?: string; stateSchema?: string }, env: NodeJS.ProcessEnv): Project {
  const pick = (flag: string | undefined, flagName: string, variable: string) =>
    flag !== undefined ? { value: flag, source: flagName } : env[variable] ? { value: env[variable], source: variable } : undefined;
  const models = pick(args.modelsSchema, '--models-schema', 'PQLSYNC_MODELS_SCHEMA');
  const state = pick(args.stateSchema, '--state-schema', 'PQLSYNC_STATE_SCHEMA');
  return withSchemas(project, { models: models?.value, state: state?.value, sources: { models: models?.source, state: state?.source } });
}

export function findSync(project: Project, name: string): SyncConfig {
  const sync = project.config.syncs.find((s) => s.name === name);
  if (!sync) {
    const known = project.config.syncs.map((s) => s.name).join(', ');
    throw new ConfigError(`No sync named '${name}' in ${project.configFile} (syncs: ${known})`);
  }
  return sync;
}
