/**
 * How many requests a sync's run makes in HubSpot, before it runs (docs/hubspot.md, "Daily
 * budget"): the same batching the writers use, counted from what `plan` finds in the warehouse.
 * Pure. An estimate, not a promise: retries, 207 splits, a company search HubSpot's index has not
 * caught up with, and options patched on an enumeration add requests it does not count.
 */
import type { RequestEstimate, SendWorkload } from '../destination.ts';
import type { HubSpotSyncTarget } from './config.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import { OBJECT_TYPES, ownsIdentity } from './objects/object-types.ts';
import { LIFECYCLE_STAGE, writePolicyOf } from './write-policy.ts';

const batches = (n: number, size: number = HUBSPOT_LIMITS.batchSize) => Math.ceil(Math.max(0, n) / size);
/** Domains one company search resolves (each searched as is and with www.). */
const DOMAINS_PER_SEARCH = Math.floor(HUBSPOT_LIMITS.searchMaxInValues / 2);

export function estimateHubSpotRequests(sync: HubSpotSyncTarget, work: SendWorkload): RequestEstimate {
  const records = work.new + work.known + work.cleared;
  // Properties are checked only when something is sent: one read of the object's properties;
  // a first sync also reads the groups, creates pqlsync's group and its properties.
  let setup = records > 0 ? (work.firstSync ? 4 : 1) : 0;
  if (records > 0 && sync.pipeline) setup += work.firstSync ? 2 : 1;
  let reads = 0;
  // Records that existed before pqlsync are found first: contacts by email (batch read), companies by domain (search).
  if (sync.object === 'contacts' && ownsIdentity(sync)) reads += batches(work.new);
  if (sync.object === 'companies') reads += batches(work.new, DOMAINS_PER_SEARCH);
  // Updates by id that must see what HubSpot holds first (a deal's stage, if_empty values, the lifecycle stage): one read per 100.
  const readsFirst = OBJECT_TYPES[sync.object].capabilities.pipeline !== undefined || sync.properties.some((p) => writePolicyOf(p) === 'if_empty' || p.property === LIFECYCLE_STAGE);
  if (readsFirst) reads += batches(work.known + work.cleared);
  const writes = batches(work.new) + batches(work.known) + batches(work.cleared);
  let associations = 0;
  for (const a of work.associations) {
    if (a.write + a.remove > 0) associations += 1; // the association's labels, read once a run
    associations += batches(a.write) + batches(a.remove);
  }
  return { setup, reads, writes, associations, total: setup + reads + writes + associations };
}
