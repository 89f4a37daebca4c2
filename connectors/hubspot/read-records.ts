/**
 * Reads the values HubSpot holds on records pqlsync knows by id: batch read, 100 ids a request
 * (docs/hubspot.md). A rollback reads them to leave alone what someone changed after the run.
 */
import { DestinationError } from '../../src/errors.ts';
import type { SyncTarget } from '../destination.ts';
import { chunk } from './batch-writer.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import type { RequestExecutor } from './retry.ts';

interface ReadResponse {
  results?: Array<{ id: string; properties?: Record<string, string | null> }>;
}

/**
 * The properties' values on each record, by record id; a record HubSpot no longer has (deleted,
 * merged away) is absent from the map. Throws when HubSpot cannot answer: without its values a
 * rollback could overwrite a rep's edit. Callers pass a page (about a thousand ids), not a whole table.
 */
export async function readRecordValues(
  ctx: { apis: HubSpotApis; exec: RequestExecutor },
  sync: SyncTarget,
  recordIds: string[],
  properties: string[],
): Promise<Map<string, Record<string, string | null>>> {
  const out = new Map<string, Record<string, string | null>>();
  const api = ctx.apis[sync.object].batchApi;
  // The batches go out together; the executor paces them under the portal's limits.
  await Promise.all(
    chunk(recordIds, HUBSPOT_LIMITS.batchSize).map(async (ids) => {
      const result = await ctx.exec.run<ReadResponse>('crm', `${sync.object} read values (${ids.length})`, (options) =>
        api.readWithHttpInfo({ inputs: ids.map((id) => ({ id })), properties, propertiesWithHistory: [] }, false, options),
      );
      if (!result.ok) {
        throw new DestinationError(`reading ${ids.length} ${sync.object} records: ${result.kind === 'exhausted' ? result.message : result.failure.message}`);
      }
      for (const r of result.data.results ?? []) out.set(String(r.id), r.properties ?? {});
    }),
  );
  return out;
}
