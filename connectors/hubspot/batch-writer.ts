/**
 * Writing one batch and reading the answer per record. Every input carries a unique
 * `objectWriteTraceId`, so HubSpot can answer 207 with per-record errors; a batch still
 * refused as a whole (400) is split in halves, recursively, until the records at fault are
 * isolated and the rest is delivered. Pure logic around an injected sender.
 */
import { isSplittable, recordFailure, type HubSpotErrorBody } from './errors.ts';
import type { CallResult } from './retry.ts';

export interface WriteItem {
  traceId: string;
  /** The input HubSpot receives, without the trace id. */
  input: {
    id?: string;
    idProperty?: string;
    properties: Record<string, string>;
    /** A create's associations, written with the record (HubSpot's batch create takes them per input). */
    associations?: Array<{ to: { id: string }; types: Array<{ associationCategory: string; associationTypeId: number }> }>;
  };
  /** Identifiers a result or error may name this record by (email, record id), lower case. */
  matchKeys: string[];
}

export type ItemResult =
  | { ok: true; recordId: string }
  | { ok: false; category: string; property: string | null; message: string };

export interface BatchResponseLike {
  results?: Array<{ id: string; properties?: Record<string, string | null>; objectWriteTraceId?: string }>;
  errors?: Array<HubSpotErrorBody & { status?: string }>;
}

/**
 * Sends a set of items and says which it actually sent: a sender may drop items between
 * attempts (companies found by a re-resolve before a retried create).
 */
export type BatchSender = (items: WriteItem[]) => Promise<{ result: CallResult<BatchResponseLike | null>; sent: WriteItem[] }>;

export function withTraceId(item: WriteItem): WriteItem['input'] & { objectWriteTraceId: string } {
  return { ...item.input, objectWriteTraceId: item.traceId };
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];

/** Maps a 200/201/207 answer back to the items, by trace id first, then by id or email, then by position. */
export function mapBatchResponse(items: WriteItem[], data: BatchResponseLike | null): Map<string, ItemResult> {
  const out = new Map<string, ItemResult>();
  const byTrace = new Map(items.map((i) => [i.traceId, i]));
  const byKey = new Map<string, WriteItem>();
  for (const item of items) for (const k of item.matchKeys) byKey.set(k.toLowerCase(), item);
  const unanswered = (i: WriteItem | undefined): i is WriteItem => i !== undefined && !out.has(i.traceId);

  const looseResults: Array<{ id: string }> = [];
  for (const r of data?.results ?? []) {
    let item = r.objectWriteTraceId ? byTrace.get(r.objectWriteTraceId) : undefined;
    if (!unanswered(item)) {
      item = undefined;
      for (const k of [r.id, r.properties?.email, r.properties?.hs_object_id]) {
        const candidate = k ? byKey.get(String(k).toLowerCase()) : undefined;
        if (unanswered(candidate)) {
          item = candidate;
          break;
        }
      }
    }
    if (item) out.set(item.traceId, { ok: true, recordId: String(r.id) });
    else looseResults.push(r);
  }

  const looseErrors: BatchResponseLike['errors'] = [];
  for (const e of data?.errors ?? []) {
    const ctx = e.context ?? {};
    const named = [
      ...strings(ctx.objectWriteTraceId).map((t) => byTrace.get(t)),
      ...[...strings(ctx.ids), ...strings(ctx.id), ...strings(ctx.email)].map((k) => byKey.get(k.toLowerCase())),
    ].filter(unanswered);
    if (named.length === 0) {
      looseErrors.push(e);
      continue;
    }
    const failure = recordFailure(e, null, 'HubSpot rejected the record');
    for (const item of named) out.set(item.traceId, { ok: false, ...failure });
  }

  const rest = items.filter((i) => !out.has(i.traceId));
  if (rest.length > 0 && looseErrors.length === 0 && looseResults.length === rest.length) {
    // No trace ids and no identifiers in the answer: HubSpot answers in input order.
    rest.forEach((item, index) => out.set(item.traceId, { ok: true, recordId: String(looseResults[index].id) }));
  } else if (rest.length > 0) {
    const hint = looseErrors[0] ? recordFailure(looseErrors[0], null, '').message : '';
    for (const item of rest) {
      out.set(item.traceId, {
        ok: false,
        category: 'NOT_ACKNOWLEDGED',
        property: null,
        message: `HubSpot's answer did not name this record${hint ? ` (${hint})` : ''}; it is sent again next run`,
      });
    }
  }
  return out;
}

/**
 * Writes the items through `send`, splitting a batch HubSpot refuses as a whole. Returns a
 * result for every item the sender sent (items it dropped are the caller's to answer).
 */
export async function writeWithSplitting(items: WriteItem[], send: BatchSender): Promise<Map<string, ItemResult>> {
  if (items.length === 0) return new Map();
  const { result, sent } = await send(items);
  if (result.ok) return mapBatchResponse(sent, result.data);
  if (result.kind === 'exhausted') {
    return new Map(sent.map((i) => [i.traceId, { ok: false, category: 'RETRIES_EXHAUSTED', property: null, message: result.message }]));
  }
  if (sent.length > 1 && isSplittable(result.failure)) {
    const middle = Math.ceil(sent.length / 2);
    const halves = await Promise.all([writeWithSplitting(sent.slice(0, middle), send), writeWithSplitting(sent.slice(middle), send)]);
    return new Map([...halves[0], ...halves[1]]);
  }
  const failure = recordFailure(result.failure.body, result.failure.status, result.failure.message);
  return new Map(sent.map((i) => [i.traceId, { ok: false, ...failure }]));
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Runs `each` on the batches of `list` (at most `size` items a batch), at most `concurrency` at a time (see runPool). */
export async function forEachBatch<T>(list: readonly T[], size: number, concurrency: number, each: (batch: T[]) => Promise<void>): Promise<void> {
  await runPool(chunk(list, size).map((batch) => () => each(batch)), concurrency);
}

/**
 * Runs tasks with at most `concurrency` in flight. On the first thrown error no new task
 * starts; the ones in flight finish, then the error is rethrown.
 */
export async function runPool(tasks: Array<() => Promise<void>>, concurrency: number): Promise<void> {
  let next = 0;
  let fatal: { error: unknown } | null = null;
  const worker = async () => {
    while (!fatal && next < tasks.length) {
      const task = tasks[next++];
      try {
        await task();
      } catch (error) {
        fatal ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker));
  if (fatal) throw (fatal as { error: unknown }).error;
}
