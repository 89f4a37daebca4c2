/**
 * src/state owns the tables pqlsync keeps in the state schema: no product code outside it (the
 * CLI, the run stages, connectors, bench) names one in SQL or builds its name. Tests may read
 * state to check it, and golden SQL shows the statements; neither is searched here.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALERTS_SENT } from '../../src/state/alert-state.ts';
import { ASSOCIATION_STATE } from '../../src/state/association-state.ts';
import { CREATE_INTENTS } from '../../src/state/create-intents.ts';
import { ACTIONS } from '../../src/state/handoff-actions-state.ts';
import { ASSIGNMENTS, EPISODES } from '../../src/state/handoff-state.ts';
import { PORTAL_BUDGET } from '../../src/state/portal-budget.ts';
import { RUN_VALUES } from '../../src/state/run-history-values.ts';
import { RUN_TABLES } from '../../src/state/run-tables.ts';
import type { Dialect } from '../../connectors/warehouse.ts';
import { stateTableDdl } from '../../src/state/state-tables.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared state tables, as their DDL creates them. */
const fakeDialect = { types: { string: 's', float: 'f', integer: 'i', boolean: 'b', timestamp: 't' }, table: (t: { name: string }) => t.name, createSchema: () => '' } as unknown as Dialect;
const SHARED = stateTableDdl(fakeDialect, 'pqlsync').flatMap((ddl) => /create table if not exists (\w+)/.exec(ddl)?.[1] ?? []);

/** Tables with a fixed name, and the kinds whose names are `<kind>__…`. */
const NAMED = [...SHARED, ALERTS_SENT, ASSOCIATION_STATE, ACTIONS, ASSIGNMENTS, CREATE_INTENTS, EPISODES, PORTAL_BUDGET, RUN_VALUES, 'model_watermarks', 'backfills'];
const PREFIXED = [...Object.keys(RUN_TABLES), 'delivered', 'backfill', 'backfill_keys', 'rollback'];

/** A table named in SQL (`from x.sync_state`, `into …`), as a table name (`name: 'sync_state'`, `t('sync_state')`), or a `<kind>__` name. */
const PATTERN = [
  `(from|into|update|join|table|exists)\\s+[^[:space:](]*\\b(${NAMED.join('|')})\\b`,
  `name:\\s*['"\`](${NAMED.join('|')})\\b`,
  `\\(['"\`](${NAMED.join('|')})['"\`]\\)`,
  `\\b(${PREFIXED.join('|')})__`,
].join('|');

/** Lines of tracked files under `paths` matching PATTERN, comments left out (a comment may tell the naming scheme). */
function grep(paths: string[]): string[] {
  let out = '';
  try {
    out = execFileSync('git', ['grep', '-nIE', PATTERN, '--', ...paths], { cwd: root, encoding: 'utf8' });
  } catch (error) {
    // git grep exits 1 when nothing matches.
    if ((error as { status?: number }).status !== 1) throw error;
  }
  return out
    .split('\n')
    .filter((line) => line !== '')
    .filter((line) => !/^[^:]+:\d+:\s*(\/\/|\*|\/\*)/.test(line));
}

describe('state tables are named only under src/state', () => {
  it('the search finds them where they live (it can fail)', () => {
    expect(SHARED).toEqual(expect.arrayContaining(['sync_state', 'runs', 'row_errors', 'locks', 'run_log']));
    const inState = grep(['src/state']);
    expect(inState.some((line) => line.startsWith('src/state/state-tables.ts:') && line.includes('sync_state'))).toBe(true);
    expect(inState.some((line) => line.startsWith('src/state/record-store.ts:'))).toBe(true);
  });

  it('no product code outside src/state names one: src, connectors, bench, bin', () => {
    expect(grep(['src', 'connectors', 'bench', 'bin', ':!src/state'])).toEqual([]);
  });
});
