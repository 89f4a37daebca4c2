import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../connectors/duckdb/duckdb.dialect.ts';
import type { Dialect } from '../../connectors/warehouse.ts';
import { compileModel, compileModelMapped, type CompileContext } from '../../src/compile/compile-model.ts';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import { parseModelFile } from '../../src/project/model-file.ts';

/** A dialect whose macros render as readable tags, to check the parsing apart from any engine. */
const tagged: Dialect = {
  ...duckdbDialect,
  macros: new Proxy(duckdbDialect.macros, {
    get: (_target, name: string) => (...args: string[]) => `${name.toUpperCase()}<${args.join(' | ')}>`,
  }),
};

const ctx: CompileContext = {
  dialect: tagged,
  modelsSchema: 'pqlsync_models',
  sources: { events: { schema: 'raw', name: 'events' } },
  asOf: '2026-01-31T00:00:00Z',
};

const compile = (sql: string, c: CompileContext = ctx) => compileModel(parseModelFile(sql, 'models/m.sql'), c);

describe('compile: templating', () => {
  it('resolves ref to the models schema and source to the configured table', () => {
    expect(compile("select * from {{ ref('user_features') }} join {{source('events')}} e")).toBe(
      'select * from "pqlsync_models"."user_features" join "raw"."events" e',
    );
  });

  it('passes the pinned as-of instant to as_of()', () => {
    expect(compile('select {{ as_of() }}')).toBe('select AS_OF<2026-01-31T00:00:00Z>');
  });

  it('expands nested calls written without braces', () => {
    expect(compile('select {{ days_between(u.signup_at, as_of()) }}')).toBe(
      'select DAYS_BETWEEN<u.signup_at | AS_OF<2026-01-31T00:00:00Z>>',
    );
    expect(compile("select {{ count_if(e.event_name = 'login' and e.occurred_at >= add_days(as_of(), -7)) }}")).toBe(
      "select COUNT_IF<e.event_name = 'login' and e.occurred_at >= ADD_DAYS<AS_OF<2026-01-31T00:00:00Z> | -7>>",
    );
  });

  it('also accepts nested calls written with their own braces', () => {
    expect(compile('select {{ days_between(a.signup_at, {{ as_of() }}) }}')).toBe(
      'select DAYS_BETWEEN<a.signup_at | AS_OF<2026-01-31T00:00:00Z>>',
    );
  });

  it('splits arguments on top-level commas only (parentheses and quotes respected)', () => {
    expect(compile("select {{ string_agg_sorted(coalesce(a, 'x, y'), ', ') }}")).toBe(
      "select STRING_AGG_SORTED<coalesce(a, 'x, y') | ', '>",
    );
    expect(compile(`select {{ row_hash(a, "b,c", concat(d, ','), 'it''s, here') }}`)).toBe(
      `select ROW_HASH<a | "b,c" | concat(d, ',') | 'it''s, here'>`,
    );
    expect(compile("select {{ count_if(x in (1, 2) and y = ')') }}")).toBe("select COUNT_IF<x in (1, 2) and y = ')'>");
  });

  it('leaves SQL functions that are not macros alone, and keeps multi-line arguments', () => {
    expect(compile('select {{ any_true(\n  lower(e.name) = \'paywall\'\n) }}')).toBe("select ANY_TRUE<lower(e.name) = 'paywall'>");
    expect(compile('select t.to_string(x), {{ to_string(my.as_of) }}')).toBe('select t.to_string(x), TO_STRING<my.as_of>');
  });

  it('expands ref and source inside macro arguments', () => {
    expect(compile("select {{ count_if(id in (select id from ref('a'))) }}")).toBe(
      'select COUNT_IF<id in (select id from "pqlsync_models"."a")>',
    );
  });

  it('drops a final semicolon and trailing blanks', () => {
    expect(compile('select 1;\n\n')).toBe('select 1');
    expect(compile('select 1 -- the end')).toBe('select 1 -- the end\n');
  });

  it('renders real DuckDB macros', () => {
    const sql = compile('select {{ days_between(u.signup_at, as_of()) }}', { ...ctx, dialect: duckdbDialect });
    expect(sql).toBe(
      "select cast(floor((epoch(timestamp '2026-01-31 00:00:00.000') - epoch(u.signup_at)) / 86400) as bigint)",
    );
  });
});

describe('compile: errors', () => {
  it('names the file and line of an unknown source', () => {
    expect(() => compile("/*\n*/\nselect *\nfrom {{ source('users') }}")).toThrow(ModelError);
    expect(() => compile("/*\n*/\nselect *\nfrom {{ source('users') }}")).toThrow(/^models\/m\.sql:4: source\('users'\) is not configured. Known sources: events/);
  });

  it('rejects an as-of time that is not an instant', () => {
    expect(() => compile('select 1', { ...ctx, asOf: 'yesterday' })).toThrow(ConfigError);
  });
});

describe('compile: line map', () => {
  it('maps compiled lines back to file lines across multi-line macro calls', () => {
    const model = parseModelFile(
      "/*\ndescription: x\n*/\nselect\n  {{ count_if(\n    a = 1\n  ) }} as n,\n  b\nfrom {{ ref('t') }}\nwhere c",
      'models/m.sql',
    );
    const { sql, fileLine } = compileModelMapped(model, ctx);
    expect(sql.split('\n')).toEqual(['select', '  COUNT_IF<a = 1> as n,', '  b', 'from "pqlsync_models"."t"', 'where c']);
    expect([1, 2, 3, 4, 5].map(fileLine)).toEqual([4, 5, 8, 9, 10]);
  });
});
