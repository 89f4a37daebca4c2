/** The PostgreSQL the warehouse tests use: PQLSYNC_POSTGRES_URL (CI sets it from .ci/postgres.sh). */
export const postgresUrl = process.env.PQLSYNC_POSTGRES_URL;

/** Says once, in one line, why PostgreSQL tests are skipped. */
export function noteSkippedPostgres(suite: string): void {
  if (!postgresUrl) console.log(`[skipped] ${suite}: PQLSYNC_POSTGRES_URL is not set (run: export PQLSYNC_POSTGRES_URL="$(.ci/postgres.sh)")`);
}

/** A schema name of its own per test file, so files running in parallel never collide. */
export function testSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}
