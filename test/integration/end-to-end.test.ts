/**
 * The core promise, end to end through the real @hubspot/api-client: shipped models on
 * generated data in the warehouse → diff in the warehouse → the local HubSpot sandbox.
 * The same scenario runs on DuckDB and on a real PostgreSQL server (when
 * PQLSYNC_POSTGRES_URL is set), and both must leave identical records in HubSpot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { createHubSpotDestination } from '../../connectors/hubspot/hubspot.destination.ts';
import type { Destination } from '../../connectors/destination.ts';
import type { Row } from '../../connectors/warehouse.ts';
import type { Project } from '../../src/config/load-project.ts';
import type { SyncConfig } from '../../src/config/schema.ts';
import { DEMO_AS_OF, generateDemoData, touchUsers } from '../../src/demo/generate-demo-data.ts';
import { closeSession, openSession, type Session } from '../../src/run/session.ts';
import { buildStep, syncStep, testStep } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { copyDemoRawTables } from '../helpers/copy-tables.ts';
import { expectSame } from '../helpers/expect-same.ts';
import { dropSchemas, memoryLogger, onTestPostgres, shippedProject } from '../helpers/project.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const TOKEN = 'pat-e2e-test-token';
const USERS = 800;
const SEED = 11;

/** Where the scenario runs: the project, its environment, and how the raw data gets there. */
interface Target {
  project: Project;
  env: NodeJS.ProcessEnv;
  /** The DuckDB holding the generated raw tables (the demo generator writes DuckDB). */
  generator: DuckDBWarehouse;
  /** Makes the warehouse's raw tables equal the generator's. */
  publishRaw(): Promise<void>;
  cleanup(): Promise<void>;
}

async function duckdbTarget(): Promise<Target> {
  const shipped = await shippedProject();
  // The session opens the same file; the generator writes it first and closes it.
  return {
    project: shipped.project,
    env: {},
    generator: undefined as unknown as DuckDBWarehouse,
    publishRaw: async () => undefined,
    cleanup: shipped.cleanup,
  };
}

async function postgresTarget(): Promise<Target> {
  let raw = '';
  const shipped = await shippedProject((config) => {
    raw = onTestPostgres(config, 'e2e');
  });
  const generator = await DuckDBWarehouse.open({ path: ':memory:' });
  const env = { PQLSYNC_POSTGRES_URL: postgresUrl };
  return {
    project: shipped.project,
    env,
    generator,
    async publishRaw() {
      const { openWarehouse } = await import('../../connectors/registry.ts');
      const pg = await openWarehouse(shipped.project.config.warehouse, { projectRoot: shipped.project.root, env });
      try {
        await copyDemoRawTables(generator, pg, raw);
      } finally {
        await pg.close();
      }
    },
    async cleanup() {
      const { openWarehouse } = await import('../../connectors/registry.ts');
      const pg = await openWarehouse(shipped.project.config.warehouse, { projectRoot: shipped.project.root, env });
      const c = shipped.project.config;
      await dropSchemas(pg, [raw, c.schema, c.state_schema]);
      await pg.close();
      await generator.close();
      await shipped.cleanup();
    },
  };
}

/** What each target left in HubSpot after its first full sync: object → key → pqlsync properties. */
const heldAfterFirstSync = new Map<string, Record<string, Record<string, Record<string, string>>>>();

function endToEnd(name: string, makeTarget: () => Promise<Target>) {
  describe(`end to end on ${name}`, () => {
    let target: Target;
    let sandbox: Sandbox;
    let session: Session;
    let destination: Destination;
    const seededContactIds = new Map<string, string>();
    const seededCompanyIds = new Map<string, string>();

    const syncOf = (object: 'contacts' | 'companies'): SyncConfig => {
      const sync = session.project.config.syncs.find((s) => s.object === object);
      if (!sync) throw new Error(`no ${object} sync in pqlsync.yml`);
      return sync;
    };
    const modelRows = (sync: SyncConfig): Promise<Row[]> =>
      session.warehouse.query(`select * from ${session.warehouse.dialect.table({ schema: session.project.config.schema, name: sync.model })}`);
    const syncAll = async () => {
      sandbox.resetStats();
      const results = await syncStep(session, destination, session.project.config.syncs);
      const by = (o: string) => results.find((r) => r.plan.object === o)!;
      return { contacts: by('contacts').sent, companies: by('companies').sent, requests: sandbox.stats.requests, results };
    };
    /** Runs `fn` against the generated raw data (DuckDB), then publishes it to the target. */
    const changeRaw = async (fn: (duck: DuckDBWarehouse) => Promise<unknown>) => {
      if (target.generator) {
        await fn(target.generator);
        await target.publishRaw();
      } else {
        await fn(session.warehouse as DuckDBWarehouse);
      }
    };

    beforeAll(async () => {
      target = await makeTarget();
      sandbox = await startSandbox({ accessToken: TOKEN, requestsPer10s: 100, windowMs: 1000 });
      const log = createLogger({ json: true, secrets: [TOKEN], out: memoryLogger().sink, err: memoryLogger().sink });
      session = await openSession(target.project, { log, asOf: DEMO_AS_OF, env: target.env });
      await changeRaw((duck) => generateDemoData(duck, { users: USERS, seed: SEED }));
      await buildStep(session);
      await testStep(session);

      // Records in the portal before pqlsync ever runs: the same email in another case, the
      // same domain with www. and capitals. They must be updated, never duplicated.
      for (const row of (await modelRows(syncOf('contacts'))).slice(0, 5)) {
        // Contacts are keyed by the product's user id; the email is how an existing one is found.
        const email = String(row.email);
        seededContactIds.set(email, sandbox.seedRecord('contacts', { email: email.toUpperCase(), firstname: 'Existing' }).id);
      }
      for (const row of (await modelRows(syncOf('companies'))).slice(0, 5)) {
        const domain = String(row[syncOf('companies').key]);
        seededCompanyIds.set(domain, sandbox.seedRecord('companies', { domain: `www.${domain.toUpperCase()}`, name: 'Existing Co' }).id);
      }
      destination = await createHubSpotDestination({
        accessToken: TOKEN,
        basePath: sandbox.url,
        groupName: session.project.config.destination.property_group.name,
        groupLabel: session.project.config.destination.property_group.label,
        requestsPer10s: 100,
        requestsPerDay: 250_000,
      });
    }, 180_000);

    afterAll(async () => {
      if (session) await closeSession(session);
      await sandbox?.stop();
      await target?.cleanup();
    });

    describe('a full run into the sandbox', () => {
      let first: Awaited<ReturnType<typeof syncAll>>;
      beforeAll(async () => {
        first = await syncAll();
      }, 180_000);

      it('sends every model row once and delivers them all', () => {
        for (const result of first.results) {
          expect(result.failed, `${result.plan.sync} failed rows`).toBe(0);
          expect(result.sent).toBe(result.plan.diff.rows);
          expect(result.delivered).toBe(result.plan.diff.rows);
        }
      });

      it('leaves every contact and company with exactly the model values', async () => {
        const snapshot: Record<string, Record<string, Record<string, string>>> = {};
        for (const object of ['contacts', 'companies'] as const) {
          const sync = syncOf(object);
          const rows = await modelRows(sync);
          expect(rows.length).toBeGreaterThan(0);
          const keyProperty = object === 'contacts' ? 'email' : 'domain';
          const normalise = (v: string) => v.toLowerCase().replace(/^www\./, '');
          const held = new Map<string, Record<string, string>>();
          for (const record of sandbox.records(object)) {
            const key = normalise(record.properties[keyProperty] ?? '');
            expect(held.has(key), `duplicate ${object} record for ${key}`).toBe(false);
            held.set(key, record.properties);
          }
          expect(held.size).toBe(rows.length);
          for (const row of rows) {
            const key = String(row[keyProperty === 'email' ? 'email' : sync.key]);
            const properties = held.get(key);
            expect(properties, `${object} ${key} missing in HubSpot`).toBeDefined();
            for (const p of sync.properties) expectSame(p.property, p.type, row[p.column], properties![p.property], key);
          }
          snapshot[object] = Object.fromEntries(
            [...held].map(([key, props]) => [key, Object.fromEntries(sync.properties.map((p) => [p.property, props[p.property] ?? '']))]),
          );
        }
        heldAfterFirstSync.set(name, snapshot);
      });

      it('creates the properties with the declared types and options', () => {
        for (const sync of session.project.config.syncs) {
          const defined = sandbox.properties(sync.object);
          for (const p of sync.properties) {
            const def = defined.find((d) => d.name === p.property);
            expect(def, p.property).toBeDefined();
            expect(def!.type).toBe(p.type);
            // HubSpot's own deal properties (name, amount, close date, stage) stay in their group; stages are ids.
            if (def!.hubspotDefined) continue;
            expect(def!.groupName).toBe(session.project.config.destination.property_group.name);
            if (p.options) expect(def!.options.map((o: { value: string }) => o.value).sort()).toEqual([...p.options].sort());
          }
        }
      });

      it('updates records that already existed, keeping their ids, instead of duplicating them', () => {
        for (const [email, id] of seededContactIds) {
          const found = sandbox.findByProperty('contacts', 'email', email);
          expect(found.map((r) => r.id)).toEqual([id]);
          expect(found[0].properties.firstname).toBe('Existing');
        }
        for (const [domain, id] of seededCompanyIds) {
          const all = sandbox.records('companies').filter((r) => (r.properties.domain ?? '').toLowerCase().replace(/^www\./, '') === domain);
          expect(all.map((r) => r.id)).toEqual([id]);
        }
      });

      it('sends nothing, and makes zero HubSpot requests, when nothing changed', async () => {
        const again = await syncAll();
        expect(again.contacts).toBe(0);
        expect(again.companies).toBe(0);
        expect(again.requests).toBe(0);
      });

      it('sends exactly the contacts and companies whose users changed', async () => {
        const sync = syncOf('contacts');
        const d = session.warehouse.dialect;
        // The k lowest-scored people: new strong signals must change their rows.
        const k = 7;
        const score = sync.properties.find((p) => p.column === 'pql_score')?.column ?? sync.properties[0].column;
        const chosen = await session.warehouse.query(
          `select c.email from ${d.table({ schema: session.project.config.schema, name: sync.model })} c
           order by c.${d.quote(score)} asc, c.${d.quote(sync.key)} limit ${k}`,
        );
        const emails = chosen.map((r) => String(r.email));
        const users = await session.warehouse.query({
          sql: `select user_id from ${d.table(session.project.sources.users)} where lower(trim(email)) in (${emails.map(() => '?').join(', ')})`,
          values: emails,
        });
        const contactsBefore = new Map((await modelRows(sync)).map((r) => [String(r[sync.key]), r]));
        const companySync = syncOf('companies');
        const companiesBefore = new Map((await modelRows(companySync)).map((r) => [String(r[companySync.key]), JSON.stringify(r)]));

        const at = new Date(new Date(DEMO_AS_OF).getTime() - 3_600_000).toISOString();
        await changeRaw((duck) => touchUsers(duck, { userIds: users.map((u) => String(u.user_id)), at }));
        await buildStep(session);
        const changedContacts = (await modelRows(sync)).filter((r) => {
          const before = contactsBefore.get(String(r[sync.key]));
          return !before || sync.properties.some((p) => String(before[p.column]) !== String(r[p.column]));
        });
        const changedCompanies = (await modelRows(companySync)).filter((r) => companiesBefore.get(String(r[companySync.key])) !== JSON.stringify(r));
        expect(changedContacts.map((r) => String(r.email)).sort()).toEqual([...emails].sort());

        const run = await syncAll();
        expect(run.contacts).toBe(k);
        expect(run.companies).toBe(changedCompanies.length);
        // Full batches: k contacts fit one upsert; the changed companies (ids known from state)
        // one update by id. The only other requests are the property checks, a few per object.
        const routes = Object.entries(sandbox.stats.requestsByRoute);
        const count = (part: string) => routes.filter(([route]) => route.includes(part)).reduce((n, [, c]) => n + c, 0);
        expect(count('/objects/'), JSON.stringify(routes)).toBe(1 + Math.ceil(changedCompanies.length / 100));
        expect(count('/properties/'), JSON.stringify(routes)).toBeLessThanOrEqual(2 * 2);
        expect(run.requests).toBe(count('/objects/') + count('/properties/'));
      });
    });
  });
}


endToEnd('DuckDB', duckdbTarget);

noteSkippedPostgres('end to end on PostgreSQL');
if (postgresUrl) {
  endToEnd('PostgreSQL', postgresTarget);

  describe('the same data on two warehouses', () => {
    it('leaves the same HubSpot records from DuckDB and from PostgreSQL, record by record', () => {
      const duck = heldAfterFirstSync.get('DuckDB');
      const pg = heldAfterFirstSync.get('PostgreSQL');
      expect(duck && pg, 'both end-to-end runs must have completed').toBeTruthy();
      for (const object of ['contacts', 'companies']) {
        const keys = Object.keys(duck![object]).sort();
        expect(Object.keys(pg![object]).sort()).toEqual(keys);
        for (const key of keys) expect(pg![object][key], `${object} ${key}`).toEqual(duck![object][key]);
      }
    });
  });
}
