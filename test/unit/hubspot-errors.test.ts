import { describe, expect, it } from 'vitest';
import { classifyFailure, isSplittable, recordFailure, redact, retryAfterMs } from '../../connectors/hubspot/errors.ts';

/** The shape the generated client throws (each module has its own class). */
const apiException = (code: number, body: unknown, headers: Record<string, string> = {}) =>
  Object.assign(new Error('An error occurred.'), { code, body, headers });

describe('classifying a failed attempt by shape', () => {
  it('401 and 403 stop at once', () => {
    expect(classifyFailure(apiException(401, { message: 'Authentication credentials not found.' }))).toMatchObject({ kind: 'auth', status: 401 });
    expect(classifyFailure(apiException(403, { message: 'missing scopes' }))).toMatchObject({ kind: 'auth', status: 403 });
  });

  it('429: daily limit versus the ten-second window', () => {
    expect(classifyFailure(apiException(429, { policyName: 'DAILY', message: 'You have reached your daily limit.' }))).toMatchObject({ kind: 'daily' });
    expect(
      classifyFailure(apiException(429, { policyName: 'TEN_SECONDLY_ROLLING', message: 'You have reached your ten secondly limit.' }, { 'retry-after': '2' })),
    ).toEqual(expect.objectContaining({ kind: 'rate', retryAfterMs: 2000 }));
    expect(classifyFailure(apiException(429, { message: 'You have reached your secondly limit.' }))).toMatchObject({ kind: 'rate', retryAfterMs: null });
  });

  it('5xx, 423, 477 and network errors are transient', () => {
    expect(classifyFailure(apiException(503, {}))).toMatchObject({ kind: 'transient', status: 503 });
    expect(classifyFailure(apiException(423, {}))).toMatchObject({ kind: 'transient', minDelayMs: 2000 });
    expect(classifyFailure(apiException(477, {}, { 'retry-after': '3' }))).toMatchObject({ kind: 'transient', minDelayMs: 3000 });
    const reset = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('other side closed'), { code: 'ECONNRESET' }) });
    expect(classifyFailure(reset)).toMatchObject({ kind: 'transient', status: null });
    expect(classifyFailure(reset).message).toContain('ECONNRESET');
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifyFailure(timeout)).toMatchObject({ kind: 'transient', message: expect.stringContaining('timed out') });
  });

  it('an HTML 502 the client cannot parse is classified from what the transport saw', () => {
    const parseError = new Error('The mediaType text/html is not supported by ObjectSerializer.parse.');
    expect(classifyFailure(parseError, { status: 502, headers: { 'content-type': 'text/html' }, text: '<html>Bad gateway</html>' })).toMatchObject({
      kind: 'transient',
      status: 502,
    });
    expect(classifyFailure(parseError, { status: 200, headers: {}, text: 'not json' })).toMatchObject({ kind: 'transient', status: 200 });
  });

  it('other 4xx are refusals the caller may split', () => {
    const failure = classifyFailure(apiException(400, { category: 'VALIDATION_ERROR', message: 'Property values were not valid' }));
    expect(failure).toMatchObject({ kind: 'rejected', status: 400 });
    expect(isSplittable(failure as never)).toBe(true);
    const unknownProperty = classifyFailure(
      apiException(400, { category: 'VALIDATION_ERROR', errors: [{ code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['nope'] } }] }),
    );
    expect(isSplittable(unknownProperty as never)).toBe(false);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs({ 'retry-after': '1.5' })).toBe(1500);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4_000)).toBe(6000);
    expect(retryAfterMs({})).toBeNull();
  });
});

describe("a record's failure from HubSpot's envelope", () => {
  it('takes the detail code and the property name', () => {
    expect(
      recordFailure(
        { category: 'VALIDATION_ERROR', message: 'Property values were not valid', errors: [{ code: 'INVALID_INTEGER', message: 'x was not a valid number', context: { propertyName: ['pql_score'] } }] },
        400,
        '',
      ),
    ).toEqual({ category: 'INVALID_NUMBER', property: 'pql_score', message: 'Property values were not valid' });
  });
  it('reads the detail HubSpot embeds in the message', () => {
    const message = 'Property values were not valid: [{"isValid":false,"message":"bad","error":"INVALID_OPTION","name":"pql_tier"}]';
    expect(recordFailure({ category: 'VALIDATION_ERROR', message }, 400, '')).toMatchObject({ category: 'INVALID_OPTION', property: 'pql_tier' });
  });
  it('OBJECT_NOT_FOUND is NOT_FOUND', () => {
    expect(recordFailure({ category: 'OBJECT_NOT_FOUND', message: 'not found', context: { ids: ['1'] } }, null, '')).toMatchObject({ category: 'NOT_FOUND' });
    expect(recordFailure(null, 404, 'gone')).toMatchObject({ category: 'NOT_FOUND', message: 'gone' });
  });
});

it('redacts a secret from messages', () => {
  expect(redact('token pat-na1-secret was refused', 'pat-na1-secret')).toBe('token [redacted] was refused');
});
