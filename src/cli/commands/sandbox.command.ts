import type { Argv } from 'yargs';
import { ConfigError } from '../../../contracts/errors.ts';
import { EXIT } from '../exit-codes.ts';
import { loggerFor, reportError, type CliIo, type ExitBox, type GlobalArgs } from '../context.ts';

interface SandboxArgs extends GlobalArgs {
  port: number;
  tier: number;
  windowMs: number;
  accessToken: string;
  portalId?: number;
  searchLagMs: number;
  autoCreateCompanies: boolean;
  uniqueOnTasks: 'yes' | 'no' | 'ignored';
}

/** The rate-limit tiers HubSpot sells: 100 requests per 10 s (Free, Starter) or 190 (Professional, Enterprise). */
const TIERS = [100, 190];

/**
 * `pqlsync sandbox`: the local HubSpot CRM API the demo and the tests use, on its own, until
 * Ctrl-C. It prints the two variables that point pqlsync at it. Its token is not a secret: it is
 * a fixed default so that a walkthrough can be pasted as it is.
 */
export function sandboxCommand(io: CliIo, exit: ExitBox) {
  return {
    command: 'sandbox',
    describe: 'Start a local HubSpot sandbox (an in-memory portal) and print the variables that point pqlsync at it; runs until Ctrl-C',
    builder: (y: Argv) =>
      y
        .option('port', { type: 'number', default: 8123, describe: 'Port on 127.0.0.1 (0: any free port)' })
        .option('tier', { type: 'number', default: 100, describe: 'Requests per 10 s window: 100 (Free/Starter) or 190 (Professional+)' })
        .option('window-ms', { type: 'number', default: 10_000, describe: 'Length of the rate-limit window in ms (shorter: a faster sandbox)' })
        .option('access-token', { type: 'string', default: 'pat-sandbox-local', describe: 'The only token the sandbox accepts' })
        .option('portal-id', { type: 'number', describe: 'The portal id it answers (default: a new one per sandbox)' })
        .option('search-lag-ms', { type: 'number', default: 0, describe: 'How long a write stays invisible to search, as HubSpot search lags' })
        .option('auto-create-companies', { type: 'boolean', default: false, describe: "Create a company from each new contact's email domain, as HubSpot can" })
        .option('unique-on-tasks', {
          choices: ['yes', 'no', 'ignored'] as const,
          default: 'yes' as const,
          describe: 'Whether a task property may have unique values: no refuses the flag (400), ignored drops it silently (docs/hubspot.md, "Tasks and unique values")',
        }),
    handler: async (args: SandboxArgs) => {
      const log = loggerFor(args, io);
      try {
        for (const [flag, value] of [['port', args.port], ['window-ms', args.windowMs], ['search-lag-ms', args.searchLagMs], ['portal-id', args.portalId]] as const) {
          if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new ConfigError(`--${flag} must be a whole number of at least 0`);
        }
        if (!TIERS.includes(args.tier)) throw new ConfigError(`--tier must be 100 or 190 (requests per 10 s), got ${args.tier}`);
        if (args.accessToken.trim() === '') throw new ConfigError('--access-token must not be empty');
        exit.code = await serveSandbox(args, io, log);
      } catch (error) {
        exit.code = reportError(log, error, io.env);
      }
    },
  };
}

async function serveSandbox(args: SandboxArgs, io: CliIo, log: ReturnType<typeof loggerFor>): Promise<number> {
  const { startSandbox } = await import('../../../connectors/hubspot/sandbox/index.ts');
  const sandbox = await startSandbox({
    port: args.port,
    requestsPer10s: args.tier,
    windowMs: args.windowMs,
    accessToken: args.accessToken,
    portalId: args.portalId,
    searchLagMs: args.searchLagMs,
    autoCreateCompanies: args.autoCreateCompanies,
    uniqueOnTasks: args.uniqueOnTasks === 'ignored' ? 'ignored' : args.uniqueOnTasks !== 'no',
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new ConfigError(`port ${args.port} is in use: pass --port <another>, or --port 0 for any free one`);
    throw error;
  });
  const exports = `export HUBSPOT_BASE_PATH=${sandbox.url} HUBSPOT_ACCESS_TOKEN=${args.accessToken}`;
  log.info(`HubSpot sandbox, portal ${sandbox.portalId}, at ${sandbox.url} (${args.tier} requests per ${args.windowMs} ms). In another terminal:`, {
    event: 'sandbox_started',
    url: sandbox.url,
    portal_id: sandbox.portalId,
  });
  log.info(`  ${exports}`, { event: 'sandbox_env', exports });
  log.info('It holds everything in memory: stopping it (Ctrl-C) forgets the portal.');
  await new Promise<void>((resolve) => {
    if (!io.signal || io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await sandbox.stop();
  log.info('Sandbox stopped.', { event: 'sandbox_stopped' });
  return EXIT.ok;
}
