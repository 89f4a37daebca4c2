/**
 * Imports go one way: src/ → connectors/ → contracts/ (docs/architecture.md, "The layer map").
 * A connector never reaches into src/, contracts/ imports nothing of the project, and src/config
 * reaches a destination only through the registry, so a second warehouse or destination can be
 * added without touching the core.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/project.ts';

/** Every module specifier of a file: static and type imports, re-exports, import() and require(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]);
  return found;
}

/** The imports of `file` (repository-relative) that land in one of `forbidden` (top-level folders). */
function upwardImports(file: string, source: string, forbidden: string[]): string[] {
  return specifiers(source)
    .filter((s) => s.startsWith('.'))
    .filter((s) => {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), s));
      return forbidden.some((top) => target === top || target.startsWith(`${top}/`));
    });
}

function sourceFiles(top: string): string[] {
  return readdirSync(path.join(REPO, top), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mts|js|mjs)$/.test(f))
    .map((f) => path.posix.join(top, f.split(path.sep).join('/')));
}

const LAYERS: { top: string; mayNotImport: string[] }[] = [
  { top: 'connectors', mayNotImport: ['src', 'test', 'bench'] },
  { top: 'contracts', mayNotImport: ['src', 'connectors', 'test', 'bench'] },
  // The config names no destination: a destination's object names, settings and rules come from connectors/registry.ts.
  { top: 'src/config', mayNotImport: ['connectors/hubspot'] },
];

describe('layers', () => {
  it('the scan sees an upward import in every form a file may write one', () => {
    const file = 'connectors/hubspot/x.ts';
    const source = [
      "import { ConfigError } from '../../src/errors.ts';",
      "import type { SyncConfig } from '../../src/config/schema.ts';",
      "export { run } from '../../src/index.ts';",
      "const m = await import('../../src/cli/main.ts');",
      "import '../../src/util/logger.ts';",
      "import { ok } from '../../contracts/errors.ts';",
      "import { sibling } from './y.ts';",
    ].join('\n');
    expect(upwardImports(file, source, ['src'])).toEqual(['../../src/errors.ts', '../../src/config/schema.ts', '../../src/index.ts', '../../src/cli/main.ts', '../../src/util/logger.ts']);
  });

  for (const { top, mayNotImport } of LAYERS) {
    it(`no file under ${top}/ imports from ${mayNotImport.join(', ')}`, () => {
      const files = sourceFiles(top);
      expect(files.length).toBeGreaterThan(0);
      const offending = files.flatMap((file) => upwardImports(file, readFileSync(path.join(REPO, file), 'utf8'), mayNotImport).map((s) => `${file}: ${s}`));
      expect(offending).toEqual([]);
    });
  }

  it('connectors/ holds the dialects and the HubSpot destination, which do import (the scan reads real files)', () => {
    const files = sourceFiles('connectors');
    expect(files).toContain('connectors/duckdb/duckdb.dialect.ts');
    const imports = files.flatMap((f) => specifiers(readFileSync(path.join(REPO, f), 'utf8')));
    expect(imports).toContain('../../contracts/errors.ts');
  });
});
