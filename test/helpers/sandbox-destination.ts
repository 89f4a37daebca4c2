/**
 * A HubSpot sandbox and a HubSpot destination pointed at it, for tests that drive the destination
 * directly: the sandbox's window shortened to 1 s and the destination's retries to milliseconds,
 * so rate limits and faults play out in a test's time. Call `stopSandboxes` in an afterEach.
 */
import { createHubSpotDestination, type HubSpotDestinationOptions } from '../../connectors/hubspot/hubspot.destination.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../connectors/hubspot/sandbox/index.ts';

export const SANDBOX_TOKEN = 'pat-na1-test-token-0123456789';

const started: Sandbox[] = [];

export async function sandboxWithDestination(sandboxOptions: SandboxOptions = {}, options: Partial<HubSpotDestinationOptions> = {}) {
  const sandbox = await startSandbox({ accessToken: SANDBOX_TOKEN, requestsPer10s: 100, windowMs: 1000, ...sandboxOptions });
  started.push(sandbox);
  const destination = await createHubSpotDestination({
    accessToken: SANDBOX_TOKEN,
    basePath: sandbox.url,
    groupName: 'pqlsync',
    groupLabel: 'pqlsync',
    requestsPer10s: sandboxOptions.requestsPer10s ?? 100,
    requestsPerDay: 250_000,
    timeoutMs: 2_000,
    retry: { baseDelayMs: 20, maxDelayMs: 200, lockedWaitMs: 50 },
    ...options,
  });
  return { sandbox, destination };
}

export async function stopSandboxes(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.stop()));
}
