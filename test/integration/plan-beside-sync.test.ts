/**
 * A plan beside a running sync changes nothing the sync sends or records (PostgreSQL).
 * Deterministic: while the sync sends its first page, a pull request's plan (another model,
 * another mapping, the same sync name and state schema) and a production plan run to the end.
 * Before the fix, the plan rewrote the changes and removed tables the sync read and rebuilt
 * the delivered snapshot with the pull request's columns.
 */
import { beforeEachSend } from '../helpers/before-each-send.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../connectors/registry.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { loadProject, withSchemas } from '../../src/config/load-project.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { planSync } from '../../src/run/sync.ts';
import { syncContext, syncStep } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { AS_OF } from '../helpers/ops-fixture.ts';
import { NO_GUARDRAILS, postgresFixture, pullRequestProject, type PostgresFixture } from '../helpers/postgres-fixture.ts';
import { memoryLogger } from '../helpers/project.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const USERS = 3000;
noteSkippedPostgres('plan beside a sync');

describe.skipIf(!postgresUrl)('a plan beside a running sync (PostgreSQL)', () => {
  let f: PostgresFixture;
  let prConfig: string;
  let prSchema: string;

  beforeAll(async () => {
    f = await postgresFixture({
      users: USERS,
      onRemoved: 'clear',
      edit: (c) => (c.syncs[0].guardrails = NO_GUARDRAILS),
    });
    expect((await f.cli(['run'])).code).toBe(EXIT.ok);
    // Every active person's score moves, with another mapping: a changes table unlike the sync's.
    ({ config: prConfig, schema: prSchema } = await pullRequestProject(f));
    expect((await f.cli(['build'], { config: prConfig })).code).toBe(EXIT.ok);
    // The production change: 600 scores move, 300 people leave.
    await f.sql(async (w) => {
      const people = w.dialect.table({ schema: f.schemas.raw, name: 'people' });
      await w.execute(`update ${people} set score = (score + 7) % 100 where id <= 600`);
      await w.execute(`update ${people} set is_active = false where id > ${USERS - 300}`);
    });
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
  }, 120_000);

  afterAll(async () => f?.cleanup());

  it('sends and records exactly its own plan', async () => {
    const log = createLogger({ json: true, secrets: [], out: memoryLogger().sink, err: memoryLogger().sink });
    const project = await loadProject(f.config);
    const prProject = await loadProject(prConfig);
    const session = await openSession(project, { log, env: f.env, asOf: AS_OF, runId: '20261101T000000Z-aaaaaa' });
    const prSession = await openSession(withSchemas(prProject, { models: prSchema }), { log, env: f.env, asOf: AS_OF, runId: '20261101T000000Z-bbbbbb' });
    const sideSession = await openSession(project, { log, env: f.env, asOf: AS_OF, runId: '20261101T000000Z-cccccc' });
    const inner = await openDestination(project.config.destination, { env: f.env });
    const plansBeside: number[] = [];
    let pages = 0;
    const destination = beforeEachSend(inner, async () => {
      if (pages++ === 0) {
        // Both plans run to the end while the sync is between reading and sending a page.
        plansBeside.push((await planSync(syncContext(prSession), prProject.config.syncs[0])).toSend);
        plansBeside.push((await planSync(syncContext(sideSession), project.config.syncs[0])).toSend);
      }
    });
    try {
      const [result] = await syncStep(session, destination, project.config.syncs, { pageSize: 100 });
      expect(plansBeside).toEqual([USERS, 900]);
      expect(result).toMatchObject({ sent: 900, delivered: 900, failed: 0 });
    } finally {
      await closeSession(prSession);
      await closeSession(sideSession);
      await closeSession(session);
    }
    const model = await f.sql((w) => w.query(`select email, pql_score, pql_tier, pql_reason from "${f.schemas.models}".people_scores`));
    const held = new Map(f.sandbox.records('contacts').map((r) => [r.properties.email, r.properties]));
    expect(held.size).toBe(USERS);
    const wrong = model.filter((row) => ['pql_score', 'pql_tier', 'pql_reason'].some((p) => held.get(String(row.email))?.[p] !== String(row[p])));
    expect(wrong).toEqual([]);
    for (let id = USERS - 299; id <= USERS; id++) expect(held.get(`person${String(id).padStart(6, '0')}@example.com`)?.pql_score ?? '').toBe('');
    // State and the delivered snapshot are the production sync's: nothing left to send, and
    // the snapshot keeps the production mapping's columns.
    const plan = (await f.cli(['plan'])).events.find((e) => e.event === 'plan');
    expect(plan).toMatchObject({ new: 0, changed: 0, retrying: 0, removed: 0 });
    const columns = await f.sql((w) => w.describe({ schema: f.schemas.state, name: 'delivered__contact_sync' }));
    expect(columns?.map((c) => c.name)).toEqual(['record_key', 'pql_score', 'pql_tier', 'pql_reason']);
  });
});
