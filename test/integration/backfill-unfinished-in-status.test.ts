/**
 * An unfinished backfill shows in `pqlsync status` (which sync, what it selected, how many were
 * sent, since when), and a dry run never discards or writes shared backfill state: not with
 * --restart, not with --resume, not with a selection of its own.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engineFixture, ENGINES, type EngineFixture } from '../helpers/both-warehouses.ts';
import { memoryLogger } from '../helpers/project.ts';

describe.each(ENGINES)('an unfinished backfill, on %s', (engine) => {
  let f: EngineFixture;
  let hot: number;
  let models: string;
  beforeAll(async () => {
    f = await engineFixture(engine, { users: 300 });
    const first = await f.cli(['run']);
    expect(first.code, first.err).toBe(EXIT.ok);
    models = JSON.parse(await readFile(f.config, 'utf8')).schema;
    hot = Number((await f.query(`select count(*) as n from "${models}".people_scores where pql_tier = 'hot'`))[0].n);
  }, 120_000);
  afterAll(async () => f?.cleanup());

  async function unfinished(): Promise<any[]> {
    const status = await f.cli(['status']);
    expect(status.code, status.err).toBe(EXIT.ok);
    return status.events.find((e) => e.event === 'status').backfills;
  }

  /** The state schema's backfill tables (the description and each selection or key list). */
  async function backfillTables(): Promise<string[]> {
    const rows = await f.query(`select table_name from information_schema.tables where table_schema = '${f.state}' and table_name like 'backfill%' order by table_name`);
    return rows.map((r) => String(r.table_name));
  }

  it('is listed by status, and no --dry-run discards or writes it', async () => {
    // Ctrl-C before the first page: the selection is made and kept, nothing is sent.
    const stop = new AbortController();
    stop.abort();
    const stopped = await f.cli(['backfill', 'contact_sync', '--where', "pql_tier = 'hot'", '--yes'], { signal: stop.signal });
    expect(stopped.events.find((e) => e.event === 'backfill_stopped'), stopped.err).toBeDefined();
    f.sandbox.resetStats();

    const listed = await unfinished();
    expect(listed).toEqual([{ sync: 'contact_sync', selection: "where pql_tier = 'hot'", total: hot, sent: 0, startedAt: expect.anything() }]);
    const startedAt = listed[0].startedAt;
    expect(Date.parse(startedAt)).toBeLessThanOrEqual(Date.now());
    const tables = await backfillTables();
    expect(tables).toEqual(['backfill__contact_sync', 'backfills']);

    // The same, in words, for a person at a terminal.
    const out = memoryLogger();
    expect(await runCli(['status', '--config', f.config], { env: f.env, out: out.sink, err: out.sink })).toBe(EXIT.ok);
    expect(out.lines.join('')).toContain(`Unfinished backfills:\n  contact_sync (where pql_tier = 'hot'): 0 of ${hot} sent, started `);

    for (const args of [['--restart', '--full'], ['--resume'], ['--restart', '--where', 'pql_score < 10']]) {
      const dry = await f.cli(['backfill', 'contact_sync', ...args, '--dry-run']);
      expect(dry.code, `${args.join(' ')}: ${dry.err}`).toBe(EXIT.ok);
      expect(dry.events.find((e) => e.event === 'backfill_plan')).toBeDefined();
      expect(await unfinished(), args.join(' ')).toEqual(listed);
      expect(await backfillTables(), args.join(' ')).toEqual(tables);
    }
    const full = await f.cli(['backfill', 'contact_sync', '--restart', '--full', '--dry-run']);
    expect(full.events.find((e) => e.event === 'backfill_plan')).toMatchObject({ selected: 300, to_send: 300 });
    expect(f.sandbox.stats.requests).toBe(0);

    // The real resume sends the selection and the backfill leaves status.
    const resumed = await f.cli(['backfill', 'contact_sync', '--resume', '--yes']);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    expect(f.sandbox.stats.recordsWritten).toBe(hot);
    expect(await unfinished()).toEqual([]);
    expect(await backfillTables()).toEqual(['backfills']);
  });

  it('a dry run with keys of its own leaves no table and no backfill behind', async () => {
    const keys = path.join(f.dir, 'keys.txt');
    const emails = await f.query(`select email from "${models}".people_scores order by email limit 2`);
    await writeFile(keys, emails.map((r) => `${r.email}\n`).join(''));
    const dry = await f.cli(['backfill', 'contact_sync', '--keys', keys, '--dry-run']);
    expect(dry.code, dry.err).toBe(EXIT.ok);
    expect(dry.events.find((e) => e.event === 'backfill_plan')).toMatchObject({ selected: 2 });
    expect(await unfinished()).toEqual([]);
    expect(await backfillTables()).toEqual(['backfills']);
  });
});
