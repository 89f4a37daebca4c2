/**
 * Pieces of a new portal's default schema that several object types share (the owner property,
 * bookkeeping dates, option lists). Each object type's folder (../objects/<type>/) lists its own
 * groups and properties with these; ./default-schema.ts builds the portal from them.
 */
import type { PropertyDefinition, PropertyGroupDefinition, PropertyOption } from './types.ts';

export type DefaultProperty = Pick<PropertyDefinition, 'name' | 'label' | 'type' | 'fieldType' | 'groupName'> &
  Partial<Pick<PropertyDefinition, 'hasUniqueValue' | 'readOnlyValue' | 'options'>>;

/** What the sandbox's portal holds for one object type before anyone writes to it. */
export interface SandboxObjectSchema {
  groups: PropertyGroupDefinition[];
  properties: DefaultProperty[];
  /** The properties a record shows when a read names none, as HubSpot does. */
  readDefaults: string[];
  /** Properties a free-text search `query` looks in (HubSpot's default searchable ones). */
  searchable?: string[];
  /** Properties a create must set and no write may empty, as HubSpot requires (a task's due time). */
  required?: string[];
  /** Values a created record takes when the create leaves them out (a task is NOT_STARTED). */
  createDefaults?: Record<string, string>;
}

/** In HubSpot's order: a record's lifecycle stage only moves forward through this list (see routes/write-plan.ts). */
export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];

/** `hubspot_owner_id`: an enumeration whose options are the portal's owners (filled in as owners are added). */
export function ownerProperty(groupName: string): DefaultProperty {
  return { name: 'hubspot_owner_id', label: 'Owner', type: 'enumeration', fieldType: 'select', groupName, options: [] };
}

export function buildOptions(values: string[]): PropertyOption[] {
  return values.map((value, index) => ({ label: value, value, displayOrder: index, hidden: false }));
}

/** Read-only bookkeeping every object carries; companies and deals name the modified date differently from contacts. */
export function buildBookkeeping(groupName: string, modifiedName: string): DefaultProperty[] {
  return [
    { name: 'hs_object_id', label: 'Record ID', type: 'number', fieldType: 'number', groupName, readOnlyValue: true },
    { name: 'createdate', label: 'Create Date', type: 'datetime', fieldType: 'date', groupName, readOnlyValue: true },
    { name: modifiedName, label: 'Last Modified Date', type: 'datetime', fieldType: 'date', groupName, readOnlyValue: true },
  ];
}
