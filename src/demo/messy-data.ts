/**
 * Messy source rows of the kinds real warehouses hold, applied to generated demo data
 * (schema raw, DuckDB) so tests and the demo can check that they never stop the pipeline:
 * plan names the staging models do not know (a legacy plan, another capitalisation, a
 * synonym), trial statuses spelled the way other billing systems spell them, users with no
 * workspace, users of deleted workspaces, and industries written differently from the ICP
 * list. Each kind touches about `share` of its table's rows, chosen by a hash of the seed.
 */
import type { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';

export interface MessyCounts {
  unknownPlans: number;
  respelledPlans: number;
  respelledTrialStatuses: number;
  usersWithoutWorkspace: number;
  usersOfDeletedWorkspaces: number;
  respelledIndustries: number;
}

export async function messUpDemoData(warehouse: DuckDBWarehouse, options: { seed: number; share: number }): Promise<MessyCounts> {
  const { seed, share } = options;
  if (!(share > 0 && share < 1)) throw new Error(`share must be between 0 and 1, got ${share}`);
  const pick = (key: string, column: string, k = 1) => `(hash(${Math.trunc(seed)}, ${column}, '${key}') % 1000003) / 1000003.0 < ${share * k}`;
  const count = async (sql: string) => Number(Object.values((await warehouse.query(sql))[0])[0]);

  await warehouse.execute(`update raw.accounts set plan = case when hash(account_id) % 2 = 0 then 'Legacy Team (2019)' else 'starter_v1' end where ${pick('plan', 'account_id')}`);
  await warehouse.execute(`update raw.accounts set plan = case plan when 'pro' then 'Professional' when 'business' then 'BUSINESS' when 'free' then ' Free ' else upper(plan) end where ${pick('plan2', 'account_id')}`);
  await warehouse.execute(`update raw.trials set status = case status when 'active' then 'Trialing' when 'expired' then 'canceled' when 'converted' then 'PAID' else status end where ${pick('trial', 'trial_id', 5)}`);
  await warehouse.execute(`update raw.users set account_id = null where ${pick('noacc', 'user_id')}`);
  // Deleted workspaces: their rows are gone from raw.accounts, their users stay.
  await warehouse.execute(`create or replace temp table messy_deleted as select account_id from raw.accounts where ${pick('deleted', 'account_id')}`);
  await warehouse.execute(`delete from raw.accounts where account_id in (select account_id from messy_deleted)`);
  await warehouse.execute(`update raw.accounts set industry = case industry
      when 'Software' then case when hash(account_id) % 3 = 0 then 'SOFTWARE' when hash(account_id) % 3 = 1 then 'Computer Software' else 'SaaS' end
      when 'Fintech' then 'Financial Technology' when 'E-commerce' then 'ecommerce' when 'Media' then ' media ' else industry end
    where ${pick('industry', 'account_id', 10)}`);
  const counts: MessyCounts = {
    unknownPlans: await count(`select count(*) from raw.accounts where plan in ('Legacy Team (2019)', 'starter_v1')`),
    respelledPlans: await count(`select count(*) from raw.accounts where plan in ('Professional', 'BUSINESS', ' Free ', 'TRIAL', 'ENTERPRISE')`),
    respelledTrialStatuses: await count(`select count(*) from raw.trials where status in ('Trialing', 'canceled', 'PAID')`),
    usersWithoutWorkspace: await count(`select count(*) from raw.users where account_id is null`),
    usersOfDeletedWorkspaces: await count(`select count(*) from raw.users where account_id in (select account_id from messy_deleted)`),
    respelledIndustries: await count(`select count(*) from raw.accounts where industry in ('SOFTWARE', 'Computer Software', 'SaaS', 'Financial Technology', 'ecommerce', ' media ')`),
  };
  await warehouse.execute('drop table if exists messy_deleted');
  return counts;
}
