import { describe, expect, it } from 'vitest';
import { createLogger, redact, secretsFrom } from '../../src/util/logger.ts';
import { memoryLogger } from '../helpers/project.ts';

describe('secrets in logs', () => {
  const env = { HUBSPOT_ACCESS_TOKEN: 'pat-na1-0123456789abcdef', PQLSYNC_POSTGRES_URL: 'postgres://svc:s3cr%21t@db:5432/x' };

  it('collects the token, the URL and its password', () => {
    const secrets = secretsFrom(env);
    expect(secrets).toContain('pat-na1-0123456789abcdef');
    expect(secrets).toContain('s3cr!t');
  });

  it('masks every secret and any bearer token in messages and fields, in JSON mode too', () => {
    const out = memoryLogger();
    const log = createLogger({ json: true, secrets: secretsFrom(env), out: out.sink, err: out.sink });
    log.error('request failed with pat-na1-0123456789abcdef', { detail: { url: 'postgres://svc:s3cr!t@db', header: 'Bearer abcdefghijklmnop' } });
    const text = out.lines.join('');
    expect(text).not.toContain('0123456789abcdef');
    expect(text).not.toContain('s3cr!t');
    expect(text).not.toContain('abcdefghijklmnop');
    expect(out.events()[0].msg).toBe('request failed with ***');
  });

  it('leaves ordinary text alone', () => {
    expect(redact('synced 100 contacts', ['pat-x-secret'])).toBe('synced 100 contacts');
  });
});
