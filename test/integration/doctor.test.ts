/**
 * `pqlsync doctor` on a small project: everything right passes with exit 0; each thing wrong
 * (a missing table, no token, a token HubSpot rejects, a token without a scope, a broken config)
 * fails its own check with a fix and exit 10, and the token never appears in the output.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/state/state-store.ts';
import { engineFixture, ENGINES, type EngineFixture } from '../helpers/both-warehouses.ts';
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
    expect(Object.keys(r.checks)).toEqual(['config', 'models', 'warehouse', 'tables', 'compile', 'columns', 'hubspot token', 'hubspot scopes', 'properties', 'portal']);
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

  it('a mapped property named hs_… that the portal lacks fails doctor, and `properties` and `run` stop with exit 2 naming sync, column and property, sending nothing', async () => {
    const problem = "sync 'contact_sync' maps column pql_reason to contacts property hs_pql_reason, which the portal does not have";
    await withFileEdited(
      f.config,
      (t) => {
        const config = JSON.parse(t);
        config.syncs[0].properties[2].property = 'hs_pql_reason';
        return JSON.stringify(config);
      },
      async () => {
        const r = await doctor(f.env);
        expect(r.code).toBe(EXIT.doctor);
        expect(r.checks.properties).toMatchObject({ status: 'failed', detail: expect.stringContaining(problem) });
        for (const command of [['properties'], ['run']]) {
          const c = await f.cli(command);
          expect(c.code, c.err).toBe(EXIT.config);
          expect(c.err).toContain(problem);
          expect(c.err).toContain('HubSpot reserves names starting with hs_');
        }
        expect(f.sandbox.records('contacts')).toEqual([]);
      },
    );
  });

  it('a config that does not load fails first, and the later checks are skipped', async () => {
    const out = memoryLogger();
    const code = await runCli(['doctor', '--json', '--config', `${f.dir}/missing.yml`], { env: f.env, out: out.sink, err: out.sink });
    expect(code).toBe(EXIT.doctor);
    const checks = out.events().filter((e) => e.event === 'doctor_check');
    expect(checks[0]).toMatchObject({ check: 'config', status: 'failed', detail: expect.stringContaining('missing.yml not found') });
    expect(checks.filter((c) => c.status === 'skipped').map((c) => c.check)).toEqual(['models', 'warehouse', 'tables', 'compile', 'columns', 'properties', 'portal']);
  });
});

/** Runs `fn` with a file of the project replaced by `edit(text)`, then puts the file back. */
async function withFileEdited<T>(file: string, edit: (text: string) => string, fn: () => Promise<T>): Promise<T> {
  const text = await readFile(file, 'utf8');
  await writeFile(file, edit(text));
  try {
    return await fn();
  } finally {
    await writeFile(file, text);
  }
}

function checksOf(r: { events: any[] }): Record<string, { status: string; detail: string; fix?: string }> {
  return Object.fromEntries(r.events.filter((e) => e.event === 'doctor_check').map((e) => [e.check, e]));
}

describe.each(ENGINES)('pqlsync doctor checks what run will need, on %s', (engine) => {
  let e: EngineFixture;
  beforeAll(async () => {
    e = await engineFixture(engine, { users: 30 });
  }, 60_000);
  afterAll(async () => e?.cleanup());

  const leftoverSchemas = async () =>
    (await e.query("select schema_name from information_schema.schemata where schema_name like 'pqlsync_doctor_%'")).length;

  it('a model with a SQL syntax error fails the compile check, naming its file and the engine message; its downstream is not compiled; nothing is built or left', async () => {
    const file = path.join(e.dir, 'models', 'stg_people.sql');
    const r = await withFileEdited(file, (t) => t.replace('from {{ source', 'fromm {{ source'), () => e.cli(['doctor']));
    const checks = checksOf(r);
    expect(r.code).toBe(EXIT.doctor);
    expect(checks.models.status).toBe('ok');
    expect(checks.compile.status).toBe('failed');
    expect(checks.compile.detail).toMatch(/models\/stg_people\.sql(:\d+)?: model stg_people failed to compile:/);
    expect(checks.compile.detail).toMatch(/syntax error/i);
    expect(checks.compile.detail).toContain('people_scores (on stg_people)');
    expect(checks.columns).toMatchObject({ status: 'skipped', detail: 'not checked (their model did not compile): contact_sync' });
    expect(await leftoverSchemas()).toBe(0);
    const modelsSchema = JSON.parse(await readFile(e.config, 'utf8')).schema;
    const built = await e.query(`select table_name from information_schema.tables where table_schema = '${modelsSchema}'`);
    expect(built).toEqual([]);
  });

  it('a column the model does not have fails the compile check at the model; a mapped column the model does not output fails the columns check, naming sync, column and model', async () => {
    const broken = await withFileEdited(path.join(e.dir, 'models', 'people_scores.sql'), (t) => t.replace('score as pql_score', 'scoore as pql_score'), () => e.cli(['doctor']));
    expect(broken.code).toBe(EXIT.doctor);
    expect(checksOf(broken).compile.detail).toMatch(/model people_scores failed to compile:[\s\S]*scoore/);

    const r = await withFileEdited(
      e.config,
      (t) => {
        const config = JSON.parse(t);
        config.syncs[0].properties[0].column = 'pql_scor';
        config.syncs[0].key = 'e_mail';
        return JSON.stringify(config);
      },
      () => e.cli(['doctor']),
    );
    const checks = checksOf(r);
    expect(r.code).toBe(EXIT.doctor);
    expect(checks.compile.status, JSON.stringify(checks)).toBe('ok');
    expect(checks.columns).toMatchObject({ status: 'failed', detail: expect.stringContaining("sync 'contact_sync' reads column e_mail, column pql_scor, which model people_scores does not have") });
    expect(checks.columns.detail).toContain('pql_score');
    expect(await leftoverSchemas()).toBe(0);
  });

  it("fails the portal check when the token reaches another portal than the one the state was delivered to, and says what to do", async () => {
    const ok = await e.cli(['doctor']);
    expect(ok.code, JSON.stringify(checksOf(ok))).toBe(EXIT.ok);
    expect(checksOf(ok).portal.detail).toContain(`the token reaches portal ${e.sandbox.portalId}`);
    // The state as a sync to another portal leaves it.
    await e.sql(async (w) => {
      const state = new StateStore(w, e.state);
      await state.ensureTables();
      await state.claimAccount('99000001', 'run-elsewhere');
    });
    const r = await e.cli(['doctor']);
    const checks = checksOf(r);
    expect(r.code).toBe(EXIT.doctor);
    expect(checks.portal).toMatchObject({ status: 'failed', detail: expect.stringContaining(`reaches portal ${e.sandbox.portalId}, but the state in schema '${e.state}' was delivered to portal 99000001`) });
    expect(checks.portal.fix).toContain(`state_schema: ${e.state}_${e.sandbox.portalId}`);
  });
});
