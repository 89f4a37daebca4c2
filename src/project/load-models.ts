/**
 * Loads every model of a project: the `.sql` files anywhere under the models folder.
 * `<model>.sql` is the portable model; `<model>.<dialect>.sql` replaces it on that
 * dialect only (the escape hatch for the rare model that cannot be written portably).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DialectName } from '../../connectors/warehouse.ts';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import { MODEL_NAME, parseModelFile, type Model } from './model-file.ts';

export type { Model } from './model-file.ts';

const DIALECTS: readonly DialectName[] = ['duckdb', 'postgres', 'bigquery', 'snowflake'];

interface ModelFiles {
  portable?: string;
  overrides: Partial<Record<DialectName, string>>;
}

/**
 * Reads, parses and checks every model file under `modelsDir`, and returns the models
 * for `dialect`, sorted by name. Every file is parsed (overrides for other dialects
 * too), so a broken file fails on every warehouse, not only on its own.
 * Throws ModelError (file and line) for a bad file, a bad name or a duplicate name;
 * ConfigError when the folder does not exist.
 */
export async function loadModels(modelsDir: string, options: { dialect: DialectName; projectRoot: string }): Promise<Model[]> {
  const info = await stat(modelsDir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ConfigError(`The models folder ${relativeTo(options.projectRoot, modelsDir)} does not exist: create it or set models_path in pqlsync.yml`);
  }
  const paths = await listSqlFiles(modelsDir);
  const byName = new Map<string, ModelFiles>();
  for (const path of paths) {
    const file = relativeTo(options.projectRoot, path);
    const parts = path.slice(path.lastIndexOf(sep) + 1).split('.');
    parts.pop(); // 'sql'
    const [name, dialect, ...extra] = parts;
    if (!MODEL_NAME.test(name ?? '') || extra.length > 0 || (dialect !== undefined && !DIALECTS.includes(dialect as DialectName))) {
      throw new ModelError(
        `${file}: a model file is named <model>.sql or <model>.<dialect>.sql, with a lower-case model name and a dialect among ${DIALECTS.join(', ')}`,
        file,
      );
    }
    const entry = byName.get(name) ?? { overrides: {} };
    byName.set(name, entry);
    const existing = dialect ? entry.overrides[dialect as DialectName] : entry.portable;
    if (existing) {
      throw new ModelError(`Two files define the model ${name}${dialect ? ` for ${dialect}` : ''}: ${existing} and ${file}. Model names are unique across the project: rename one.`, file);
    }
    if (dialect) entry.overrides[dialect as DialectName] = file;
    else entry.portable = file;
  }

  // Read in parallel, parse in path order: the first error reported is always the same one.
  const texts = await Promise.all(paths.map((path) => readFile(path, 'utf8')));
  const parsed = new Map<string, Model>();
  paths.forEach((path, i) => {
    const file = relativeTo(options.projectRoot, path);
    parsed.set(file, parseModelFile(texts[i], file, path.slice(path.lastIndexOf(sep) + 1).split('.')[0]));
  });

  const models: Model[] = [];
  for (const [name, files] of [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!files.portable) {
      const only = Object.values(files.overrides)[0]!;
      throw new ModelError(
        `${only} overrides a model ${name}.sql that does not exist. Write the portable ${name}.sql too: a model that only one dialect can run is a bug.`,
        only,
      );
    }
    models.push(parsed.get(files.overrides[options.dialect] ?? files.portable)!);
  }
  return models;
}

/** Every `.sql` file under `dir`, recursively, sorted; hidden files and folders are skipped. */
async function listSqlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listSqlFiles(path)));
    else if (entry.isFile() && entry.name.endsWith('.sql')) files.push(path);
  }
  return files;
}

function relativeTo(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}
