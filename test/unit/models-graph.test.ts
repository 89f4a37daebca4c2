import { describe, expect, it } from 'vitest';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import { orderModels, selectModels } from '../../src/project/graph.ts';
import type { Model } from '../../src/project/model-file.ts';

function model(name: string, refs: string[] = [], sources: string[] = []): Model {
  return {
    name,
    file: `models/${name}.sql`,
    header: { materialized: 'table', tests: {} },
    body: 'select 1',
    bodyStartLine: 1,
    refs: refs.map((r, i) => ({ name: r, line: 10 + i })),
    sources: sources.map((s, i) => ({ name: s, line: 20 + i })),
  };
}

const names = (models: Model[]) => models.map((m) => m.name);

const project = [
  model('user_scores', ['user_features']),
  model('account_scores', ['account_rollups', 'scoring_points']),
  model('user_features', ['stg_users', 'stg_events', 'scoring_points']),
  model('stg_events', [], ['events']),
  model('stg_users', [], ['users']),
  model('account_rollups', ['user_scores', 'user_features']),
  model('scoring_points'),
];
const sources = ['events', 'users'];

describe('graph: order', () => {
  it('orders by dependency, alphabetically among models ready together', () => {
    expect(names(orderModels(project, sources))).toEqual([
      'scoring_points',
      'stg_events',
      'stg_users',
      'user_features',
      'user_scores',
      'account_rollups',
      'account_scores',
    ]);
  });

  it('is stable whatever the input order', () => {
    expect(names(orderModels([...project].reverse(), sources))).toEqual(names(orderModels(project, sources)));
  });

  it('names every unknown ref and source with file:line and a suggestion', () => {
    const bad = [model('user_features', ['stg_user']), model('stg_users', [], ['user']), model('other', ['missing'])];
    try {
      orderModels(bad, sources);
      throw new Error('expected a ModelError');
    } catch (e) {
      expect(e).toBeInstanceOf(ModelError);
      const message = (e as ModelError).message;
      expect(message).toContain("models/user_features.sql:10: ref('stg_user') names no model; did you mean 'stg_users'?");
      expect(message).toContain("models/stg_users.sql:20: source('user') is not configured; did you mean 'users'?");
      expect(message).toContain("models/other.sql:10: ref('missing') names no model");
    }
  });

  it('names a cycle with its files', () => {
    const cyclic = [model('a', ['c']), model('b', ['a']), model('c', ['b']), model('d'), model('e', ['a'])];
    expect(() => orderModels(cyclic, [])).toThrow(ModelError);
    expect(() => orderModels(cyclic, [])).toThrow(
      'Models form a cycle: a (models/a.sql) → c (models/c.sql) → b (models/b.sql) → a (models/a.sql)',
    );
  });

  it('names a model that refs itself as a cycle', () => {
    expect(() => orderModels([model('a', ['a'])], [])).toThrow('Models form a cycle: a (models/a.sql) → a (models/a.sql)');
  });
});

describe('graph: selection', () => {
  const ordered = orderModels(project, sources);

  it('selects one model', () => {
    expect(names(selectModels(ordered, ['user_features']))).toEqual(['user_features']);
  });

  it('selects a model with everything upstream, in build order', () => {
    expect(names(selectModels(ordered, ['+user_scores']))).toEqual([
      'scoring_points',
      'stg_events',
      'stg_users',
      'user_features',
      'user_scores',
    ]);
  });

  it('selects a model with everything downstream', () => {
    expect(names(selectModels(ordered, ['user_scores+']))).toEqual(['user_scores', 'account_rollups', 'account_scores']);
  });

  it('combines selectors and both directions', () => {
    expect(names(selectModels(ordered, ['+stg_users+']))).toEqual([
      'stg_users',
      'user_features',
      'user_scores',
      'account_rollups',
      'account_scores',
    ]);
    expect(names(selectModels(ordered, ['stg_events', 'scoring_points']))).toEqual(['scoring_points', 'stg_events']);
    expect(names(selectModels(ordered, ['stg_events,scoring_points']))).toEqual(['scoring_points', 'stg_events']);
  });

  it('selects everything without selectors', () => {
    expect(selectModels(ordered, [])).toEqual(ordered);
  });

  it('rejects unknown and malformed selectors with a ConfigError', () => {
    expect(() => selectModels(ordered, ['user_scors'])).toThrow(ConfigError);
    expect(() => selectModels(ordered, ['user_scors'])).toThrow("did you mean 'user_scores'?");
    expect(() => selectModels(ordered, ['++user_scores'])).toThrow(ConfigError);
    expect(() => selectModels(ordered, ['tag:pql'])).toThrow(/not a model selector/);
  });
});
