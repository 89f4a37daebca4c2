import { describe, expect, it } from 'vitest';
import type { SyncConfig } from '../../src/config/schema.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { collectMappings, planProperties, propertyDefinition } from '../../connectors/hubspot/properties.ts';
import { compareIds, domainSearchValues } from '../../connectors/hubspot/objects/companies/writer.ts';

const group = { name: 'pqlsync', label: 'pqlsync' };

describe('property definitions', () => {
  it('use the type / fieldType pairs HubSpot accepts', () => {
    const def = (type: never, options?: string[]) => propertyDefinition({ column: 'c', property: 'p', label: 'P', type, options }, 'pqlsync');
    expect(def('bool' as never)).toMatchObject({ type: 'bool', fieldType: 'booleancheckbox', options: [{ value: 'true' }, { value: 'false' }] });
    expect(def('enumeration' as never, ['sales_ready', 'hot'])).toMatchObject({
      type: 'enumeration',
      fieldType: 'select',
      options: [
        { label: 'Sales ready', value: 'sales_ready', displayOrder: 0 },
        { label: 'Hot', value: 'hot', displayOrder: 1 },
      ],
    });
    expect(def('datetime' as never)).toMatchObject({ type: 'datetime', fieldType: 'date' });
    expect(def('date' as never)).toMatchObject({ type: 'date', fieldType: 'date' });
    expect(def('number' as never)).toMatchObject({ type: 'number', fieldType: 'number' });
    expect(def('string' as never)).toMatchObject({ type: 'string', fieldType: 'text', groupName: 'pqlsync' });
  });
});

describe('planning properties', () => {
  const mappings = [
    { column: 'score', property: 'pql_score', type: 'number' as const, label: 'Score' },
    { column: 'tier', property: 'pql_tier', type: 'enumeration' as const, label: 'Tier', options: ['cold', 'hot'] },
  ];
  it('creates what is missing, and the group', () => {
    const plan = planProperties('contacts', mappings, [], ['contactinformation'], group);
    expect(plan.createGroup).toBe(true);
    expect(plan.create.map((p) => p.name)).toEqual(['pql_score', 'pql_tier']);
    expect(plan.conflicts).toEqual([]);
  });
  it('names object, property, existing and expected type on a conflict', () => {
    const plan = planProperties('contacts', mappings, [{ name: 'pql_score', type: 'string', fieldType: 'text', groupName: 'other' }], ['pqlsync'], group);
    expect(plan.conflicts).toHaveLength(1);
    expect(plan.conflicts[0]).toMatch(/contacts property pql_score exists as type string .* as number/);
  });
  it('adds missing options in our group, refuses elsewhere', () => {
    // The PATCH replaces the list: an option a person hid stays hidden, the new one is shown.
    const ours = planProperties('contacts', mappings, [{ name: 'pql_tier', type: 'enumeration', groupName: 'pqlsync', options: [{ label: 'Cold', value: 'cold', displayOrder: 0, hidden: true }] }], ['pqlsync'], group);
    expect(ours.addOptions).toEqual([
      { name: 'pql_tier', missing: ['hot'], options: [{ label: 'Cold', value: 'cold', displayOrder: 0, hidden: true }, { label: 'Hot', value: 'hot', displayOrder: 1, hidden: false }] },
    ]);
    const theirs = planProperties('contacts', mappings, [{ name: 'pql_tier', type: 'enumeration', groupName: 'sales', options: [{ value: 'cold' }] }], ['pqlsync'], group);
    expect(theirs.conflicts[0]).toMatch(/lacks the options hot/);
  });
  it('a key without unique values is used plain on tasks (journaled creates) and is a conflict elsewhere', () => {
    const key = { column: 'pqlsync__key', property: 'pqlsync_task_key', type: 'string' as const, label: 'Key', unique: true };
    const plain = [{ name: 'pqlsync_task_key', type: 'string', fieldType: 'text', groupName: 'pqlsync', hasUniqueValue: false }];
    const tasks = planProperties('tasks', [key], plain, ['pqlsync'], group);
    expect(tasks).toMatchObject({ withoutUnique: ['pqlsync_task_key'], conflicts: [], create: [] });
    const deals = planProperties('deals', [{ ...key, property: 'pqlsync_task_key' }], plain, ['pqlsync'], group);
    expect(deals.withoutUnique).toEqual([]);
    expect(deals.conflicts[0]).toMatch(/deals property pqlsync_task_key exists without unique values/);
    // Not a string: a conflict on tasks too.
    expect(planProperties('tasks', [key], [{ ...plain[0], type: 'number' }], ['pqlsync'], group).conflicts).toHaveLength(1);
  });
  it('refuses read-only properties', () => {
    const plan = planProperties('contacts', [mappings[0]], [{ name: 'pql_score', type: 'number', modificationMetadata: { readOnlyValue: true } }], ['pqlsync'], group);
    expect(plan.conflicts[0]).toMatch(/read-only/);
  });
  it('merges mappings across syncs and refuses two types for one property', () => {
    const sync = (name: string, type: 'number' | 'string', object: 'contacts' | 'companies' = 'contacts') =>
      ({ name, model: 'm', object, key: 'k', mode: 'upsert', on_removed: 'keep', properties: [{ column: 'c', property: 'p', type, label: 'P' }] }) as unknown as SyncConfig;
    expect(collectMappings([sync('a', 'number'), sync('b', 'number'), sync('c', 'string', 'companies')]).get('contacts')!.size).toBe(1);
    expect(() => collectMappings([sync('a', 'number'), sync('b', 'string')])).toThrow(ConfigError);
  });
});

describe('company resolution helpers', () => {
  it('search values cover www. variants', () => {
    expect(domainSearchValues(['acme.com'])).toEqual(['acme.com', 'www.acme.com']);
  });
  it('the oldest id is the lowest, numerically, beyond 2^53 too', () => {
    expect(['10', '9', '100', '9007199254740993', '9007199254740992'].sort(compareIds)).toEqual(['9', '10', '100', '9007199254740992', '9007199254740993']);
  });
});
