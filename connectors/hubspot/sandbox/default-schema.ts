/**
 * The properties and groups a new HubSpot portal already has, limited to the
 * ones pqlsync and its tests touch (each object type's folder lists its own:
 * `sandbox` in ../objects/<type>/index.ts). Everything else a portal has is left
 * out: an unknown property must fail here as it would on a portal without it.
 */
import { OBJECT_TYPE_LIST } from '../objects/registry.ts';
import { OBJECT_TYPES, sandboxSchemaOf, type ObjectTypeName } from './object-types.ts';
import type { PropertyDefinition, PropertyGroupDefinition } from './types.ts';


/** The properties a record shows when a read names none, as HubSpot does. */
export const DEFAULT_READ_PROPERTIES = Object.fromEntries(OBJECT_TYPES.map((t) => [t, sandboxSchemaOf(t).readDefaults])) as Record<ObjectTypeName, string[]>;

/** The read-only date property HubSpot bumps on every write. */
export const MODIFIED_DATE_PROPERTY = Object.fromEntries(OBJECT_TYPE_LIST.map((t) => [t.name, t.modifiedDate])) as Record<ObjectTypeName, string>;

export function buildDefaultGroups(type: ObjectTypeName): PropertyGroupDefinition[] {
  return sandboxSchemaOf(type).groups.map((group) => ({ ...group }));
}

export function buildDefaultProperties(type: ObjectTypeName, now: string): PropertyDefinition[] {
  return sandboxSchemaOf(type).properties.map((property) => ({
    description: '',
    options: [],
    displayOrder: -1,
    hasUniqueValue: false,
    hidden: false,
    formField: !property.readOnlyValue,
    hubspotDefined: true,
    readOnlyValue: false,
    createdAt: now,
    updatedAt: now,
    ...property,
    // Labels of HubSpot's editable properties can be changed; the bookkeeping ones are fixed.
    readOnlyDefinition: property.readOnlyValue === true,
  }));
}
