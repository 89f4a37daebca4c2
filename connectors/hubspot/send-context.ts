/** What the object senders (contacts, companies) share for one `send` call. */
import type { Change } from '../destination.ts';
import type { SyncConfig } from '../../src/config/schema.ts';
import type { ItemResult } from './batch-writer.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import type { Log, RequestExecutor } from './retry.ts';

/** A change that passed validation: its normalised key and formatted properties. */
export interface Prepared {
  /** The change sent for this key (the last one when a page repeats a key). */
  change: Change;
  /** Normalised email or domain. */
  key: string;
  properties: Record<string, string>;
  clear: boolean;
}

export interface SendContext {
  apis: HubSpotApis;
  exec: RequestExecutor;
  sync: SyncConfig;
  concurrency: number;
  log?: Log;
  /** A trace id unique within this destination's lifetime. */
  nextTraceId(): string;
  /** Records the answer for one prepared change, as soon as it is known. */
  record(prepared: Prepared, result: ItemResult): void;
}
