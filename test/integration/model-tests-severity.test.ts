/**
 * Model tests with a severity and thresholds (dbt's severity, warn_if, error_if): a warning is
 * reported and lets the run go on, an error stops it, and a threshold can be a count or a share
 * of the model's rows. The failing-tests fixture: 5 users, 1 duplicated id, 1 NULL email,
 * 2 unknown tiers, 2 unknown accounts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import type { CompileContext } from '../../src/compile/compile-model.ts';
import { ModelError } from '../../contracts/errors.ts';
import { parseModelFile, type Model } from '../../src/project/model-file.ts';
import { buildModels } from '../../src/run/build-models.ts';
import { assertModelTestsPass, meetsThreshold, testModels } from '../../src/run/test-models.ts';

const root = join(import.meta.dirname, '..', 'fixtures', 'projects', 'failing-tests');
let warehouse: DuckDBWarehouse;
let accounts: Model;
let ctx: CompileContext;

function users(tests: string): Model {
  return parseModelFile(`/*\nunique_key: user_id\ntests:\n${tests}\n*/\nselect user_id, email, account_id, pql_tier from {{ source('users') }}\n`, 'models/users.sql');
}

async function statuses(model: Model) {
  await buildModels(warehouse, [accounts, model], ctx);
  const results = await testModels(warehouse, [accounts, model], ctx);
  return Object.fromEntries(results.filter((r) => r.model === 'users').map((r) => [r.test, r.status]));
}

beforeAll(async () => {
  warehouse = await DuckDBWarehouse.open({ path: ':memory:' });
  await warehouse.execute(await readFile(join(root, 'seed.sql'), 'utf8'));
  accounts = parseModelFile(await readFile(join(root, 'models', 'accounts.sql'), 'utf8'), 'models/accounts.sql');
  ctx = {
    dialect: warehouse.dialect,
    modelsSchema: 'pqlsync_models',
    sources: { users: { schema: 'raw', name: 'users' }, accounts: { schema: 'raw', name: 'accounts' } },
    asOf: '2026-01-31T00:00:00Z',
  };
});
afterAll(async () => warehouse?.close());

describe('model test severity', () => {
  it('severity warn: every failing test warns, and nothing throws', async () => {
    const model = users(`  unique: [{ column: user_id, severity: warn }]
  not_null: [{ column: email, severity: warn }]
  accepted_values:
    pql_tier: { values: [cold, warm, hot, sales_ready], severity: warn }
  relationships:
    account_id: { to: accounts, field: account_id, severity: warn }`);
    const s = await statuses(model);
    expect(s).toEqual({
      'unique(user_id)': 'warn',
      'not_null(email)': 'warn',
      'accepted_values(pql_tier)': 'warn',
      'relationships(account_id → accounts.account_id)': 'warn',
    });
    const results = await testModels(warehouse, [accounts, model], ctx);
    expect(() => assertModelTestsPass(results)).not.toThrow();
    expect(results.find((r) => r.test.startsWith('relationships'))!.sample).toEqual(['ghost', 'phantom']);
  });

  it('error_if thresholds: a count or a share of the rows decides between warn and error', async () => {
    const model = users(`  not_null: [{ column: email, error_if: '>1' }]
  accepted_values:
    pql_tier: { values: [cold, warm, hot, sales_ready], error_if: '>=40%' }
  relationships:
    account_id: { to: accounts, field: account_id, error_if: '>50%', warn_if: '>5' }`);
    expect(await statuses(model)).toEqual({
      'not_null(email)': 'warn', // 1 row, not > 1
      'accepted_values(pql_tier)': 'error', // 2 of 5 rows = 40%
      'relationships(account_id → accounts.account_id)': 'pass', // 2 rows: not > 5, not > 50%
    });
    const results = await testModels(warehouse, [accounts, model], ctx);
    expect(() => assertModelTestsPass(results)).toThrow(ModelError);
    expect(() => assertModelTestsPass(results)).toThrow(/1 model test\(s\) failed:\n {2}- users accepted_values\(pql_tier\) \(models\/users\.sql\): 2 failing row\(s\), e\.g\. lukewarm, very_hot/);
  });

  it('without a severity a failing test is an error, as before', async () => {
    expect(await statuses(users('  not_null: [email]'))).toEqual({ 'not_null(email)': 'error' });
  });

  it('a malformed threshold is a header error naming the file', () => {
    expect(() => users(`  not_null: [{ column: email, error_if: 'lots' }]`)).toThrow(/models\/users\.sql.*error_if/s);
  });

  it('thresholds compare counts and shares', () => {
    expect(meetsThreshold('>0', 1, 10)).toBe(true);
    expect(meetsThreshold('>0', 0, 10)).toBe(false);
    expect(meetsThreshold('>=10%', 1, 10)).toBe(true);
    expect(meetsThreshold('>10%', 1, 10)).toBe(false);
    expect(meetsThreshold('> 0.5%', 1, 100)).toBe(true);
  });
});
