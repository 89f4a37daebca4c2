/**
 * vitest globalSetup: one ZetaSQL analyzer server for the whole run (about half a second to
 * start), whose port the test workers find in PQLSYNC_ZETASQL_PORT. A binary that cannot run
 * fails the run here, before any test: BigQuery SQL is never left unchecked.
 */
import { startZetaSqlServer, ZETASQL_PORT_ENV } from '../fakes/zetasql.ts';

export default async function setup(): Promise<() => void> {
  const server = await startZetaSqlServer();
  process.env[ZETASQL_PORT_ENV] = String(server.port);
  return () => server.stop();
}
