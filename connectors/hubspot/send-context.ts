/** What the object writers share for one `send` call. */
import type { Change } from '../destination.ts';
import type { HubSpotSyncTarget } from './config.ts';
import type { ItemResult } from './batch-writer.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import type { ObjectTypeName } from './objects/object-types.ts';
import type { ResolvedPipeline } from './pipelines.ts';
import type { Log, RequestExecutor } from './retry.ts';

/** A change that passed validation: its normalised key and formatted properties. */
export interface Prepared {
  /** The change sent for this key (the last one when a page repeats a key). */
  change: Change;
  /** Normalised key: an email, a domain, a trial id... */
  key: string;
  properties: Record<string, string>;
  clear: boolean;
}

export interface SendContext {
  apis: HubSpotApis;
  exec: RequestExecutor;
  sync: HubSpotSyncTarget;
  /** The unique-value property records of this sync are upserted by (email, pqlsync_account_key...). */
  identity: string;
  /**
   * Set when the portal keeps no unique values on this sync's identity (tasks): new records are
   * created associated with a record of this type and found back through it (objects/journaled-creates.ts).
   */
  createsThrough?: ObjectTypeName;
  /** deals: the pipeline checked by ensureProperties, with its stage ids. */
  pipeline?: ResolvedPipeline;
  concurrency: number;
  /** What a writer keeps between the pages of one run (this destination's lifetime), by name. */
  memo: Map<string, unknown>;
  /** Requests per second the pacers allow now: the 10-second window's and search's. */
  rates(): { crmPerSecond: number; searchPerSecond: number };
  log?: Log;
  /** A trace id unique within this destination's lifetime. */
  nextTraceId(): string;
  /** Records the answer for one prepared change, as soon as it is known. */
  record(prepared: Prepared, result: ItemResult): void;
}
