/**
 * Secrets never leave the environment: the HubSpot access token and the warehouse's
 * credentials do not appear in stdout or stderr (human or --json), in error messages, or
 * in the runs and row_errors tables, whether the command succeeds or fails on the way
 * (401, HubSpot out of retries, a warehouse that refuses the password).
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { DEMO_AS_OF } from '../../src/demo/generate-demo-data.ts';
import { buildTemplate, FAULTS_TOKEN, openScenario, type Scenario, type Template } from '../helpers/faults-harness.ts';
import { postgresUrl } from '../warehouse/postgres-env.ts';

const WRONG_TOKEN = 'pat-na1-wrong-0a1b2c3d-4e5f-6789-secret';
const PG_PASSWORD = 'Secr3t-Pg-Pass-7781';

let template: Template;
beforeAll(async () => {
  template = await buildTemplate({ users: 150, seed: 2 });
}, 120_000);
afterAll(async () => template?.cleanup());

/** Runs the CLI in-process, human or --json, and keeps everything it printed. */
async function run(s: Scenario, args: string[], env: NodeJS.ProcessEnv, json: boolean, config = s.config) {
  const chunks: string[] = [];
  const sink = { write: (c: string) => (chunks.push(String(c)), true) } as unknown as NodeJS.WritableStream;
  const code = await runCli([...args, '--config', config, '--as-of', DEMO_AS_OF, ...(json ? ['--json'] : [])], { env, out: sink, err: sink });
  return { code, text: chunks.join('') };
}

function expectNoSecret(where: string, text: string, secrets: string[]) {
  for (const secret of secrets) expect(text.includes(secret), `${where} contains a secret: …${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 50)}…`).toBe(false);
}

describe('secrets never appear in output, errors or the state tables', () => {
  it('the HubSpot token: success, 401, out of retries, status; human and --json', async () => {
    const s = await openScenario(template);
    const secrets = [FAULTS_TOKEN, WRONG_TOKEN];
    const outputs: Array<[string, string]> = [];
    try {
      for (const json of [false, true]) {
        const mode = json ? '--json' : 'human';
        s.sandbox.setFaults(undefined);
        let r = await run(s, ['sync'], s.env, json);
        expect(r.code, r.text.slice(-1000)).toBe(EXIT.ok);
        outputs.push([`sync ok (${mode})`, r.text]);

        // A token HubSpot does not know.
        r = await run(s, ['sync', '--force'], { ...s.env, HUBSPOT_ACCESS_TOKEN: WRONG_TOKEN }, json);
        outputs.push([`sync 401 (${mode})`, r.text]);
        // Only reached if something is left to send: make the model change.
        await s.sql((w) => w.execute(`update pqlsync_models.contact_sync set pql_score = (pql_score + ${json ? 1 : 2}) % 100 where email in (select email from pqlsync_models.contact_sync order by email limit 3)`));
        r = await run(s, ['sync'], { ...s.env, HUBSPOT_ACCESS_TOKEN: WRONG_TOKEN }, json);
        expect(r.code, r.text.slice(-1000)).toBe(EXIT.auth);
        outputs.push([`sync 401 with changes (${mode})`, r.text]);

        // Every write refused by a gateway until the retries run out (the token's own, valid).
        s.sandbox.setFaults({ rules: [{ fault: { type: 'status', status: 502, htmlBody: true }, pathIncludes: '/objects/' }] });
        r = await run(s, ['sync'], s.env, json);
        expect(r.code, r.text.slice(-1000)).toBe(EXIT.destination);
        outputs.push([`sync out of retries (${mode})`, r.text]);

        r = await run(s, ['status'], s.env, json);
        expect(r.code).toBe(EXIT.ok);
        outputs.push([`status (${mode})`, r.text]);
        r = await run(s, ['plan'], s.env, json);
        outputs.push([`plan (${mode})`, r.text]);
      }
      for (const [where, text] of outputs) expectNoSecret(where, text, secrets);
      // The failures did say what happened.
      expect(outputs.find(([w]) => w.startsWith('sync 401 with changes'))![1]).toMatch(/HubSpot refused the access token/);
      expect(outputs.find(([w]) => w.startsWith('sync out of retries'))![1]).toMatch(/502/);

      const tables = await s.sql(async (w) => JSON.stringify([await w.query('select * from pqlsync.runs'), await w.query('select * from pqlsync.row_errors')]));
      expect(tables).toMatch(/failed/);
      expectNoSecret('runs and row_errors tables', tables, secrets);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('warehouse credentials: a PostgreSQL URL with a password that is refused, or a server that is not there', async () => {
    const s = await openScenario(template);
    try {
      const config = `${s.dir}/pqlsync.postgres.yml`;
      await writeFile(config, JSON.stringify({ ...template.config, warehouse: { type: 'postgres' } }));
      const urls = [`postgres://pqlsync:${PG_PASSWORD}@127.0.0.1:1/pqlsync`];
      if (postgresUrl) {
        // The real server, the wrong password: the driver's error names the user, not the password.
        const real = new URL(postgresUrl);
        real.password = PG_PASSWORD;
        urls.push(real.toString());
      }
      for (const url of urls) {
        for (const json of [false, true]) {
          for (const args of [['sync'], ['status'], ['run']]) {
            const r = await run(s, args, { ...s.env, PQLSYNC_POSTGRES_URL: url }, json, config);
            expect(r.code, r.text).toBe(EXIT.warehouse);
            expectNoSecret(`${args[0]} against ${new URL(url).host} (${json ? '--json' : 'human'})`, r.text, [PG_PASSWORD, url, FAULTS_TOKEN]);
            expect(r.text.length).toBeGreaterThan(0);
          }
        }
      }
    } finally {
      await s.close();
    }
  }, 120_000);
});
