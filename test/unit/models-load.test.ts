import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import { orderModels } from '../../src/project/graph.ts';
import { loadModels } from '../../src/project/load-models.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'projects');
const load = (scenario: string, dialect: 'duckdb' | 'postgres' = 'duckdb') =>
  loadModels(join(fixtures, scenario, 'models'), { dialect, projectRoot: join(fixtures, scenario) });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('load models', () => {
  it('walks subfolders and names files relative to the project root', async () => {
    const models = await load('basic');
    expect(models.map((m) => [m.name, m.file])).toEqual([
      ['accounts', 'models/staging/accounts.sql'],
      ['stg_events', 'models/staging/stg_events.sql'],
      ['stg_users', 'models/staging/stg_users.sql'],
      ['user_features', 'models/features/user_features.sql'],
      ['user_scores', 'models/scores/user_scores.sql'],
    ]);
  });

  it("picks <model>.<dialect>.sql on that dialect only", async () => {
    const onPostgres = await load('basic', 'postgres');
    expect(onPostgres.find((m) => m.name === 'stg_events')!.file).toBe('models/staging/stg_events.postgres.sql');
    expect(onPostgres.find((m) => m.name === 'stg_users')!.file).toBe('models/staging/stg_users.sql');
  });

  it('names the file and key of a bad header', async () => {
    const e = await rejection(load('bad-header'));
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).file).toBe('models/users.sql');
    expect(e.message).toContain('models/users.sql');
    expect(e.message).toContain('materialised');
    expect(e.message).toContain('tests.unique');
  });

  it('loads a cycle, which ordering then names', async () => {
    const models = await load('cycle');
    expect(() => orderModels(models, [])).toThrow(
      'Models form a cycle: a (models/a.sql) → c (models/c.sql) → b (models/b.sql) → a (models/a.sql)',
    );
  });

  it('loads an unknown ref, which ordering names with file and line', async () => {
    const models = await load('unknown-ref');
    expect(() => orderModels(models, [])).toThrow(
      "models/user_scores.sql:6: ref('user_featurs') names no model; did you mean 'user_features'?",
    );
  });

  describe('in a scratch folder', () => {
    let root: string | undefined;
    afterEach(async () => {
      if (root) await rm(root, { recursive: true, force: true });
      root = undefined;
    });
    async function project(files: Record<string, string>): Promise<string> {
      root = await mkdtemp(join(tmpdir(), 'pqlsync-models-'));
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await writeFile(join(root, path), text);
      }
      return root;
    }

    it('rejects two files with one model name', async () => {
      const dir = await project({ 'models/a/users.sql': 'select 1', 'models/b/users.sql': 'select 2' });
      const e = await rejection(loadModels(join(dir, 'models'), { dialect: 'duckdb', projectRoot: dir }));
      expect(e).toBeInstanceOf(ModelError);
      expect(e.message).toContain('models/a/users.sql and models/b/users.sql');
    });

    it('rejects an override without its portable model, and bad file names', async () => {
      let dir = await project({ 'models/users.snowflake.sql': 'select 1' });
      expect((await rejection(loadModels(join(dir, 'models'), { dialect: 'duckdb', projectRoot: dir }))).message).toContain(
        'overrides a model users.sql that does not exist',
      );
      await rm(dir, { recursive: true });
      dir = await project({ 'models/users.oracle.sql': 'select 1', 'models/users.sql': 'select 1' });
      expect((await rejection(loadModels(join(dir, 'models'), { dialect: 'duckdb', projectRoot: dir }))).message).toContain(
        'models/users.oracle.sql: a model file is named',
      );
    });

    it('checks overrides for other dialects too, and ignores other files', async () => {
      const dir = await project({
        'models/users.sql': 'select 1',
        'models/users.bigquery.sql': 'select {{ nope() }}',
        'models/README.md': '# models',
        'models/.hidden/x.sql': 'broken {{',
      });
      expect((await rejection(loadModels(join(dir, 'models'), { dialect: 'duckdb', projectRoot: dir }))).message).toMatch(
        /^models\/users\.bigquery\.sql:1: unknown macro 'nope'/,
      );
    });

    it('reports a missing models folder as a ConfigError', async () => {
      const dir = await project({ 'pqlsync.yml': '' });
      expect(await rejection(loadModels(join(dir, 'models'), { dialect: 'duckdb', projectRoot: dir }))).toBeInstanceOf(ConfigError);
    });
  });
});
