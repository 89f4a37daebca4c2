import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { driverInstallCommand, warehouses } from '../../connectors/registry.ts';
import { parseProject } from '../config/load-project.ts';
import { withoutHandoff } from '../handoff/without-handoff.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { packageVersion, shippedDemoConfig, shippedDemoDir } from '../util/package-root.ts';
import { SOURCE_SPECS, type SourceSpec } from './source-columns.ts';

import { WAREHOUSE_TYPES, type WarehouseType } from './warehouse-types.ts';

export { WAREHOUSE_TYPES, type WarehouseType };

/** One source as the user has it: its table, and their column name for each column pqlsync reads. */
export interface UserSource {
  /** schema.table (BigQuery: dataset.table). */
  table: string;
  /** pqlsync's column name → the user's column name; a column left out keeps pqlsync's name. */
  columns: Record<string, string>;
}

export interface InitOptions {
  /** The folder to create the project in (created if missing; must not hold a pqlsync project). */
  dir: string;
  /** The project's name in pqlsync.yml. */
  name: string;
  warehouse: WarehouseType;
  /** DuckDB only: the database file, relative to pqlsync.yml. */
  duckdbPath?: string;
  /** Per source name (users, accounts, events, trials, subscriptions): the user's table and columns. */
  sources: Record<string, UserSource>;
}

export interface ScaffoldFile {
  /** Relative to the project folder, with forward slashes. */
  path: string;
  text: string;
}

// As pqlsync.yml's `sources:` takes it: lower case (unquoted names are case-insensitive on every warehouse pqlsync supports).
const TABLE = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

/** schema.table, as `sources:` takes it. */
export function isTableName(value: string): boolean {
  return TABLE.test(value);
}
const COLUMN = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** The default table of a source when the user names none: raw.<source>, as in the demo. */
export function defaultSource(spec: SourceSpec): UserSource {
  return { table: `raw.${spec.name}`, columns: {} };
}

/**
 * The files of a new project: pqlsync.yml (commented), the shipped models (staging reading the
 * user's tables through one renaming view per source), .gitignore and a scheduled GitHub
 * Actions workflow (at the git repository's root). Reads the shipped models and looks for .git;
 * writes nothing: `writeScaffold` does.
 */
export async function scaffoldFiles(options: InitOptions): Promise<ScaffoldFile[]> {
  checkOptions(options);
  const shippedModels = path.join(shippedDemoDir(), 'models');
  const files: ScaffoldFile[] = [];
  const specs = SOURCE_SPECS;
  const viewOf = new Map(specs.map((s) => [s.name, `src_${s.name}`]));

  for (const file of await listFiles(shippedModels)) {
    let text = await readFile(path.join(shippedModels, file), 'utf8');
    // Staging models read the renaming views instead of the raw source, so they run unchanged.
    text = text.replace(/\{\{\s*source\(\s*'([a-z_][a-z0-9_]*)'\s*\)\s*\}\}/g, (whole, name: string) =>
      viewOf.has(name) ? `{{ ref('${viewOf.get(name)}') }}` : whole,
    );
    files.push({ path: `models/${file}`, text });
  }
  for (const spec of specs) files.push({ path: `models/staging/src_${spec.name}.sql`, text: sourceView(spec, options.sources[spec.name] ?? defaultSource(spec)) });

  const shippedConfig = await readFile(shippedDemoConfig(), 'utf8');
  const config = projectYaml(options, shippedConfig, specs);
  // What init writes must load: a broken template is a bug here, not the user's problem.
  parseProject(config, path.join(options.dir, 'pqlsync.yml'));
  files.push({ path: 'pqlsync.yml', text: config });
  files.push({ path: '.gitignore', text: GITIGNORE });
  // The workflow goes to the repository's root, where GitHub looks for it.
  const repoRoot = gitRoot(options.dir) ?? options.dir;
  const projectPath = path.relative(repoRoot, options.dir).split(path.sep).join('/');
  const workflowFile = path.relative(options.dir, path.join(repoRoot, '.github/workflows/pqlsync.yml')).split(path.sep).join('/');
  files.push({ path: workflowFile, text: workflow(options.warehouse, packageVersion(), projectPath) });
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Writes the files, or none: refuses a folder that already holds a pqlsync.yml or models/, or any file it would replace. */
export async function writeScaffold(dir: string, files: ScaffoldFile[]): Promise<void> {
  for (const existing of ['pqlsync.yml', 'models']) {
    if (existsSync(path.join(dir, existing))) {
      throw new ConfigError(`${path.join(dir, existing)} already exists: pqlsync init creates a new project; choose an empty folder (pqlsync init <dir>)`);
    }
  }
  const taken = files.filter((f) => f.path !== '.gitignore' && existsSync(path.join(dir, f.path))).map((f) => path.join(dir, f.path));
  if (taken.length > 0) throw new ConfigError(`${taken.join(', ')} already exist(s): move them away or init into another folder; nothing was written`);
  for (const file of files) {
    const target = path.join(dir, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    // .gitignore may exist in a repository already: keep it and add what pqlsync needs.
    if (file.path === '.gitignore' && existsSync(target)) {
      const current = await readFile(target, 'utf8');
      await writeFile(target, `${current.replace(/\n?$/, '\n')}\n${file.text}`);
      continue;
    }
    await writeFile(target, file.text, { flag: 'wx' });
  }
}

function checkOptions(options: InitOptions): void {
  const problems: string[] = [];
  if (!(WAREHOUSE_TYPES as readonly string[]).includes(options.warehouse)) problems.push(`--warehouse '${options.warehouse}': one of ${WAREHOUSE_TYPES.join(', ')}`);
  for (const [name, source] of Object.entries(options.sources)) {
    const spec = SOURCE_SPECS.find((s) => s.name === name);
    if (!spec) {
      problems.push(`source '${name}': pqlsync's models read ${SOURCE_SPECS.map((s) => s.name).join(', ')}`);
      continue;
    }
    if (!TABLE.test(source.table)) problems.push(`source '${name}': '${source.table}' is not schema.table (lower case letters, digits, underscores)`);
    for (const [column, theirs] of Object.entries(source.columns)) {
      if (!spec.columns.some((c) => c.name === column)) problems.push(`column '${name}.${column}': the ${name} source has ${spec.columns.map((c) => c.name).join(', ')}`);
      if (!COLUMN.test(theirs)) problems.push(`column '${name}.${column}': '${theirs}' is not a column name`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`pqlsync init:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** The nearest folder at or above `dir` holding .git (a git repository's root), if any. */
function gitRoot(dir: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, '.git'))) return at;
    if (path.dirname(at) === at) return undefined;
  }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), relative)));
    else if (entry.isFile()) out.push(relative);
  }
  return out;
}

function sourceView(spec: SourceSpec, source: UserSource): string {
  const width = Math.max(...spec.columns.map((c) => (source.columns[c.name] ?? c.name).length + 4 + c.name.length));
  const lines = spec.columns.map((c, i) => {
    const theirs = source.columns[c.name] ?? c.name;
    const expr = theirs === c.name ? c.name : `${theirs} as ${c.name}`;
    const comma = i < spec.columns.length - 1 ? ',' : '';
    return `  ${`${expr}${comma}`.padEnd(width + 1)}  -- ${c.describe}`;
  });
  return `/*
materialized: view
description: >
  Your ${spec.name} table (${source.table}: ${spec.describe}), with its columns named as
  pqlsync's staging models read them. Written by pqlsync init: edit the left-hand side when your
  table changes, or cast a column to the type the comment gives.
*/
select
${lines.join('\n')}
from {{ source('${spec.name}') }}
`;
}

function projectYaml(options: InitOptions, shipped: string, specs: SourceSpec[]): string {
  // The destination and the syncs are the shipped demo's, comments and all.
  const at = shipped.search(/^destination:/m);
  if (at < 0) throw new Error("the shipped pqlsync.yml has no 'destination:' block");
  // The handoff routes to the demo's owners: a new project adds it once it names its own.
  const destinationAndSyncs = withoutHandoff(shipped.slice(at));
  // Sources the shipped project declares but no staging model reads (outcomes, for evaluate) are kept, pointed at raw.
  const shippedSources = parseProject(shipped, 'pqlsync.yml').config.sources;
  const sourceLines = specs.map((s) => `  ${s.name}: ${(options.sources[s.name] ?? defaultSource(s)).table}`.padEnd(40) + ` # ${s.describe.split(';')[0]}`);
  const extra = Object.entries(shippedSources)
    .filter(([name]) => !specs.some((s) => s.name === name))
    .map(([name, table]) => `  ${name}: ${table}`.padEnd(40) + ' # not read by the shipped models (point it at your table when you use it)');
  return `# pqlsync project, written by \`pqlsync init\` (pqlsync ${packageVersion()}).
#
# How to read this file, top to bottom:
#   1. where the warehouse is (credentials come from the environment, never from this file);
#   2. where pqlsync builds the models, and where it keeps its own sync state;
#   3. which of your tables the models read: {{ source('users') }} in a model means the table below.
#      Your column names are mapped in models/staging/src_<source>.sql, one small view per source;
#   4. where the rows go (HubSpot), and the syncs: which model feeds which HubSpot object,
#      matched on which key, and which columns become which HubSpot properties.
#
# The scoring (points, caps, thresholds, tiers, decay, hot triggers) lives in
# models/config/scoring_points.sql: one row of named numbers that every scoring model reads.
#
# Next: \`pqlsync doctor\` checks this file, the warehouse and the HubSpot token;
# \`pqlsync run --dry-run\` builds and tests the models and shows what would be sent.

name: ${yamlScalar(options.name)}

${warehouseYaml(options)}
schema: pqlsync_models        # the models are built as tables/views in this schema (BigQuery: dataset)
state_schema: pqlsync          # sync state, run history, row errors and the lock live here
models_path: models            # one .sql file per model, under any subfolder

# Source name (as models write it) → schema.table in your warehouse.
sources:
${[...sourceLines, ...extra].join('\n')}

# A sync can also read a table pqlsync does not build (a dbt model, a view your data team owns):
# write \`relation: schema.table\` instead of \`model:\`, and run pqlsync after \`dbt build\`.

${destinationAndSyncs}`;
}

/** A plain YAML scalar when that is safe, else a quoted one (JSON strings are valid YAML). */
function yamlScalar(value: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(value) ? value : JSON.stringify(value);
}

function warehouseYaml(options: InitOptions): string {
  switch (options.warehouse) {
    case 'duckdb':
      return `# The warehouse: a DuckDB database file holding your source tables.
warehouse:
  type: duckdb
  path: ${yamlScalar(options.duckdbPath ?? 'warehouse.duckdb')}   # relative to this file
`;
    case 'postgres':
      return `# The warehouse: PostgreSQL, reached through PQLSYNC_POSTGRES_URL (or DATABASE_URL) in the
# environment, e.g. postgres://pqlsync:<password>@db.example.com:5432/analytics
warehouse:
  type: postgres
`;
    case 'bigquery':
      return `# The warehouse: BigQuery. Credentials: GOOGLE_APPLICATION_CREDENTIALS (a service account key
# file) or application-default credentials. Datasets play the part of schemas.
warehouse:
  type: bigquery
  # project: my-gcp-project   # the project that runs the jobs; else GOOGLE_CLOUD_PROJECT
  # location: US              # else BIGQUERY_LOCATION
`;
    case 'snowflake':
      return `# The warehouse: Snowflake. The secret comes from the environment: SNOWFLAKE_PRIVATE_KEY_PATH
# (or SNOWFLAKE_PRIVATE_KEY, key-pair authentication) or SNOWFLAKE_PASSWORD.
warehouse:
  type: snowflake
  # account: myorg-myaccount  # else SNOWFLAKE_ACCOUNT
  # user: PQLSYNC             # else SNOWFLAKE_USER
  # database: ANALYTICS       # else SNOWFLAKE_DATABASE
  # warehouse: XS             # else SNOWFLAKE_WAREHOUSE
  # role: PQLSYNC             # else SNOWFLAKE_ROLE
`;
  }
}

const GITIGNORE = `# pqlsync
.pqlsync/
*.duckdb
*.duckdb.wal
node_modules/
.env
`;

/** The repository secrets each warehouse's job needs, as workflow env lines. */
const WAREHOUSE_SECRETS: Record<WarehouseType, string[]> = {
  duckdb: [],
  postgres: ['PQLSYNC_POSTGRES_URL: ${{ secrets.PQLSYNC_POSTGRES_URL }}'],
  bigquery: ['GOOGLE_CLOUD_PROJECT: ${{ vars.GOOGLE_CLOUD_PROJECT }}'],
  snowflake: [
    'SNOWFLAKE_ACCOUNT: ${{ vars.SNOWFLAKE_ACCOUNT }}',
    'SNOWFLAKE_USER: ${{ vars.SNOWFLAKE_USER }}',
    'SNOWFLAKE_DATABASE: ${{ vars.SNOWFLAKE_DATABASE }}',
    'SNOWFLAKE_PRIVATE_KEY: ${{ secrets.SNOWFLAKE_PRIVATE_KEY }}',
  ],
};

/**
 * The scheduled workflow. `projectPath` is the project's folder relative to the repository's root
 * ('' when they are the same): GitHub reads workflows only from the root's .github/workflows.
 */
/** The workflow's reminder that the warehouse's driver belongs in package.json too (none for DuckDB). */
function driverLine(warehouse: WarehouseType): string {
  const driver = warehouses[warehouse].driver;
  return driver ? `\n      # The ${warehouse} driver goes in the same package.json: ${driverInstallCommand(driver)}` : '';
}

function workflow(warehouse: WarehouseType, version: string, projectPath: string): string {
  const workdir = projectPath ? `\n        working-directory: ${projectPath}` : '';
  const env = ['HUBSPOT_ACCESS_TOKEN: ${{ secrets.HUBSPOT_ACCESS_TOKEN }}', ...WAREHOUSE_SECRETS[warehouse]].map((l) => `      ${l}`).join('\n');
  const auth =
    warehouse === 'bigquery'
      ? `      # Sets GOOGLE_APPLICATION_CREDENTIALS from a service account key kept in the repository's secrets.
      - uses: google-github-actions/auth@v2
        with:
          credentials_json: \${{ secrets.GCP_SA_KEY }}
`
      : '';
  const duckdbNote =
    warehouse === 'duckdb'
      ? `# DuckDB: each run starts on a fresh machine, so the database file (with your source tables and
# pqlsync's sync state) must reach the job, for example from a step that downloads it before the
# run and uploads it after. A shared warehouse (postgres, bigquery, snowflake) needs none of that.
`
      : '';
  return `# Scheduled pqlsync run, written by \`pqlsync init\`: build the models, test them, send what
# changed to HubSpot. Secrets come from the repository's settings (Settings → Secrets and
# variables → Actions): HUBSPOT_ACCESS_TOKEN, and your warehouse's.
${duckdbNote}name: pqlsync

on:
  schedule:
    # Every hour at minute 17 (UTC). GitHub may start scheduled runs a few minutes late.
    - cron: '17 * * * *'
  workflow_dispatch: {}

# Runs never overlap: a run that starts while the previous one is still sending waits for it.
concurrency:
  group: pqlsync
  cancel-in-progress: false

permissions:
  contents: read

jobs:
  sync:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    env:
${env}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 22
      # pqlsync as your repository's package.json and package-lock.json pin it (pqlsync ${version}
      # made this project): npm install --save-dev <the pqlsync tarball, committed>, then commit both.${driverLine(warehouse)}
      - name: Install pqlsync
        shell: bash
        run: |
          if [ ! -f package-lock.json ]; then
            echo "::error::no package-lock.json: npm install --save-dev pqlsync (or its tarball), then commit package.json and package-lock.json"
            exit 2
          fi
          npm ci
${auth}      # If your models are built by dbt, build them first in the same job and point the
      # syncs at them with \`relation: schema.table\` in pqlsync.yml:
      # - run: pip install dbt-core dbt-postgres && dbt build
      - name: pqlsync run
        id: run
        shell: bash${workdir}
        run: |
          set +e
          npx pqlsync run --json | tee pqlsync.log
          code=\${PIPESTATUS[0]}
          echo "exit_code=$code" >> "$GITHUB_OUTPUT"
          # 7: the run finished, some rows were rejected and are retried next run: warn, do not fail.
          if [ "$code" -eq 7 ]; then echo "::warning::pqlsync: some rows were rejected (see pqlsync status)"; exit 0; fi
          exit "$code"
      - name: Run summary
        if: always()
        shell: bash${workdir}
        run: |
          {
            echo "### pqlsync run (exit code \${{ steps.run.outputs.exit_code }})"
            echo
            echo '| sync | new | changed | unchanged | removed | sent | failed | requests | seconds |'
            echo '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
            jq -r 'select(.event == "sync_done") | "| \\(.sync) | \\(.new) | \\(.changed) | \\(.unchanged) | \\(.removed) | \\(.sent) | \\(.failed) | \\(.requests) | \\(.ms / 1000) |"' pqlsync.log || true
            jq -r 'select(.level == "error") | "> **error:** \\(.msg)"' pqlsync.log || true
          } >> "$GITHUB_STEP_SUMMARY"
`;
}
