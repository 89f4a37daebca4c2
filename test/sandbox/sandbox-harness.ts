/**
 * What every sandbox test needs: a sandbox, the real HubSpot client pointed
 * at it (no client-side retries or limiter, as pqlsync runs it), and a way to
 * look at a failure without caring which generated ApiException class it is.
 */
import { Client } from '@hubspot/api-client';
import { afterEach } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../connectors/hubspot/sandbox/index.ts';

export interface CaughtError {
  code?: number;
  body?: any;
  headers?: Record<string, string>;
  message: string;
  name?: string;
}

const running: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.stop()));
});

/** Starts a sandbox that is stopped after the test. */
export async function openSandbox(options: SandboxOptions = {}): Promise<{ sandbox: Sandbox; client: Client }> {
  const sandbox = await startSandbox(options);
  running.push(sandbox);
  return { sandbox, client: createClient(sandbox, options.accessToken ?? 'x') };
}

export function createClient(sandbox: Sandbox, accessToken = 'x'): Client {
  return new Client({ accessToken, basePath: sandbox.url, numberOfApiCallRetries: 0 });
}

/** Awaits a call expected to fail and returns what it threw. */
export async function catchFailure(promise: Promise<unknown>): Promise<CaughtError> {
  try {
    await promise;
  } catch (error) {
    return error as CaughtError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A raw request, for what the client hides (headers on success, bodies it cannot parse). */
export async function sendRaw(
  sandbox: Sandbox,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { Authorization: 'Bearer x' },
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.startsWith('application/json');
  return { status: response.status, headers: response.headers, body: isJson && text ? JSON.parse(text) : text };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
