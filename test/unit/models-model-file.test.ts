import { describe, expect, it } from 'vitest';
import { ModelError } from '../../contracts/errors.ts';
import { parseModelFile } from '../../src/project/model-file.ts';

const file = 'models/features/user_features.sql';

function error(text: string): ModelError {
  try {
    parseModelFile(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).file).toBe(file);
    return e as ModelError;
  }
  throw new Error('expected a ModelError');
}

describe('model file: header', () => {
  it('parses a full header and keeps the body with its first line', () => {
    const model = parseModelFile(
      `/*
materialized: view          # table (default) | view
unique_key: user_id
description: One row per user.
tests:
  unique: [user_id]
  not_null: [user_id, email]
  accepted_values:
    pql_tier: [cold, warm, hot, sales_ready]
    level: [1, 2, true]
  relationships:
    account_id: { to: accounts, field: account_id }
*/
select 1 as user_id
`,
      file,
    );
    expect(model.name).toBe('user_features');
    expect(model.header).toEqual({
      materialized: 'view',
      unique_key: 'user_id',
      description: 'One row per user.',
      tests: {
        unique: ['user_id'],
        not_null: ['user_id', 'email'],
        accepted_values: { pql_tier: ['cold', 'warm', 'hot', 'sales_ready'], level: [1, 2, true] },
        relationships: { account_id: { to: 'accounts', field: 'account_id' } },
      },
    });
    expect(model.body).toBe('select 1 as user_id\n');
    expect(model.bodyStartLine).toBe(14);
  });

  it('takes defaults without a header or with an empty one', () => {
    expect(parseModelFile('select 1 as x', file).header).toEqual({ materialized: 'table', tests: {} });
    const empty = parseModelFile('/* */\nselect 1 as x', file);
    expect(empty.header).toEqual({ materialized: 'table', tests: {} });
    expect(empty.bodyStartLine).toBe(2);
  });

  it('names the file and the key path of a bad header', () => {
    const e = error(`/*
materialized: tabel
tests:
  unique: user_id
  not_null: ['Email']
*/
select 1`);
    expect(e.message).toContain(file);
    expect(e.message).toContain('materialized');
    expect(e.message).toContain('tests.unique');
    expect(e.message).toContain('tests.not_null.0');
  });

  it('names an unknown key (a typo) in the header', () => {
    const e = error('/*\nmaterialised: table\n*/\nselect 1');
    expect(e.message).toContain(file);
    expect(e.message).toContain('materialised');
  });

  it('gives the file line of invalid YAML', () => {
    const e = error('/*\ndescription: fine\ntests: [unique: \n  - x: y: z\n*/\nselect 1');
    expect(e.message).toMatch(new RegExp(`^${file}:4: the header is not valid YAML`));
  });

  it('rejects an unclosed header and an empty body', () => {
    expect(error('/*\nmaterialized: table\nselect 1').message).toContain("never closed with '*/'");
    expect(error('/*\nmaterialized: table\n*/\n  \n').message).toContain('no SQL');
  });

  it('rejects a file name that is not a model name', () => {
    expect(() => parseModelFile('select 1', 'models/User-Features.sql')).toThrow(/not a valid model name/);
  });
});

describe('model file: refs and sources', () => {
  it('extracts every ref and source with its file line, nested ones included', () => {
    const model = parseModelFile(
      `/*
description: x
*/
select u.user_id,
  {{ count_if(e.user_id in (select user_id from ref('blocked_users'))) }} as blocked
from {{ source('users') }} u
join {{ ref("user_events") }} e on e.user_id = u.user_id
left join {{ref('accounts')}} a on true
left join {{ ref('accounts') }} a2 on true
`,
      'models/x.sql',
    );
    expect(model.refs).toEqual([
      { name: 'blocked_users', line: 5 },
      { name: 'user_events', line: 7 },
      { name: 'accounts', line: 8 },
      { name: 'accounts', line: 9 },
    ]);
    expect(model.sources).toEqual([{ name: 'users', line: 6 }]);
  });

  it('counts lines from the top of the file when there is no header', () => {
    const model = parseModelFile('select *\n\nfrom {{ ref(\'a\') }}', 'models/x.sql');
    expect(model.refs).toEqual([{ name: 'a', line: 3 }]);
  });

  it('ignores ref-like text in string literals and as part of other names', () => {
    const model = parseModelFile("select {{ count_if(x = 'ref(\"nope\")' and my_ref(1) = 1) }}", 'models/x.sql');
    expect(model.refs).toEqual([]);
  });

  it('requires a quoted lower-case name in ref and source', () => {
    expect(error("/*\n*/\nselect * from {{ ref(my_model) }}").message).toMatch(/:3: ref\(\) takes one quoted/);
    expect(error("select * from {{ source('a', 'b') }}").message).toMatch(/:1: source\(\) takes one quoted/);
  });
});

describe('model file: macro calls', () => {
  it('names the file and line of an unknown macro', () => {
    const e = error("/*\ndescription: x\n*/\nselect\n  {{ datediff(a, b) }}");
    expect(e.message).toMatch(new RegExp(`^${file}:5: unknown macro 'datediff'`));
    expect(e.message).toContain('days_between');
  });

  it('names the file and line of a wrong argument count', () => {
    expect(error('select\n{{ days_between(a) }}').message).toMatch(/:2: days_between\(\) takes 2 argument\(s\), got 1/);
    expect(error("select {{ as_of('2026-01-01') }}").message).toMatch(/:1: as_of\(\) takes 0 argument\(s\), got 1/);
    expect(error('select {{ row_hash() }}').message).toMatch(/row_hash\(\) takes at least 1/);
    expect(error('select {{ days_between(a, add_days(b)) }}').message).toMatch(/add_days\(\) takes 2 argument\(s\), got 1/);
  });

  it('reports unbalanced calls and missing braces', () => {
    expect(error('select {{ count_if((a = 1) }}').message).toMatch(/:1: unclosed '\('/);
    expect(error('select {{ as_of() }').message).toMatch(/expected '}}'/);
    expect(error('select {{ user_id }}').message).toMatch(/expected '\(' after user_id|unknown macro 'user_id'/);
    expect(error("select {{ count_if(a = 'x) }}").message).toMatch(/unclosed '/);
  });
});
