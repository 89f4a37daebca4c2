/**
 * State belongs to one portal, on PostgreSQL: a run against another portal stops with exit 2
 * and the command to use; after that command every model row is in the new portal, past one
 * batch and one page.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { TOKEN } from '../helpers/ops-fixture.ts';
import { postgresFixture, type PostgresFixture } from '../helpers/postgres-fixture.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

noteSkippedPostgres('a second portal (PostgreSQL)');

const USERS = 1200;

describe.skipIf(!postgresUrl)('a second portal (PostgreSQL)', () => {
  let f: PostgresFixture | undefined;
  let other: Sandbox | undefined;
  afterAll(async () => {
    await other?.stop();
    await f?.cleanup();
  });

  it('is never skipped silently: exit 2 with the command, then every row lands there', async () => {
    f = await postgresFixture({ users: USERS });
    expect((await f.cli(['run'])).code).toBe(EXIT.ok);
    other = await startSandbox({ requestsPer10s: 100, windowMs: 1000, accessToken: TOKEN });
    const env = { ...f.env, HUBSPOT_BASE_PATH: other.url };

    const refused = await f.cli(['run'], { env });
    expect(refused.code, refused.err).toBe(EXIT.config);
    const fresh = `${f.schemas.state}_${other.portalId}`;
    f.extraSchemas.push(fresh);
    expect(refused.err).toContain(`--state-schema ${fresh}`);
    expect(other.records('contacts')).toHaveLength(0);

    const moved = await f.cli(['run', '--state-schema', fresh], { env });
    expect(moved.code, moved.err).toBe(EXIT.ok);
    const scores = new Map(other.records('contacts').map((r) => [r.properties.email, r.properties.pql_score]));
    expect(scores.size).toBe(USERS);
    for (let i = 1; i <= USERS; i++) expect(scores.get(`person${String(i).padStart(6, '0')}@example.com`)).toBe(String((i * 37) % 100));
  });
});
