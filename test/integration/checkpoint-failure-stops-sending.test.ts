/**
 * The first failed checkpoint stops the sending, on every loop: here while the removed rows
 * are cleared (on_removed: clear), where the loop used to go on sending every page and only
 * fail at the end. What was committed before stays; the next run sends the rest.
 */
import { beforeEachSend } from '../helpers/before-each-send.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../connectors/registry.ts';
import { WarehouseError } from '../../contracts/errors.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { syncStep } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { AS_OF } from '../helpers/ops-fixture.ts';
import { personEmail, NO_GUARDRAILS, postgresFixture, type PostgresFixture } from '../helpers/postgres-fixture.ts';
import { memoryLogger } from '../helpers/project.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const USERS = 2000;
const REMOVED = 1000;
noteSkippedPostgres('a failed checkpoint stops the sending');

describe.skipIf(!postgresUrl)('a failed checkpoint while clearing removed rows (PostgreSQL)', () => {
  let f: PostgresFixture;
  beforeAll(async () => {
    f = await postgresFixture({
      users: USERS,
      onRemoved: 'clear',
      // Each page takes a while, as HubSpot's do: a checkpoint fails while the next page is out.
      sandbox: { latencyMs: 40 },
      edit: (c) => (c.syncs[0].guardrails = NO_GUARDRAILS),
    });
    expect((await f.cli(['run'])).code).toBe(EXIT.ok);
    await f.sql((w) => w.execute(`update ${w.dialect.table({ schema: f.schemas.raw, name: 'people' })} set is_active = false where id > ${USERS - REMOVED}`));
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
  }, 120_000);
  afterAll(async () => f?.cleanup());

  it('stops at the next page, keeps what was committed, and the next run clears the rest', async () => {
    const log = createLogger({ json: true, secrets: [], out: memoryLogger().sink, err: memoryLogger().sink });
    const project = await loadProject(f.config);
    const session = await openSession(project, { log, env: f.env, asOf: AS_OF });
    const inner = await openDestination(project.config.destination, { env: f.env });
    let pagesSent = 0;
    const destination = beforeEachSend(inner, () => pagesSent++);
    // The second checkpoint's state transaction fails (each checkpoint runs two transactions:
    // state, then the delivered snapshot).
    const transaction = session.warehouse.transaction.bind(session.warehouse);
    let transactions = 0;
    session.warehouse.transaction = (fn) => (++transactions === 3 ? Promise.reject(new WarehouseError('injected: the warehouse went away')) : transaction(fn));
    try {
      const error = await syncStep(session, destination, project.config.syncs, { pageSize: 100, checkpointEvery: 200 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WarehouseError);
    } finally {
      await closeSession(session);
    }
    // 10 pages to clear; the failure after page 4 stops the loop before page 7 (a checkpoint
    // commits in the background while the next page is sent).
    expect(pagesSent).toBeGreaterThanOrEqual(4);
    expect(pagesSent).toBeLessThanOrEqual(6);
    const stateRows = await f.sql(async (w) => Number((await w.query(`select count(*)::int as n from "${f.schemas.state}".sync_state`))[0].n));
    expect(stateRows).toBe(USERS - 200); // only the first checkpoint's 200 clears left state

    const rerun = await f.cli(['sync']);
    expect(rerun.code, rerun.err).toBe(EXIT.ok);
    expect(rerun.events.find((e) => e.event === 'sync_done')).toMatchObject({ removed: REMOVED - 200, sent: REMOVED - 200 });
    const removed = new Set(Array.from({ length: REMOVED }, (_, i) => personEmail(USERS - i)));
    expect((await f.compareWithModel(USERS, removed)).slice(0, 10)).toEqual([]);
  });
});
