/**
 * `pqlsync doctor` on a small project: everything right passes with exit 0; each thing wrong
 * (a missing table, no token, a token HubSpot rejects, a token without a scope, a broken config)
 * fails its own check with a fix and exit 10, and the token never appears in the output.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { memoryLogger } from '../helpers/project.ts';
import { opsFixture, TOKEN, type OpsFixture } from '../helpers/ops-fixture.ts';

let f: OpsFixture;
beforeAll(async () => {
  f = await opsFixture({ users: 20 });
}, 60_000);
afterAll(async () => f?.cleanup());

async function doctor(env: NodeJS.ProcessEnv, args: string[] = []) {
  const r = await f.cli(['doctor', ...args], { env });
  const checks: Record<string, { status: string; detail: string; fix?: string }> = Object.fromEntries(r.events.filter((e) => e.event === 'doctor_check').map((e) => [e.check, e]));
  return { ...r, checks };
}

/** A HubSpot that answers only the private-app token info, with the given scopes. */
async function tokenInfoServer(scopes: string[]): Promise<{ url: string; tokens: string[]; close: () => Promise<void> }> {
  const tokens: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/oauth/v2/private-apps/get/access-token-info') {
        tokens.push(JSON.parse(body).tokenKey);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ userId: 1, hubId: 4242, appId: 7, scopes }));
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tokens, close: () => new Promise((r) => server.close(() => r())) };
}

describe('pqlsync doctor', () => {
  it('passes every check on a sound project against the sandbox, and never prints the token', async () => {
    const r = await doctor(f.env);
    expect(r.code, r.out).toBe(EXIT.ok);
    expect(Object.keys(r.checks)).toEqual(['config', 'models', 'warehouse', 'tables', 'hubspot token', 'hubspot scopes']);
    for (const c of Object.values(r.checks)) expect(c.status, c.detail).toBe('ok');
    // The sandbox has no token-info endpoint: reads were probed, and doctor says writes were not.
    expect(r.checks['hubspot scopes'].detail).toMatch(/write scopes .* cannot be checked without writing/);
    expect(r.out).not.toContain(TOKEN);
  });

  it('a token HubSpot rejects fails with 401 and how to fix it, without echoing it', async () => {
    const wrong = 'pat-na1-wrong-token-0000';
    const r = await doctor({ ...f.env, HUBSPOT_ACCESS_TOKEN: wrong });
    expect(r.code).toBe(EXIT.doctor);
    expect(r.checks['hubspot token']).toMatchObject({ status: 'failed', detail: expect.stringContaining('rejected the token (401') });
    expect(r.checks['hubspot token'].fix).toContain('HUBSPOT_ACCESS_TOKEN');
    expect(r.out).not.toContain(wrong);
  });

  it('no token: fails and says how to get one', async () => {
    const r = await doctor({ HUBSPOT_BASE_PATH: f.env.HUBSPOT_BASE_PATH });
    expect(r.code).toBe(EXIT.doctor);
    expect(r.checks['hubspot token']).toMatchObject({ status: 'failed', detail: 'HUBSPOT_ACCESS_TOKEN is not set' });
    expect(r.checks['hubspot scopes'].status).toBe('skipped');
  });

  it("names the scopes a private app's token lacks", async () => {
    const hubspot = await tokenInfoServer(['crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.schemas.contacts.read']);
    try {
      const r = await doctor({ HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: hubspot.url });
      expect(r.code).toBe(EXIT.doctor);
      expect(hubspot.tokens).toEqual([TOKEN]);
      expect(r.checks['hubspot token']).toMatchObject({ status: 'ok', detail: expect.stringContaining('portal 4242') });
      expect(r.checks['hubspot scopes']).toMatchObject({ status: 'failed', detail: expect.stringContaining('lacks crm.schemas.contacts.write') });
      expect(r.out).not.toContain(TOKEN);
    } finally {
      await hubspot.close();
    }
  });

  it('a source table that is not in the warehouse fails the tables check, naming it', async () => {
    await f.sql((w) => w.execute('alter table raw.people rename to people_old'));
    try {
      const r = await doctor(f.env);
      expect(r.code).toBe(EXIT.doctor);
      expect(r.checks.tables).toMatchObject({ status: 'failed', detail: expect.stringContaining("raw.people (source 'people')") });
      expect(r.checks.tables.fix).toContain('sources:');
      expect(r.checks.warehouse.status).toBe('ok');
    } finally {
      await f.sql((w) => w.execute('alter table raw.people_old rename to people'));
    }
  });

  it('a config that does not load fails first, and the later checks are skipped', async () => {
    const out = memoryLogger();
    const code = await runCli(['doctor', '--json', '--config', `${f.dir}/missing.yml`], { env: f.env, out: out.sink, err: out.sink });
    expect(code).toBe(EXIT.doctor);
    const checks = out.events().filter((e) => e.event === 'doctor_check');
    expect(checks[0]).toMatchObject({ check: 'config', status: 'failed', detail: expect.stringContaining('missing.yml not found') });
    expect(checks.filter((c) => c.status === 'skipped').map((c) => c.check)).toEqual(['models', 'warehouse', 'tables']);
  });
});
