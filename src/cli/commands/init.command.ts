import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Argv } from 'yargs';
import { ConfigError } from '../../../contracts/errors.ts';
import type { askInitOptions } from '../../init/ask-options.ts';
import type { InitOptions, UserSource } from '../../init/scaffold.ts';
import { WAREHOUSE_TYPES, type WarehouseType } from '../../init/warehouse-types.ts';
import { loggerFor, reportError, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

interface InitArgs extends GlobalArgs {
  dir: string;
  warehouse?: string;
  name?: string;
  duckdbPath?: string;
  source?: string[];
  column?: string[];
  yes: boolean;
}

export function initCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'init [dir]',
    describe: 'Create a pqlsync project in your repository: pqlsync.yml, the scoring models on your tables, a scheduled workflow',
    builder: (y: Argv) =>
      y
        .positional('dir', { type: 'string', default: '.', describe: 'Folder of the new project (created if missing)' })
        .option('warehouse', { type: 'string', choices: [...WAREHOUSE_TYPES], describe: 'Where your product data lives (default: duckdb)' })
        .option('name', { type: 'string', describe: "The project's name (default: the folder's name)" })
        .option('duckdb-path', { type: 'string', describe: 'DuckDB: the database file, relative to the project (default: warehouse.duckdb)' })
        .option('source', {
          type: 'string',
          array: true,
          describe: 'Your table for a source: users=analytics.app_users (sources: users, accounts, events, trials, subscriptions; default raw.<source>)',
        })
        .option('column', { type: 'string', array: true, describe: "Your name for a column pqlsync reads: users.email=email_address (default: pqlsync's name)" })
        .option('yes', { type: 'boolean', default: false, describe: 'Ask nothing: take the flags and the defaults (the default off a terminal)' })
        .example('$0 init analytics/pqlsync --warehouse postgres --source users=app.users --column users.signup_at=created_at', '')
        .example('$0 init myproject --warehouse duckdb --yes', ''),
    handler: async (args: InitArgs) => {
      const log = loggerFor(args, io);
      try {
        const dir = path.resolve(args.dir);
        const given = {
          dir,
          name: args.name ?? (path.basename(dir).replace(/[^A-Za-z0-9_-]+/g, '-') || 'pqlsync'),
          warehouse: (args.warehouse ?? 'duckdb') as WarehouseType,
          warehouseGiven: args.warehouse !== undefined,
          duckdbPath: args.duckdbPath,
          sources: parseSources(args.source ?? [], args.column ?? []),
          tablesGiven: (args.source ?? []).map((flag) => flag.split('=')[0].trim()),
        };
        const input = process.stdin;
        const interactive = !args.yes && !args.json && input.isTTY === true && (io.out as NodeJS.WriteStream).isTTY === true;
        const options: InitOptions = interactive ? await askOnTerminal(given, input, io.out) : given;
        const { scaffoldFiles, writeScaffold } = await import('../../init/scaffold.ts');
        const files = await scaffoldFiles(options);
        await writeScaffold(dir, files);
        // The warehouse's driver is an optional peer of pqlsync: init names the one command that adds
        // it (to the user's package.json, where the scheduled workflow's npm ci finds it), and runs no
        // install itself (docs/warehouses.md, "Drivers").
        const { driverInstallCommand, driverInstalled, warehouses } = await import('../../../connectors/registry.ts');
        const driver = warehouses[options.warehouse].driver;
        const install = driver && !driverInstalled(driver) ? driverInstallCommand(driver) : undefined;
        log.info(`Created a pqlsync project in ${dir} (${options.warehouse}): ${files.length} files`, {
          event: 'init_done',
          dir,
          warehouse: options.warehouse,
          files: files.map((f) => f.path),
          ...(install ? { install } : {}),
        });
        if (!log.json) {
          log.info(
            [
              '',
              'Next:',
              `  cd ${path.relative(process.cwd(), dir) || '.'}`,
              ...(install ? [`  ${install.padEnd(37)}# the ${options.warehouse} driver, beside pqlsync (not installed yet)`] : []),
              '  edit models/staging/src_*.sql if a column needs a cast, and pqlsync.yml for the syncs',
              '  export HUBSPOT_ACCESS_TOKEN=pat-...   # a private app token; never in pqlsync.yml',
              '  npx pqlsync doctor                    # checks the config, the warehouse and the token',
              '  npx pqlsync run --dry-run             # builds, tests, and shows what would be sent',
              `  commit the project; ${path.relative(process.cwd(), path.join(dir, files.find((f) => f.path.endsWith('workflows/pqlsync.yml'))?.path ?? ''))} runs it every hour`,
              "  (with pqlsync in your repository's package.json and package-lock.json: the workflow installs it with npm ci)",
            ].join('\n'),
          );
        }
      } catch (error) {
        exit.code = reportError(log, error, io.env);
      }
    },
  };
}

/** `--source users=schema.table` and `--column users.email=email_address` into sources. */
export function parseSources(sourceFlags: string[], columnFlags: string[]): Record<string, UserSource> {
  const sources: Record<string, UserSource> = {};
  for (const flag of sourceFlags) {
    const match = /^([a-z_]+)=(.+)$/.exec(flag.trim());
    if (!match) throw new ConfigError(`--source '${flag}': write <source>=<schema.table>, e.g. users=analytics.app_users`);
    sources[match[1]] = { table: match[2], columns: sources[match[1]]?.columns ?? {} };
  }
  for (const flag of columnFlags) {
    const match = /^([a-z_]+)\.([a-z_]+)=(.+)$/.exec(flag.trim());
    if (!match) throw new ConfigError(`--column '${flag}': write <source>.<column>=<your column>, e.g. users.email=email_address`);
    const [, source, column, theirs] = match;
    sources[source] ??= { table: `raw.${source}`, columns: {} };
    sources[source].columns[column] = theirs;
  }
  return sources;
}

async function askOnTerminal(given: Parameters<typeof askInitOptions>[0], input: NodeJS.ReadStream, output: NodeJS.WritableStream): Promise<InitOptions> {
  const { askInitOptions } = await import('../../init/ask-options.ts');
  const rl = createInterface({ input, output });
  try {
    return await askInitOptions(given, async (question, fallback) => (await rl.question(`${question} [${fallback}]: `)) || fallback);
  } catch (error) {
    // Ctrl+D or Ctrl+C at a question.
    if ((error as Error).name === 'AbortError') throw new ConfigError('pqlsync init cancelled: nothing was written');
    throw error;
  } finally {
    rl.close();
  }
}
