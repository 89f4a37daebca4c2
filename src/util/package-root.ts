import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The folder pqlsync is installed in: the repository when run from source, `node_modules/pqlsync`
 * when installed. Found by walking up from this file (src/util/ in the repository,
 * dist/src/util/ in the package) to the package.json named pqlsync.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pqlsync') {
      cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`pqlsync's package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/**
 * Where the demo project that ships with pqlsync lives, relative to the package root: its
 * pqlsync.yml and models/. `pqlsync demo` runs it and `pqlsync init` starts from it; it is kept
 * apart from the package's own code, as a user's project is.
 */
export const SHIPPED_DEMO_DIR = 'examples/demo';

/** The shipped demo project's folder, where pqlsync is installed (or in the repository). */
export function shippedDemoDir(): string {
  return path.join(packageRoot(), SHIPPED_DEMO_DIR);
}

/** The shipped demo project's pqlsync.yml. */
export function shippedDemoConfig(): string {
  return path.join(shippedDemoDir(), 'pqlsync.yml');
}

/** pqlsync's own version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
