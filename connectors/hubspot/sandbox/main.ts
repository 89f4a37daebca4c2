/**
 * Starts a sandbox for poking with curl:
 *   npm run sandbox -- --port 4010 --tier 190 --window-ms 10000 [--search-lag-ms 2000] [--auto-create-companies]
 * Flags fall back to SANDBOX_PORT, SANDBOX_TIER, SANDBOX_WINDOW_MS and
 * SANDBOX_ACCESS_TOKEN. Runs until interrupted.
 */
import { parseArgs } from 'node:util';
import { startSandbox } from './server.ts';

const TIERS = new Set([100, 190]);

async function runSandboxCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      tier: { type: 'string' },
      'window-ms': { type: 'string' },
      'access-token': { type: 'string' },
      'search-lag-ms': { type: 'string' },
      'auto-create-companies': { type: 'boolean', default: false },
      'portal-id': { type: 'string' },
    },
  });
  const port = readInteger(values.port ?? process.env.SANDBOX_PORT, 'port', 0);
  const tier = readInteger(values.tier ?? process.env.SANDBOX_TIER, 'tier', 100);
  if (!TIERS.has(tier)) throw new Error(`--tier must be 100 or 190 (requests per 10 s), got ${tier}.`);
  const windowMs = readInteger(values['window-ms'] ?? process.env.SANDBOX_WINDOW_MS, 'window-ms', 10_000);
  const accessToken = values['access-token'] ?? process.env.SANDBOX_ACCESS_TOKEN;

  const searchLagMs = readInteger(values['search-lag-ms'], 'search-lag-ms', 0);
  const portalId = values['portal-id'] === undefined ? undefined : readInteger(values['portal-id'], 'portal-id', 0);
  const sandbox = await startSandbox({ port, requestsPer10s: tier, windowMs, accessToken, searchLagMs, autoCreateCompanies: values['auto-create-companies'], portalId });
  console.log(`HubSpot sandbox (portal ${sandbox.portalId}) listening on ${sandbox.url} (${tier} requests per ${windowMs} ms window)`);
  console.log(`Try: curl -s -H 'Authorization: Bearer x' ${sandbox.url}/crm/v3/properties/contacts`);
  const stop = () => {
    sandbox.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function readInteger(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got "${raw}".`);
  return value;
}

runSandboxCli(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
