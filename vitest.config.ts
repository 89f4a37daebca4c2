import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One ZetaSQL analyzer for the BigQuery fake, shared by every worker (test/fakes/zetasql.ts).
    globalSetup: ['test/setup/zetasql.global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests each open their own DuckDB file and sandbox port; two cores here.
    maxWorkers: 2,
  },
});
