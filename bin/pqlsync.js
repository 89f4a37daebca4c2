#!/usr/bin/env node
// The installed package runs the compiled JavaScript in dist/. A source checkout (src/ next to
// this file, where dist/ may be missing or stale) runs the TypeScript through tsx, a devDependency.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/src/cli/main.js');
}
