import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { parseProject, type Project } from '../../src/config/load-project.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');

/**
 * The shipped project (pqlsync.yml + models/) with its DuckDB file moved to a fresh
 * temp folder, so each test has a warehouse of its own. `edit` may change the config.
 */
export async function shippedProject(edit?: (config: Record<string, any>) => void): Promise<{ project: Project; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-test-'));
  const text = await readFile(path.join(REPO, 'pqlsync.yml'), 'utf8');
  const config = parseDocument(text).toJS() as Record<string, any>;
  config.warehouse = { ...config.warehouse, path: path.join(dir, 'warehouse.duckdb') };
  config.models_path = path.join(REPO, config.models_path ?? 'models');
  edit?.(config);
  const text2 = JSON.stringify(config, null, 2);
  await writeFile(path.join(dir, 'pqlsync.yml'), text2);
  const project = parseProject(text2, path.join(dir, 'pqlsync.yml'));
  return { project, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A logger that keeps JSON events in memory, for assertions. */
export function memoryLogger() {
  const lines: string[] = [];
  const sink = { write: (chunk: string) => (lines.push(chunk), true) } as unknown as NodeJS.WritableStream;
  return { lines, sink, events: () => lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l)) };
}
