/**
 * Identifiers that reach SQL come from pqlsync.yml and from model file names and headers:
 * each is validated (a lower-case identifier) before any SQL is written, so a hostile name
 * is a ConfigError or ModelError, never a statement. Values (accepted values, keys, run ids)
 * travel as parameters; identifiers are also quoted by the dialects.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../connectors/duckdb/duckdb.dialect.ts';
import { postgresDialect } from '../../connectors/postgres/postgres.dialect.ts';
import { parseProject } from '../../src/config/load-project.ts';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import { loadModels } from '../../src/project/load-models.ts';
import { parseModelFile } from '../../src/project/model-file.ts';
import { testQueries } from '../../src/run/test-models.ts';

const HOSTILE = [
  `contacts'; drop table pqlsync.sync_state; --`,
  'contacts"; drop table x; --',
  'Contacts',
  'contacts sync',
  'a-b',
  '1contacts',
  'contacts;',
  'x/*',
  '',
];

function config(edit: (c: Record<string, any>) => void): string {
  const c: Record<string, any> = {
    name: 'hostile',
    warehouse: { type: 'duckdb', path: 'w.duckdb' },
    sources: { people: 'raw.people' },
    destination: { type: 'hubspot' },
    syncs: [
      {
        name: 'contacts',
        model: 'people_scores',
        object: 'contacts',
        key: 'email',
        properties: [
          { column: 'pql_score', property: 'pql_score', type: 'number', label: 'PQL score' },
          { column: 'pql_tier', property: 'pql_tier', type: 'enumeration', label: 'PQL tier', options: ['cold', 'hot'] },
        ],
        guardrails: { tier_column: 'pql_tier' },
      },
    ],
  };
  edit(c);
  return JSON.stringify(c);
}

const parse = (text: string) => parseProject(text, '/tmp/hostile/pqlsync.yml');

describe('pqlsync.yml: every identifier that reaches SQL is validated', () => {
  it('the base config parses', () => {
    expect(parse(config(() => undefined)).config.syncs[0].name).toBe('contacts');
  });

  const places: Array<[string, (c: Record<string, any>, v: string) => void]> = [
    ['sync name', (c, v) => (c.syncs[0].name = v)],
    ['model name', (c, v) => (c.syncs[0].model = v)],
    ['key column', (c, v) => (c.syncs[0].key = v)],
    ['mapped column', (c, v) => (c.syncs[0].properties[0].column = v)],
    ['HubSpot property', (c, v) => (c.syncs[0].properties[0].property = v)],
    // Mapped too, so the identifier check (not "not a mapped column") is what refuses it.
    ['tier column', (c, v) => ((c.syncs[0].properties[1].column = v), (c.syncs[0].guardrails.tier_column = v))],
    ['models schema', (c, v) => (c.schema = v)],
    ['state schema', (c, v) => (c.state_schema = v)],
    ['source name', (c, v) => (c.sources = { [v || 'x y']: 'raw.people' })],
    ['source table', (c, v) => (c.sources = { people: `raw.${v}` })],
    ['property group', (c, v) => (c.destination.property_group = { name: v, label: 'x' })],
  ];
  for (const [where, set] of places) {
    it(`a hostile ${where} is a ConfigError naming the key path`, () => {
      for (const value of HOSTILE) {
        let error: unknown;
        try {
          parse(config((c) => set(c, value)));
        } catch (e) {
          error = e;
        }
        expect(error, `${where} = ${JSON.stringify(value)}`).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toMatch(/pqlsync\.yml/);
      }
    });
  }
});

describe('models: names and header identifiers are validated', () => {
  it('a model file with a hostile name is a ModelError', async () => {
    for (const name of ['evil;drop', "o'brien", 'Upper', 'has space', 'x"y']) {
      const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-hostile-'));
      try {
        await mkdir(path.join(dir, 'models'));
        await writeFile(path.join(dir, 'models', `${name}.sql`), 'select 1 as x');
        await expect(loadModels(path.join(dir, 'models'), { dialect: 'duckdb', projectRoot: dir }), name).rejects.toBeInstanceOf(ModelError);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it('hostile identifiers in a header (unique key, tests, relationships) are ModelErrors', () => {
    const headers = [
      `unique_key: "email; drop table x"`,
      `tests:\n  unique: ["email\\" or 1=1 --"]`,
      `tests:\n  not_null: ["a b"]`,
      `tests:\n  accepted_values:\n    "tier') or ('1": [a]`,
      `tests:\n  relationships:\n    account_id: { to: "accounts; drop", field: id }`,
      `tests:\n  relationships:\n    account_id: { to: accounts, field: "id --" }`,
    ];
    for (const header of headers) {
      expect(() => parseModelFile(`/*\nmaterialized: table\n${header}\n*/\nselect 1 as x`, 'models/m.sql', 'm'), header).toThrow(ModelError);
    }
  });

  it('accepted values travel as parameters, quotes and all', () => {
    const model = parseModelFile(`/*\nmaterialized: table\ntests:\n  accepted_values:\n    tier: ["o'brien", "x'); drop table y; --"]\n*/\nselect 1 as tier`, 'models/m.sql', 'm');
    for (const dialect of [duckdbDialect, postgresDialect]) {
      const [query] = testQueries(model, dialect, 'pqlsync_models');
      expect(typeof query.count).toBe('object');
      const count = query.count as { sql: string; values: unknown[] };
      expect(count.sql).not.toContain("o'brien");
      expect(count.sql).not.toContain('drop table');
      expect(count.values).toEqual(["o'brien", "x'); drop table y; --"]);
    }
  });
});

describe('dialects quote identifiers', () => {
  it('doubles embedded double quotes, so a name cannot close its quotes', () => {
    for (const d of [duckdbDialect, postgresDialect]) {
      expect(d.quote('a"; drop table x; --')).toBe('"a""; drop table x; --"');
      expect(d.table({ schema: 's"', name: 't' })).toBe('"s""".' + '"t"');
    }
  });
});
