/**
 * Golden files: `expectGolden('postgres/row_hash.sql', sql)` compares with
 * test/golden/postgres/row_hash.sql. UPDATE_GOLDEN=1 rewrites the files instead (review the diff).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const goldenRoot = path.dirname(fileURLToPath(import.meta.url));

export function expectGolden(relativePath: string, actual: string): void {
  const file = path.join(goldenRoot, relativePath);
  const text = actual.endsWith('\n') ? actual : `${actual}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(`No golden file ${path.relative(process.cwd(), file)}: run with UPDATE_GOLDEN=1 to write it, then review it.`);
  }
  expect(text, `golden ${relativePath} (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(file, 'utf8'));
}
