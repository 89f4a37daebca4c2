/**
 * Safe by construction, through the CLI as a user calls it: a mistyped flag never runs
 * anything, a second portal is never skipped silently, a renamed property is sent, and every
 * run shows in `status` however it ended (docs/delivery.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { fixtureConfig, opsFixture, TOKEN, type OpsFixture } from '../helpers/ops-fixture.ts';
import { crmRequests } from '../helpers/project.ts';

let f: OpsFixture | undefined;
const others: Sandbox[] = [];
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
  for (const s of others.splice(0)) await s.stop();
});

/** More people than one batch (100) and one page of the changes table. */
const USERS = 250;

async function fixture(edit?: (config: Record<string, any>) => void): Promise<OpsFixture> {
  f = await opsFixture({ users: USERS, edit });
  return f;
}

/** The fixture's pqlsync.yml, edited as a team edits it in a pull request. */
async function rewriteConfig(fx: OpsFixture, edit: (config: Record<string, any>) => void): Promise<void> {
  await writeFile(fx.config, JSON.stringify(fixtureConfig(fx.db, { edit })));
}

async function tablesIn(fx: OpsFixture, schema: string): Promise<number> {
  return fx.sql(async (w) => Number((await w.query(`select count(*) as n from information_schema.tables where table_schema = '${schema}'`))[0].n));
}

/** Contacts in a sandbox whose property holds the model's score for them (person i: (i × 37) % 100). */
function contactsWithScores(sandbox: Sandbox, property: string): number {
  return sandbox.records('contacts').filter((r) => {
    const i = Number(/^person(\d+)@/.exec(r.properties.email ?? '')?.[1]);
    return r.properties[property] === String((i * 37) % 100);
  }).length;
}

describe('a mistyped option or command never runs anything', () => {
  const commands = ['run', 'build', 'test', 'plan', 'sync', 'backfill', 'status', 'doctor', 'properties', 'evaluate', 'init', 'demo'];
  it.each(commands)('%s --dry-rn exits 2 before it starts', async (command) => {
    const fx = await fixture();
    const r = await fx.cli([command, ...(command === 'backfill' ? ['contact_sync'] : []), '--dry-rn']);
    expect(r.code, r.err).toBe(EXIT.config);
    expect(r.err).toMatch(/Unknown argument: dry-rn/);
    // Nothing ran: no model built, no state schema, no request.
    expect(await tablesIn(fx, 'pqlsync_models')).toBe(0);
    expect(await tablesIn(fx, 'pqlsync')).toBe(0);
    expect(fx.sandbox.stats.requests).toBe(0);
  });

  it('names the option it was probably meant to be', async () => {
    const fx = await fixture();
    const r = await fx.cli(['run', '--dry-rn', '--forse']);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/--dry-rn: did you mean --dry-run\?/);
    expect(r.err).toMatch(/--forse: did you mean --force\?/);
  });

  it('a mistyped command exits 2 with the command it was probably meant to be', async () => {
    const fx = await fixture();
    const r = await fx.cli(['sycn']);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/Did you mean sync\?/);
    expect(fx.sandbox.stats.requests).toBe(0);
  });

  it('an unknown --timezone is a config error, not a stack trace', async () => {
    const fx = await fixture();
    const r = await fx.cli(['run', '--every', '0 * * * * *', '--timezone', 'Mars/Olympus']);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/--timezone 'Mars\/Olympus' is not an IANA time zone/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('state belongs to one portal (DuckDB)', () => {
  it('a run against another portal stops with exit 2 and what to do; after it, every row is in the new portal', async () => {
    const fx = await fixture();
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    expect(fx.sandbox.records('contacts')).toHaveLength(USERS);

    const other = await startSandbox({ requestsPer10s: 100, windowMs: 1000, accessToken: TOKEN });
    others.push(other);
    expect(other.portalId).not.toBe(fx.sandbox.portalId);
    const env = { ...fx.env, HUBSPOT_BASE_PATH: other.url };
    const refused = await fx.cli(['run'], { env });
    expect(refused.code, refused.err).toBe(EXIT.config);
    // Its one request, the portal check, is in the run's summary.
    expect(refused.events.find((e) => e.event === 'run_summary').requests).toBe(1);
    expect(refused.err).toContain(`delivered to HubSpot portal ${fx.sandbox.portalId}, but this token reaches portal ${other.portalId}`);
    const fresh = `pqlsync_${other.portalId}`;
    expect(refused.err).toContain(`state_schema: ${fresh}`);
    expect(other.records('contacts')).toHaveLength(0);
    // The refused run is in status, with its exit code and why.
    const status = (await fx.cli(['status'])).events.find((e) => e.event === 'status');
    expect(status.account_id).toBe(String(fx.sandbox.portalId));
    expect(status.run_log[0]).toMatchObject({ command: 'run', status: 'failed', exit_code: EXIT.config });
    expect(status.run_log[0].message).toMatch(/this token reaches portal/);

    // The documented command: a state of its own for the new portal. Every row lands there.
    const moved = await fx.cli(['run', '--state-schema', fresh], { env });
    expect(moved.code, moved.err).toBe(EXIT.ok);
    expect(contactsWithScores(other, 'pql_score')).toBe(USERS);
    const newStatus = (await fx.cli(['status', '--state-schema', fresh], { env })).events.find((e) => e.event === 'status');
    expect(newStatus.account_id).toBe(String(other.portalId));
    // The first portal's state is kept: back on its token, nothing is left to send.
    const back = await fx.cli(['run']);
    expect(back.code).toBe(EXIT.ok);
    const summary = back.events.find((e) => e.event === 'run_summary');
    expect(summary.syncs[0]).toMatchObject({ new: 0, changed: 0, sent: 0 });
    // Nothing to send is one request, the portal check, and the summary counts it.
    expect(summary.requests).toBe(1);
  });
});

describe('the mapping is part of what was delivered', () => {
  it('renaming a property: plan shows every row changed with the reason, run fills the new property', async () => {
    const fx = await fixture();
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    await rewriteConfig(fx, (c) => {
      c.syncs[0].properties[0].property = 'pqlsync_score';
    });
    const plan = (await fx.cli(['plan'])).events.find((e) => e.event === 'plan');
    expect(plan).toMatchObject({ changed: USERS, to_send: USERS });
    expect(plan.mapping_changes).toEqual([{ reason: 'property renamed pql_score → pqlsync_score', rows: USERS }]);
    // Not a broken model: the guardrail (50 %) lets a rename through.
    const run = await fx.cli(['run']);
    expect(run.code, run.err).toBe(EXIT.ok);
    expect(contactsWithScores(fx.sandbox, 'pqlsync_score')).toBe(USERS);
    // Sent once: nothing is left.
    expect((await fx.cli(['plan'])).events.find((e) => e.event === 'plan')).toMatchObject({ changed: 0, to_send: 0 });
  });

  it('removing a mapping clears nothing in HubSpot', async () => {
    const fx = await fixture();
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    await rewriteConfig(fx, (c) => {
      c.syncs[0].properties = c.syncs[0].properties.filter((p: { column: string }) => p.column !== 'pql_reason');
    });
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    const withReason = fx.sandbox.records('contacts').filter((r) => /^score \d+$/.test(r.properties.pql_reason ?? ''));
    expect(withReason).toHaveLength(USERS);
  });
});

describe('every run shows in status, however it ended', () => {
  it('a failed build: its run, exit code and message', async () => {
    const fx = await fixture();
    await writeFile(path.join(fx.dir, 'models', 'people_scores.sql'), '/*\nmaterialized: table\n*/\nselect email, from {{ ref(\'stg_people\') }}');
    const r = await fx.cli(['run']);
    expect(r.code).toBe(EXIT.model);
    const summary = r.events.find((e) => e.event === 'run_summary');
    expect(summary).toMatchObject({ command: 'run', exit_code: EXIT.model, status: 'failed' });
    // Every JSON line carries the run id.
    expect(r.events.every((e) => e.run_id === summary.run_id)).toBe(true);
    const status = (await fx.cli(['status'])).events.find((e) => e.event === 'status');
    expect(status.run_log[0]).toMatchObject({ run_id: summary.run_id, command: 'run', status: 'failed', exit_code: EXIT.model });
    expect(status.run_log[0].message).toMatch(/people_scores/);
    expect(crmRequests(fx.sandbox)).toBe(0);
  });

  it('a missing token: exit 2, recorded', async () => {
    const fx = await fixture();
    const r = await fx.cli(['run'], { env: { HUBSPOT_BASE_PATH: fx.sandbox.url } });
    expect(r.code).toBe(EXIT.config);
    const status = (await fx.cli(['status'])).events.find((e) => e.event === 'status');
    expect(status.run_log[0]).toMatchObject({ command: 'run', exit_code: EXIT.config, status: 'failed' });
    expect(status.run_log[0].message).toMatch(/HUBSPOT_ACCESS_TOKEN|access token/i);
  });

  it('a bad token fails even when nothing changed', async () => {
    const fx = await fixture();
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    const r = await fx.cli(['run'], { env: { ...fx.env, HUBSPOT_ACCESS_TOKEN: 'pat-revoked' } });
    expect(r.code).toBe(EXIT.auth);
    expect(r.out + r.err).not.toContain('pat-revoked');
  });

  it('Ctrl-C with rows unsent exits 130, shows as interrupted, and the next run sends the rest', async () => {
    const fx = await fixture();
    const controller = new AbortController();
    controller.abort();
    const r = await fx.cli(['run'], { signal: controller.signal });
    expect(r.code).toBe(EXIT.interrupted);
    expect(r.code).toBe(130);
    const status = (await fx.cli(['status'])).events.find((e) => e.event === 'status');
    expect(status.run_log[0]).toMatchObject({ command: 'run', status: 'interrupted', exit_code: 130 });
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    expect(contactsWithScores(fx.sandbox, 'pql_score')).toBe(USERS);
  });

  it('a DuckDB path whose folder does not exist is a config error, and creates nothing', async () => {
    const fx = await fixture();
    const missing = path.join(fx.dir, 'no-such-folder', 'warehouse.duckdb');
    await writeFile(fx.config, JSON.stringify(fixtureConfig(missing)));
    const r = await fx.cli(['run']);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/no-such-folder does not exist/);
    await expect(mkdir(path.join(fx.dir, 'no-such-folder'))).resolves.toBeUndefined();
  });

  it('a DuckDB file that cannot be written is a config error, not "retry later"', async () => {
    const fx = await fixture();
    // /sys refuses every write, even root's (chmod does not stop root).
    await writeFile(fx.config, JSON.stringify(fixtureConfig('/sys/pqlsync.duckdb')));
    const r = await fx.cli(['run']);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/Permission denied/);
  });
});
