#!/usr/bin/env node
// The installed package runs the compiled JavaScript in dist/. A source checkout (src/ next to
// this file, where dist/ may be missing or stale) runs the TypeScript through tsx, a devDependency.
import { existsSync } from 'node:fs';
import module from 'node:module';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  // Node >= 22.1 keeps compiled code in a cache on disk (in the temp folder): later starts skip parsing.
  module.enableCompileCache?.();
  await import('../dist/src/cli/main.js');
}
