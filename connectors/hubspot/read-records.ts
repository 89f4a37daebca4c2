/**
 * Reads the values HubSpot holds on records pqlsync knows by id (./objects/held-values.ts:
 * batch read, 100 ids a request). A rollback reads them to leave alone what someone changed
 * after the run.
 */
import { DestinationError } from '../../contracts/errors.ts';
import type { HubSpotSyncTarget } from './config.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import { readRecords } from './objects/held-values.ts';
import type { RequestExecutor } from './retry.ts';

/**
 * The properties' values on each record, by record id; a record HubSpot no longer has (deleted,
 * merged away) is absent from the map. Throws when HubSpot cannot answer: without its values a
 * rollback could overwrite a rep's edit.
 */
export async function readRecordValues(
  ctx: { apis: HubSpotApis; exec: RequestExecutor },
  sync: HubSpotSyncTarget,
  recordIds: string[],
  properties: string[],
): Promise<Map<string, Record<string, string | null>>> {
  const result = await readRecords(ctx, sync.object, recordIds, properties);
  if (!result.ok) throw new DestinationError(`reading ${recordIds.length} ${sync.object} records: ${result.message}`);
  return new Map([...result.held].map(([id, values]) => [id, Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v ?? null]))]));
}
