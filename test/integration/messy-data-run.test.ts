/**
 * Messy source rows never stop good ones: demo data with about 1% messy rows of every kind
 * (an unknown legacy plan, plans and trial statuses spelled the way other systems spell them,
 * users with no workspace, users of deleted workspaces, industries spelled differently from
 * the ICP list) still builds, tests with warnings naming model, test and sample rows, and
 * `pqlsync run` delivers every row of both syncs to the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { messUpDemoData, type MessyCounts } from '../../src/demo/messy-data.ts';
import { memoryLogger, shippedProject } from '../helpers/project.ts';

const TOKEN = 'pat-messy-test-token';
let fx: Awaited<ReturnType<typeof shippedProject>>;
let sandbox: Sandbox;
let messy: MessyCounts;
const db = () => (fx.project.config.warehouse as { path: string }).path;

async function sql<T>(fn: (w: DuckDBWarehouse) => Promise<T>): Promise<T> {
  const w = await DuckDBWarehouse.open({ path: db() });
  try {
    return await fn(w);
  } finally {
    await w.close();
  }
}

beforeAll(async () => {
  fx = await shippedProject();
  messy = await sql(async (w) => {
    await generateDemoData(w, { users: 1500, seed: 23 });
    return messUpDemoData(w, { seed: 4, share: 0.01 });
  });
  sandbox = await startSandbox({ accessToken: TOKEN, requestsPer10s: 1000, windowMs: 1000 });
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
  await fx?.cleanup();
});

describe('messy source rows', () => {
  it('the generator made every kind of mess', () => {
    for (const [kind, n] of Object.entries(messy)) expect(n, kind).toBeGreaterThan(0);
  });

  it('pqlsync run builds, warns, and syncs every valid row', async () => {
    const out = memoryLogger();
    const code = await runCli(['run', '--config', fx.project.configFile, '--json', '--as-of', DEMO_AS_OF], {
      env: { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url },
      out: out.sink,
      err: out.sink,
    });
    const events = out.events();
    expect(code, out.lines.join('')).toBe(0);

    const warnings = events.filter((e) => e.event === 'model_test_warning');
    const named = warnings.map((w) => `${w.model} ${w.test}`);
    expect(named).toContain('stg_users not_null(account_id)');
    expect(named).toContain('user_scores relationships(account_id → stg_accounts.account_id)');
    expect(named).toContain('stg_accounts relationships(source_plan → value_aliases.alias)');
    const plans = warnings.find((w) => w.test === 'relationships(source_plan → value_aliases.alias)');
    expect(plans.file).toMatch(/models\/staging\/stg_accounts\.sql$/);
    expect(plans.sample.some((s: string) => s === 'legacy team (2019)' || s === 'starter_v1')).toBe(true);
    expect(warnings.find((w) => w.test === 'not_null(account_id)').failures).toBe(messy.usersWithoutWorkspace);

    const [counts] = await sql((w) =>
      w.query(`select (select count(*) from pqlsync_models.contact_sync) as contacts, (select count(*) from pqlsync_models.company_sync) as companies,
        (select count(*) from pqlsync_models.contact_sync c join raw.users u on u.user_id = c.user_id where u.account_id is null) as without_workspace,
        (select count(*) from pqlsync_models.company_sync where plan = 'other') as other_plans`),
    );
    expect(Number(counts.without_workspace)).toBeGreaterThan(0);
    expect(Number(counts.other_plans)).toBeGreaterThan(0);
    expect(sandbox.records('contacts')).toHaveLength(Number(counts.contacts));
    expect(sandbox.records('companies')).toHaveLength(Number(counts.companies));
    expect(sandbox.records('companies').filter((r) => r.properties.pqlsync_plan === 'other').length).toBe(Number(counts.other_plans));
  }, 120_000);

  it('industries match the ICP list whatever their case, spaces or synonym', async () => {
    const rows = await sql((w) =>
      w.query(`select a.industry, s.industry_key from pqlsync_models.stg_accounts s join raw.accounts a using (account_id)
        where a.industry in ('SOFTWARE', 'Computer Software', 'SaaS', 'Financial Technology', 'ecommerce', ' media ')`),
    );
    expect(rows.length).toBe(messy.respelledIndustries);
    const expected: Record<string, string> = { SOFTWARE: 'software', 'Computer Software': 'software', SaaS: 'software', 'Financial Technology': 'fintech', ecommerce: 'e-commerce', ' media ': 'media' };
    for (const r of rows) expect(r.industry_key, String(r.industry)).toBe(expected[String(r.industry)]);
    const [missed] = await sql((w) =>
      w.query(`select count(*) as n from pqlsync_models.user_scores s join pqlsync_models.stg_accounts a using (account_id)
        where a.industry_key in ('software', 'fintech', 'e-commerce', 'media') and s.fit_layer = 0`),
    );
    expect(Number(missed.n)).toBe(0);
  });
});
