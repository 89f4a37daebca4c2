import { describe, expect, it } from 'vitest';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/models/Filter.js';
import { catchFailure, openSandbox } from './sandbox-harness.ts';

const hasEmail = { propertyName: 'email', operator: FilterOperatorEnum.HasProperty };

describe('search limits and paging', () => {
  it('pages with after until the last page', async () => {
    const { sandbox, client } = await openSandbox({ searchPerSecond: 100 });
    for (let index = 0; index < 25; index++) sandbox.seedRecord('contacts', { email: `u${index}@example.com` });
    sandbox.seedRecord('contacts', { firstname: 'No email' });

    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await client.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [hasEmail] }], limit: 10, after });
      expect(page.total).toBe(25);
      seen.push(...page.results.map((result) => result.id));
      after = page.paging?.next?.after;
    } while (after);
    expect(new Set(seen).size).toBe(25);
  });

  it('ORs filter groups and ANDs filters within one', async () => {
    const { sandbox, client } = await openSandbox();
    sandbox.seedRecord('contacts', { email: 'a@x.io', firstname: 'Ann' });
    sandbox.seedRecord('contacts', { email: 'b@x.io', firstname: 'Bob' });
    sandbox.seedRecord('contacts', { email: 'c@y.io' });
    const response = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'firstname', operator: FilterOperatorEnum.Eq, value: 'ann' }, hasEmail] },
        { filters: [{ propertyName: 'firstname', operator: FilterOperatorEnum.NotHasProperty }] },
      ],
    });
    expect(response.results.map((result) => result.properties.email).sort()).toEqual(['a@x.io', 'c@y.io']);
  });

  it('refuses more than 200 results a page, 6 filters a group, 5 groups, 18 filters, and paging past 10,000', async () => {
    const { client } = await openSandbox({ searchPerSecond: 100 });
    const search = (request: object) => catchFailure(client.crm.contacts.searchApi.doSearch(request as any));
    expect((await search({ limit: 201 })).code).toBe(400);
    expect((await search({ filterGroups: [{ filters: Array(7).fill(hasEmail) }] })).code).toBe(400);
    expect((await search({ filterGroups: Array(6).fill({ filters: [hasEmail] }) })).code).toBe(400);
    expect((await search({ filterGroups: Array(4).fill({ filters: Array(5).fill(hasEmail) }) })).code).toBe(400);
    expect((await search({ after: '10000' })).body.category).toBe('VALIDATION_ERROR');
    await client.crm.contacts.searchApi.doSearch({ limit: 200, filterGroups: Array(3).fill({ filters: Array(6).fill(hasEmail) }) });
  });
});
