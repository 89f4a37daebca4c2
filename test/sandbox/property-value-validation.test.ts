import { beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '@hubspot/api-client';
import type { Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { catchFailure, openSandbox } from './sandbox-harness.ts';

/** Each case: a property value, and the detail code HubSpot answers (undefined: accepted, stored as `stored`). */
const CASES: { name: string; property: string; value: string; code?: string; stored?: string }[] = [
  { name: 'unknown property', property: 'no_such_property', value: 'x', code: 'PROPERTY_DOESNT_EXIST' },
  { name: 'read-only hs_object_id', property: 'hs_object_id', value: '5', code: 'READ_ONLY_VALUE' },
  { name: 'read-only lastmodifieddate', property: 'lastmodifieddate', value: '2024-01-01', code: 'READ_ONLY_VALUE' },
  { name: 'number with letters', property: 'pql_score', value: '12abc', code: 'INVALID_INTEGER' },
  { name: 'number with two decimal points', property: 'pql_score', value: '1.2.3', code: 'INVALID_INTEGER' },
  { name: 'number with a thousands separator', property: 'pql_score', value: '1,000', code: 'INVALID_INTEGER' },
  { name: 'negative decimal number', property: 'pql_score', value: '-12.5', stored: '-12.5' },
  { name: 'enumeration label instead of value', property: 'pql_tier', value: 'Sales ready', code: 'INVALID_OPTION' },
  { name: 'enumeration value', property: 'pql_tier', value: 'sales_ready', stored: 'sales_ready' },
  { name: 'several values on a select', property: 'pql_tier', value: 'hot;warm', code: 'INVALID_OPTION' },
  { name: 'several values on a checkbox', property: 'pql_features', value: 'sso;api', stored: 'sso;api' },
  { name: 'one bad value on a checkbox', property: 'pql_features', value: 'sso;nope', code: 'INVALID_OPTION' },
  { name: 'bool yes', property: 'pql_is_hot', value: 'yes', code: 'INVALID_OPTION' },
  { name: 'bool True', property: 'pql_is_hot', value: 'True', code: 'INVALID_OPTION' },
  { name: 'bool true', property: 'pql_is_hot', value: 'true', stored: 'true' },
  { name: 'date as YYYY-MM-DD', property: 'pql_scored_on', value: '2024-02-29', stored: '2024-02-29' },
  { name: 'date that does not exist', property: 'pql_scored_on', value: '2023-02-29', code: 'INVALID_DATE' },
  { name: 'date as epoch ms at midnight UTC', property: 'pql_scored_on', value: String(Date.UTC(2024, 0, 15)), stored: '2024-01-15' },
  { name: 'date as epoch ms not at midnight', property: 'pql_scored_on', value: String(Date.UTC(2024, 0, 15, 10)), code: 'INVALID_DATE' },
  { name: 'date with a time', property: 'pql_scored_on', value: '2024-01-15T10:00:00Z', code: 'INVALID_DATE' },
  { name: 'date as US text', property: 'pql_scored_on', value: '01/15/2024', code: 'INVALID_DATE' },
  { name: 'datetime ISO', property: 'pql_last_active_at', value: '2024-01-15T10:30:00+02:00', stored: '2024-01-15T08:30:00.000Z' },
  { name: 'datetime epoch ms', property: 'pql_last_active_at', value: String(Date.UTC(2024, 0, 15, 10)), stored: '2024-01-15T10:00:00.000Z' },
  { name: 'datetime text', property: 'pql_last_active_at', value: 'yesterday', code: 'INVALID_DATETIME' },
  { name: 'string at the limit', property: 'pql_reasons', value: 'x'.repeat(65_536), stored: 'x'.repeat(65_536) },
  { name: 'string over the limit', property: 'pql_reasons', value: 'x'.repeat(65_537), code: 'MAX_LENGTH_EXCEEDED' },
  { name: 'email without a domain', property: 'email', value: 'someone@', code: 'INVALID_EMAIL' },
  { name: 'email with spaces', property: 'email', value: 'some one@example.com', code: 'INVALID_EMAIL' },
];

describe('property value validation', () => {
  let sandbox: Sandbox;
  let client: Client;
  let contactId: string;

  beforeEach(async () => {
    ({ sandbox, client } = await openSandbox());
    const options = (values: string[]) => values.map((value) => ({ label: value, value, hidden: false }));
    sandbox.seedProperty('contacts', { name: 'pql_score', type: 'number', fieldType: 'number' });
    sandbox.seedProperty('contacts', { name: 'pql_tier', type: 'enumeration', fieldType: 'select', options: options(['cold', 'warm', 'hot', 'sales_ready']) as any });
    sandbox.seedProperty('contacts', { name: 'pql_features', type: 'enumeration', fieldType: 'checkbox', options: options(['sso', 'api', 'audit']) as any });
    sandbox.seedProperty('contacts', { name: 'pql_is_hot', type: 'bool', fieldType: 'booleancheckbox', options: options(['true', 'false']) as any });
    sandbox.seedProperty('contacts', { name: 'pql_scored_on', type: 'date', fieldType: 'date' });
    sandbox.seedProperty('contacts', { name: 'pql_last_active_at', type: 'datetime', fieldType: 'date' });
    sandbox.seedProperty('contacts', { name: 'pql_reasons', type: 'string', fieldType: 'textarea' });
    contactId = sandbox.seedRecord('contacts', { email: 'lead@example.com' }).id;
  });

  for (const testCase of CASES) {
    it(testCase.code ? `rejects ${testCase.name} with ${testCase.code}` : `accepts ${testCase.name}`, async () => {
      const call = client.crm.contacts.batchApi.update({ inputs: [{ id: contactId, properties: { [testCase.property]: testCase.value } }] });
      if (!testCase.code) {
        await call;
        expect(sandbox.records('contacts')[0].properties[testCase.property]).toBe(testCase.stored);
        return;
      }
      const failure = await catchFailure(call);
      expect(failure.code).toBe(400);
      expect(failure.body.category).toBe('VALIDATION_ERROR');
      expect(failure.body.errors[0]).toMatchObject({ code: testCase.code, context: { propertyName: [testCase.property] } });
      expect(sandbox.records('contacts')[0].properties[testCase.property]).not.toBe(testCase.value);
    });
  }

  it('clears any property sent as an empty string', async () => {
    await client.crm.contacts.batchApi.update({ inputs: [{ id: contactId, properties: { pql_score: '10', pql_tier: 'hot' } }] });
    await client.crm.contacts.batchApi.update({ inputs: [{ id: contactId, properties: { pql_score: '', pql_tier: '' } }] });
    const { properties } = sandbox.records('contacts')[0];
    expect(properties.pql_score).toBeUndefined();
    expect(properties.pql_tier).toBeUndefined();
    const read = await client.crm.contacts.basicApi.getById(contactId, ['pql_score']);
    expect(read.properties.pql_score).toBeNull();
  });

  it('lists every bad value of one input in the message', async () => {
    const failure = await catchFailure(
      client.crm.contacts.batchApi.update({ inputs: [{ id: contactId, properties: { pql_score: 'ten', pql_tier: 'HOT' } }] }),
    );
    expect(failure.body.errors.map((error: { code: string }) => error.code)).toEqual(['INVALID_INTEGER', 'INVALID_OPTION']);
    expect(failure.body.message).toContain('"error":"INVALID_INTEGER"');
  });
});
