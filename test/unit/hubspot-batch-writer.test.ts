import { describe, expect, it } from 'vitest';
import { chunk, mapBatchResponse, runPool, writeWithSplitting, type BatchSender, type WriteItem } from '../../connectors/hubspot/batch-writer.ts';
import type { CallResult } from '../../connectors/hubspot/retry.ts';

const items = (n: number): WriteItem[] =>
  Array.from({ length: n }, (_, i) => ({
    traceId: `t${i}`,
    input: { id: `u${i}@x.com`, idProperty: 'email', properties: { p: String(i) } },
    matchKeys: [`u${i}@x.com`],
  }));

const rejected = (message = 'Property values were not valid'): CallResult<never> => ({
  ok: false,
  kind: 'rejected',
  failure: {
    kind: 'rejected',
    status: 400,
    message,
    body: { category: 'VALIDATION_ERROR', message, errors: [{ code: 'INVALID_EMAIL', context: { propertyName: ['email'] } }] },
  },
});

/** A fake HubSpot that refuses any batch containing one of `bad` as a whole (no 207). */
function strictSender(bad: Set<string>, calls: WriteItem[][]): BatchSender {
  return async (subset) => {
    calls.push(subset);
    if (subset.some((i) => bad.has(i.traceId))) return { result: rejected(), sent: subset };
    return { result: { ok: true, status: 200, data: { results: subset.map((i) => ({ id: String(1000 + Number(i.traceId.slice(1))), objectWriteTraceId: i.traceId, properties: {} })) } }, sent: subset };
  };
}

describe('splitting a batch refused as a whole', () => {
  it('isolates the one bad record and delivers the other 99', async () => {
    const calls: WriteItem[][] = [];
    const results = await writeWithSplitting(items(100), strictSender(new Set(['t37']), calls));
    expect([...results.values()].filter((r) => r.ok)).toHaveLength(99);
    expect(results.get('t37')).toEqual({ ok: false, category: 'INVALID_EMAIL', property: 'email', message: 'Property values were not valid' });
    expect(results.get('t0')).toEqual({ ok: true, recordId: '1000' });
    // 1 + 2 per level down to a single record: about 2·log2(100).
    expect(calls.length).toBeLessThanOrEqual(15);
  });

  it('isolates several bad records', async () => {
    const calls: WriteItem[][] = [];
    const results = await writeWithSplitting(items(100), strictSender(new Set(['t0', 't50', 't99']), calls));
    expect([...results.values()].filter((r) => !r.ok).map((r) => r)).toHaveLength(3);
    expect(results.size).toBe(100);
  });

  it('does not split what fails for every record alike', async () => {
    let calls = 0;
    const results = await writeWithSplitting(items(100), async (subset) => {
      calls++;
      return {
        result: {
          ok: false,
          kind: 'rejected',
          failure: { kind: 'rejected', status: 400, message: 'm', body: { category: 'VALIDATION_ERROR', message: 'Property "nope" does not exist', errors: [{ code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['nope'] } }] } },
        },
        sent: subset,
      };
    });
    expect(calls).toBe(1);
    expect(results.get('t5')).toMatchObject({ ok: false, category: 'PROPERTY_DOESNT_EXIST', property: 'nope' });
  });

  it('retries exhausted: every record of the batch says so', async () => {
    const results = await writeWithSplitting(items(3), async (subset) => ({ result: { ok: false, kind: 'exhausted', message: 'gave up', attempts: 5 }, sent: subset }));
    expect([...results.values()].every((r) => !r.ok && r.category === 'RETRIES_EXHAUSTED')).toBe(true);
  });

  it('answers only for what the sender actually sent', async () => {
    const results = await writeWithSplitting(items(3), async (subset) => ({ result: { ok: true, status: 201, data: { results: [] } }, sent: subset.slice(1, 1) }));
    expect(results.size).toBe(0);
  });
});

describe('reading a 200/207 per record', () => {
  it('by objectWriteTraceId', () => {
    const out = mapBatchResponse(items(3), {
      results: [{ id: '11', objectWriteTraceId: 't2' }, { id: '10', objectWriteTraceId: 't0' }],
      errors: [{ status: 'error', category: 'VALIDATION_ERROR', message: 'bad email', context: { objectWriteTraceId: ['t1'] }, errors: [{ code: 'INVALID_EMAIL', context: { propertyName: ['email'] } }] }],
    });
    expect(out.get('t0')).toEqual({ ok: true, recordId: '10' });
    expect(out.get('t2')).toEqual({ ok: true, recordId: '11' });
    expect(out.get('t1')).toEqual({ ok: false, category: 'INVALID_EMAIL', property: 'email', message: 'bad email' });
  });

  it('by email, case-insensitively, or by the ids an error names', () => {
    const out = mapBatchResponse(items(3), {
      results: [{ id: '20', properties: { email: 'U0@X.com' } }],
      errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: 'Could not get some CONTACT objects', context: { ids: ['u1@x.com', 'U2@x.com'] } }],
    });
    expect(out.get('t0')).toEqual({ ok: true, recordId: '20' });
    expect(out.get('t1')).toMatchObject({ ok: false, category: 'NOT_FOUND' });
    expect(out.get('t2')).toMatchObject({ ok: false, category: 'NOT_FOUND' });
  });

  it('by position when the answer names nothing', () => {
    const list = items(2).map((i) => ({ ...i, matchKeys: [] }));
    const out = mapBatchResponse(list, { results: [{ id: '1' }, { id: '2' }] });
    expect(out.get('t0')).toEqual({ ok: true, recordId: '1' });
    expect(out.get('t1')).toEqual({ ok: true, recordId: '2' });
  });

  it('never guesses when errors cannot be placed', () => {
    const list = items(2).map((i) => ({ ...i, matchKeys: [] }));
    const out = mapBatchResponse(list, { results: [{ id: '1' }], errors: [{ message: 'something failed' }] });
    expect([...out.values()].every((r) => !r.ok && r.category === 'NOT_ACKNOWLEDGED')).toBe(true);
  });
});

describe('helpers', () => {
  it('chunks by 100', () => {
    expect(chunk(Array.from({ length: 250 }, (_, i) => i), 100).map((c) => c.length)).toEqual([100, 100, 50]);
  });
  it('the pool stops starting tasks after a fatal error and rethrows it', async () => {
    const started: number[] = [];
    const tasks = Array.from({ length: 10 }, (_, i) => async () => {
      started.push(i);
      await new Promise((r) => setTimeout(r, 1));
      if (i === 1) throw new Error('auth');
    });
    await expect(runPool(tasks, 2)).rejects.toThrow('auth');
    expect(started.length).toBeLessThan(5);
  });
});
