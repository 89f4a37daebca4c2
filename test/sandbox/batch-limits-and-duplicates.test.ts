import { describe, expect, it } from 'vitest';
import { catchFailure, openSandbox } from './sandbox-harness.ts';

describe('batch limits and duplicate inputs', () => {
  it('rejects more than 100 inputs with a 400 and writes nothing', async () => {
    const { sandbox, client } = await openSandbox();
    const inputs = Array.from({ length: 101 }, (_, index) => ({ properties: { email: `u${index}@example.com` } }));
    const failure = await catchFailure(client.crm.contacts.batchApi.create({ inputs }));
    expect(failure.code).toBe(400);
    expect(failure.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(typeof failure.body.correlationId).toBe('string');
    expect(failure.headers?.['content-type']).toContain('application/json');
    expect(sandbox.records('contacts')).toHaveLength(0);
  });

  it('accepts exactly 100 inputs with a 201', async () => {
    const { sandbox, client } = await openSandbox();
    const inputs = Array.from({ length: 100 }, (_, index) => ({ properties: { email: `u${index}@example.com` }, associations: [] }));
    const response = await client.crm.contacts.batchApi.create({ inputs });
    expect(response.results).toHaveLength(100);
    expect(sandbox.records('contacts')).toHaveLength(100);
  });

  it('rejects the whole upsert when one email appears twice, even with trace ids', async () => {
    const { sandbox, client } = await openSandbox();
    const failure = await catchFailure(
      client.crm.contacts.batchApi.upsert({
        inputs: [
          { id: 'a@example.com', idProperty: 'email', properties: {}, objectWriteTraceId: '1' },
          { id: 'A@EXAMPLE.COM', idProperty: 'email', properties: {}, objectWriteTraceId: '2' },
        ],
      }),
    );
    expect(failure.code).toBe(400);
    expect(failure.body.message).toContain('Duplicate IDs');
    expect(sandbox.records('contacts')).toHaveLength(0);
  });

  it('rejects the whole update when one id appears twice', async () => {
    const { sandbox, client } = await openSandbox();
    const contact = sandbox.seedRecord('contacts', { email: 'a@example.com' });
    const failure = await catchFailure(
      client.crm.contacts.batchApi.update({
        inputs: [
          { id: contact.id, properties: { firstname: 'A' } },
          { id: contact.id, properties: { firstname: 'B' } },
        ],
      }),
    );
    expect(failure.code).toBe(400);
    expect(sandbox.records('contacts')[0].properties.firstname).toBeUndefined();
  });

  it('rejects a create batch with the same email twice', async () => {
    const { client } = await openSandbox();
    const failure = await catchFailure(
      client.crm.contacts.batchApi.create({
        inputs: [{ properties: { email: 'a@example.com' }, associations: [] }, { properties: { email: 'a@Example.com' }, associations: [] }],
      }),
    );
    expect(failure.code).toBe(400);
  });

  it('answers a create whose email already exists with a 409 conflict', async () => {
    const { sandbox, client } = await openSandbox();
    const existing = sandbox.seedRecord('contacts', { email: 'a@example.com' });
    const failure = await catchFailure(client.crm.contacts.basicApi.create({ properties: { email: 'A@example.com' }, associations: [] }));
    expect(failure.code).toBe(409);
    expect(failure.body).toMatchObject({ category: 'CONFLICT', message: `Contact already exists. Existing ID: ${existing.id}` });
  });
});
