import { describe, expect, it } from 'vitest';
import { catchFailure, openSandbox } from './sandbox-harness.ts';

const INPUTS: { id: string; idProperty: string; properties: Record<string, string> }[] = [
  { id: 'good@example.com', idProperty: 'email', properties: { firstname: 'Good' } },
  { id: 'bad@example.com', idProperty: 'email', properties: { no_such_property: 'x' } },
  { id: 'fine@example.com', idProperty: 'email', properties: { lastname: 'Fine' } },
];

describe('partial success needs a trace id on every input', () => {
  it('writes the valid inputs and names the invalid one by trace id in a 207', async () => {
    const { sandbox, client } = await openSandbox();
    const response = await client.crm.contacts.batchApi.upsert({
      inputs: INPUTS.map((input, index) => ({ ...input, objectWriteTraceId: `row-${index}` })),
    });
    expect(response.status).toBe('COMPLETE');
    expect(response.results.map((result) => result.objectWriteTraceId).sort()).toEqual(['row-0', 'row-2']);
    expect((response as any).numErrors).toBe(1);
    const [error] = (response as any).errors;
    expect(error).toMatchObject({
      status: 'error',
      category: 'VALIDATION_ERROR',
      context: { objectWriteTraceId: ['row-1'] },
      errors: [{ code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['no_such_property'] } }],
    });
    expect(error.message).toMatch(/^Property values were not valid: /);
    expect(sandbox.records('contacts').map((record) => record.properties.email).sort()).toEqual(['fine@example.com', 'good@example.com']);
  });

  it('rejects the whole batch with a 400 when any input lacks a trace id, naming no index', async () => {
    const { sandbox, client } = await openSandbox();
    const failure = await catchFailure(
      client.crm.contacts.batchApi.upsert({
        inputs: INPUTS.map((input, index) => (index === 0 ? input : { ...input, objectWriteTraceId: `row-${index}` })),
      }),
    );
    expect(failure.code).toBe(400);
    expect(failure.body.category).toBe('VALIDATION_ERROR');
    expect(failure.body.context?.objectWriteTraceId).toBeUndefined();
    expect(JSON.stringify(failure.body)).not.toContain('row-');
    expect(sandbox.records('contacts')).toHaveLength(0);
  });

  it('treats repeated trace ids as none: the whole batch fails', async () => {
    const { sandbox, client } = await openSandbox();
    const failure = await catchFailure(
      client.crm.contacts.batchApi.upsert({ inputs: INPUTS.map((input) => ({ ...input, objectWriteTraceId: 'same' })) }),
    );
    expect(failure.code).toBe(400);
    expect(sandbox.records('contacts')).toHaveLength(0);
  });

  it('answers 207 for batch create with trace ids', async () => {
    const { sandbox, client } = await openSandbox();
    const response = await client.crm.contacts.batchApi.create({
      inputs: [
        { properties: { email: 'ok@example.com' }, associations: [], objectWriteTraceId: 'a' } as any,
        { properties: { email: 'not-an-email' }, associations: [], objectWriteTraceId: 'b' } as any,
      ],
    });
    expect(response.results).toHaveLength(1);
    expect((response as any).errors[0]).toMatchObject({ context: { objectWriteTraceId: ['b'] }, errors: [{ code: 'INVALID_EMAIL' }] });
    expect(sandbox.records('contacts')).toHaveLength(1);
  });

  it('reports an update of a missing id per record with trace ids, and as a 404 without', async () => {
    const { sandbox, client } = await openSandbox();
    const contact = sandbox.seedRecord('contacts', { email: 'a@example.com' });
    const partial = await client.crm.contacts.batchApi.update({
      inputs: [
        { id: contact.id, properties: { firstname: 'A' }, objectWriteTraceId: 't1' },
        { id: '999999', properties: { firstname: 'B' }, objectWriteTraceId: 't2' },
      ],
    });
    expect(partial.results.map((result) => result.id)).toEqual([contact.id]);
    expect((partial as any).errors[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['999999'], objectWriteTraceId: ['t2'] } });

    const whole = await catchFailure(client.crm.contacts.batchApi.update({ inputs: [{ id: '999999', properties: { firstname: 'B' } }] }));
    expect(whole.code).toBe(404);
    expect(whole.body).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['999999'] } });
  });
});
