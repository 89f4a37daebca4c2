/**
 * `pqlsync sandbox` as a user starts it: it answers as the portal it names, accepts only the
 * token it prints, prints the exact export line, and stops cleanly (exit 0) on Ctrl-C.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { memoryLogger } from '../helpers/project.ts';

/** Starts `pqlsync sandbox` in-process; resolves once it printed its export line. */
function startSandboxCommand(args: string[]) {
  const stop = new AbortController();
  const lines: string[] = [];
  let started: (event: any) => void;
  const ready = new Promise<any>((resolve) => (started = resolve));
  const sink = {
    write: (chunk: string) => {
      lines.push(chunk);
      for (const line of chunk.split('\n').filter(Boolean)) if (JSON.parse(line).event === 'sandbox_env') started(JSON.parse(line));
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const done = runCli(['sandbox', '--port', '0', '--json', ...args], { env: {}, out: sink, err: sink, signal: stop.signal });
  return { ready: Promise.race([ready, done.then((code) => Promise.reject(new Error(`exited ${code}: ${lines.join('')}`)))]), done, stop: () => stop.abort(), lines };
}

describe('pqlsync sandbox', () => {
  it('prints the export line, answers as its portal with that token only, and exits 0 on Ctrl-C', async () => {
    const sandbox = startSandboxCommand(['--portal-id', '4242', '--access-token', 'pat-walkthrough']);
    const { exports } = await sandbox.ready;
    const match = /^export HUBSPOT_BASE_PATH=(http:\/\/127\.0\.0\.1:\d+) HUBSPOT_ACCESS_TOKEN=(\S+)$/.exec(exports);
    expect(match, exports).not.toBeNull();
    const [, url, token] = match!;
    expect(token).toBe('pat-walkthrough');
    const started = sandbox.lines.map((l) => JSON.parse(l)).find((e) => e.event === 'sandbox_started');
    expect(started).toMatchObject({ url, portal_id: 4242 });

    const account = await fetch(`${url}/account-info/v3/details`, { headers: { authorization: `Bearer ${token}` } });
    expect(account.status).toBe(200);
    expect((await account.json()).portalId).toBe(4242);
    const wrong = await fetch(`${url}/crm/v3/properties/contacts`, { headers: { authorization: 'Bearer another-token' } });
    expect(wrong.status).toBe(401);

    sandbox.stop();
    expect(await sandbox.done).toBe(EXIT.ok);
    await expect(fetch(`${url}/account-info/v3/details`)).rejects.toThrow();
  });

  it('--unique-on-tasks no: the portal refuses a unique-value task property, as pqlsync must then cope with', async () => {
    const sandbox = startSandboxCommand(['--unique-on-tasks', 'no']);
    const { exports } = await sandbox.ready;
    const [, url, token] = /HUBSPOT_BASE_PATH=(\S+) HUBSPOT_ACCESS_TOKEN=(\S+)/.exec(exports)!;
    const create = (object: string, groupName: string) =>
      fetch(`${url}/crm/v3/properties/${object}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'pqlsync_key', label: 'k', type: 'string', fieldType: 'text', groupName, hasUniqueValue: true }),
      });
    expect((await create('tasks', 'taskinformation')).status).toBe(400);
    expect((await create('deals', 'dealinformation')).status).toBe(201);
    sandbox.stop();
    expect(await sandbox.done).toBe(EXIT.ok);
  });

  it('a tier HubSpot does not sell is a usage error (exit 2), and nothing listens', async () => {
    const out = memoryLogger();
    const code = await runCli(['sandbox', '--port', '0', '--tier', '150'], { env: {}, out: out.sink, err: out.sink });
    expect(code).toBe(EXIT.config);
    expect(out.lines.join('')).toContain('--tier must be 100 or 190');
  });
});
