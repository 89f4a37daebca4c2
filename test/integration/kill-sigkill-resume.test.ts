/**
 * `pqlsync sync` as a child process, killed with SIGKILL at seeded random points of the
 * sync (during the property checks, the upserts, the checkpoints, the deal pipeline, the associations).
 * After each kill: HubSpot holds no record twice and sync state claims nothing HubSpot does
 * not hold. The killed process's DuckDB file lock dies with it, and its row in the lock
 * table (dead pid, this host) is taken over by the next run. After a final rerun the sandbox
 * equals a clean run, record by record.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrng } from '../../connectors/hubspot/sandbox/faults.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { DEMO_AS_OF } from '../../src/demo/generate-demo-data.ts';
import { buildTemplate, compareWithClean, openScenario, type Held, type Scenario, type Template } from '../helpers/faults-harness.ts';
import { REPO } from '../helpers/project.ts';

const KILLS = 3;
/** Writes a kill can land on as HubSpot applies them: the first company, deal and association writes. */
const FIRST_WRITES = [
  'POST /crm/v3/objects/companies/batch/upsert',
  'POST /crm/v3/objects/deals/batch/upsert',
  'POST /crm/v4/associations/deals/companies/batch/create',
];

let template: Template;
let clean: Held;
let cleanRequests = 0;

beforeAll(async () => {
  template = await buildTemplate({ users: 1000, seed: 9 });
  const s = await openScenario(template);
  try {
    const run = await s.sync();
    expect(run.code, String(run.error)).toBe(EXIT.ok);
    clean = s.held();
    cleanRequests = run.requests;
  } finally {
    await s.close();
  }
}, 120_000);

afterAll(async () => template?.cleanup());

interface Child {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
  output(): string;
}

function startSync(s: Scenario): Child {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/pqlsync.js'), 'sync', '--config', s.config, '--json', '--as-of', DEMO_AS_OF], {
    cwd: s.dir,
    env: { ...process.env, ...s.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return {
    pid: child.pid!,
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    kill: () => child.kill('SIGKILL'),
    output: () => out,
  };
}

/** Where a trial kills the child: after n more requests reach the sandbox, or as the first request to a route arrives. */
type KillPoint = { afterRequests: number } | { atFirst: string };

/** Runs a child sync and kills it at the point; answers how it ended. */
async function killAt(s: Scenario, point: KillPoint): Promise<{ child: Child; signal: NodeJS.Signals | null; code: number | null }> {
  const before = s.sandbox.stats.requests;
  const route = 'atFirst' in point ? point.atFirst : '';
  const createsBefore = s.sandbox.stats.requestsByRoute[route] ?? 0;
  const child = startSync(s);
  let killed = false;
  const poll = setInterval(() => {
    const due =
      'afterRequests' in point
        ? s.sandbox.stats.requests - before >= point.afterRequests
        : (s.sandbox.stats.requestsByRoute[route] ?? 0) > createsBefore;
    if (!killed && due) {
      killed = true;
      child.kill();
    }
  }, 1);
  const { code, signal } = await child.exited;
  clearInterval(poll);
  return { child, signal, code };
}

describe('SIGKILL at random points, then a rerun', () => {
  // Seeded points over a whole run (property checks, company search and upserts, contact
  // upserts, checkpoints, the pipeline, deal upserts, associations), and the writes HubSpot
  // applied and never acknowledged: the first company, deal and association writes.
  const random = createPrng(20261101);
  const points: KillPoint[] = [
    ...Array.from({ length: KILLS }, () => ({ afterRequests: 1 + Math.floor(random() * 36) })),
    ...FIRST_WRITES.map((atFirst) => ({ atFirst })),
  ];
  const log: string[] = [];
  let staleLocksTakenOver = 0;
  afterAll(() => console.log(`${log.join('\n')}\nstale lock rows taken over: ${staleLocksTakenOver}`));

  for (const point of points) {
    const name = 'afterRequests' in point ? `killed after ${point.afterRequests} requests` : `killed as the first ${point.atFirst} arrives`;
    it(`${name}: after a rerun the sandbox equals the clean run, no record created twice`, async () => {
      // Answers take a little while, so that a kill can land between any two requests.
      const s = await openScenario(template, { sandbox: { latencyMs: 40 } });
      try {
        const { child, signal, code } = await killAt(s, point);
        expect(signal, `the sync finished before the kill point (exit ${code}): ${child.output().slice(-1000)}`).toBe('SIGKILL');
        const locks = await s.sql((w) => w.query('select run_id, pid from pqlsync.locks'));
        const committed = (await s.stateRows()).length;
        // A lock row left behind belongs to the dead child; the next run must take it over.
        for (const lock of locks) expect(Number(lock.pid)).toBe(child.pid);
        if (locks.length > 0) staleLocksTakenOver++;
        // Never a duplicate; never a state row ahead of HubSpot.
        const partial = await compareWithClean(clean, s, [], { complete: false });
        expect(partial.problems).toEqual([]);
        const requestsKilled = s.sandbox.stats.requests;
        const heldAtKill = s.held();

        const rerun = startSync(s);
        const done = await rerun.exited;
        expect(done.code, rerun.output().slice(-3000)).toBe(EXIT.ok);
        expect(await s.sql((w) => w.query('select * from pqlsync.locks'))).toEqual([]);
        // The dead run's private tables (diffs, outcomes, association pairs) were dropped by the rerun.
        const leftovers = await s.sql((w) =>
          w.query(`select table_name from information_schema.tables where table_schema = 'pqlsync' and regexp_matches(table_name, '^(changes|removed|outcomes|pairs|unpaired)__')`),
        );
        expect(leftovers).toEqual([]);
        const comparison = await compareWithClean(clean, s);
        expect(comparison.problems.slice(0, 20)).toEqual([]);
        // No record created twice: exactly one record per key, as many as the clean run made.
        expect(s.sandbox.records('companies')).toHaveLength(clean.companies.size);
        expect(s.sandbox.records('contacts')).toHaveLength(clean.contacts.size);
        expect(s.sandbox.records('deals')).toHaveLength(clean.deals.size);
        log.push(
          `${name}: ${requestsKilled} requests before the kill, HubSpot held ${heldAtKill.contacts.size} contacts and ${heldAtKill.companies.size} companies, ` +
            `${committed} keys committed, lock rows left ${locks.length}; ` +
            `rerun ${s.sandbox.stats.requests - requestsKilled} requests (clean run ${cleanRequests})`,
        );
      } finally {
        await s.close();
      }
    }, 60_000);
  }

  it('a lock row left by a killed process was found and taken over at least once', () => {
    expect(staleLocksTakenOver).toBeGreaterThan(0);
  });
});
