/**
 * A sync whose lock can no longer be renewed stops after the page under way and its checkpoint,
 * fails with a LockHeldError that says why (exit 8), records the run as failed, and keeps what
 * it committed: the next run sends only the rest. The renewal fails by injection; the page after
 * it waits for the failure, so nothing here depends on timing.
 */
import { beforeEachSend } from '../helpers/before-each-send.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../connectors/registry.ts';
import { LockHeldError, WarehouseError } from '../../contracts/errors.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { syncStep } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { AS_OF } from '../helpers/ops-fixture.ts';
import { NO_GUARDRAILS, postgresFixture, type PostgresFixture } from '../helpers/postgres-fixture.ts';
import { memoryLogger } from '../helpers/project.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const USERS = 1000;
noteSkippedPostgres('a lost lock stops the sync');

describe.skipIf(!postgresUrl)('a lock that cannot be renewed (PostgreSQL)', () => {
  let f: PostgresFixture;
  beforeAll(async () => {
    f = await postgresFixture({ users: USERS, edit: (c) => (c.syncs[0].guardrails = NO_GUARDRAILS) });
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
  }, 120_000);
  afterAll(async () => f?.cleanup());

  it('stops after the page under way, fails with exit 8 saying why, and the next run sends only the rest', async () => {
    const log = createLogger({ json: true, secrets: [], out: memoryLogger().sink, err: memoryLogger().sink });
    const project = await loadProject(f.config);
    const session = await openSession(project, { log, env: f.env, asOf: AS_OF });
    const inner = await openDestination(project.config.destination, { env: f.env });
    let renewalFailed!: () => void;
    const failed = new Promise<void>((resolve) => (renewalFailed = resolve));
    session.state.renewLock = async () => {
      renewalFailed();
      throw new WarehouseError('injected: the warehouse went away');
    };
    let pagesSent = 0;
    const destination = beforeEachSend(inner, async () => {
      // The third page goes out only once a renewal has failed (the heartbeat's first, a second in).
      if (++pagesSent === 3) await failed;
    });
    let error: unknown;
    try {
      error = await syncStep(session, destination, project.config.syncs.slice(0, 1), { pageSize: 100, checkpointEvery: 100, lockTtlMs: 3000 }).catch((e: unknown) => e);
    } finally {
      await closeSession(session);
    }
    expect(error).toBeInstanceOf(LockHeldError);
    expect(String((error as Error).message)).toMatch(/could not be renewed \(injected: the warehouse went away\).*stopped after its last checkpoint/);
    // The third page was under way when the lock was lost: it finished, and nothing after it was read.
    expect(pagesSent).toBe(3);
    const [state, run] = await f.sql(async (w) => [
      Number((await w.query(`select count(*)::int as n from "${f.schemas.state}".sync_state`))[0].n),
      (await w.query(`select status, message from "${f.schemas.state}".runs where command = 'sync' order by started_at desc limit 1`))[0],
    ]);
    expect(state).toBe(300);
    expect(run).toMatchObject({ status: 'failed' });
    expect(String(run.message)).toContain('LockHeldError');

    const rerun = await f.cli(['sync']);
    expect(rerun.code, rerun.err).toBe(EXIT.ok);
    expect(rerun.events.find((e) => e.event === 'sync_done')).toMatchObject({ sent: USERS - 300 });
    expect((await f.compareWithModel(USERS, new Set())).slice(0, 10)).toEqual([]);
  }, 120_000);
});
