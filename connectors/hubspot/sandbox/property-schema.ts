/**
 * Property and group definitions as HubSpot checks them on create and update,
 * and as it shows them on the wire.
 */
import { ApiError, validationError } from './api-error.ts';
import type { ObjectTypeName } from './object-types.ts';
import type { PortalStore } from './store.ts';
import type { PropertyDefinition, PropertyGroupDefinition, PropertyOption } from './types.ts';

/** HubSpot allows at most 10 unique-value properties per object (its own excluded). */
export const MAX_UNIQUE_PROPERTIES = 10;

/** The field types each property type may be shown with. */
const FIELD_TYPES: Record<string, string[]> = {
  bool: ['booleancheckbox'],
  enumeration: ['select', 'radio', 'checkbox', 'booleancheckbox'],
  date: ['date'],
  datetime: ['date'],
  number: ['number'],
  string: ['text', 'textarea', 'phonenumber', 'html', 'file'],
  phone_number: ['phonenumber'],
};

const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

export function buildPropertyDefinition(store: PortalStore, type: ObjectTypeName, raw: unknown): PropertyDefinition {
  const input = requireRecord(raw);
  const name = requireText(input.name, 'name');
  if (!NAME_PATTERN.test(name)) {
    throw validationError(`Property name ${name} is invalid: use lower case letters, digits and underscores, starting with a letter.`);
  }
  if (name.startsWith('hs_')) throw validationError(`Property name ${name} is invalid: the hs_ prefix is reserved for HubSpot.`);
  const table = store.table(type);
  if (table.properties.has(name)) {
    throw new ApiError(409, 'OBJECT_ALREADY_EXISTS', `Property named '${name}' already exists.`, { context: { name: [name] } });
  }
  const asked = input.hasUniqueValue === true;
  if (asked && type === 'tasks' && store.settings.uniqueOnTasks === false) {
    // A portal where activities take no unique-value property (docs/hubspot.md, "Tasks and unique values").
    throw validationError(`Cannot create property ${name}: unique-value properties are not supported on tasks.`);
  }
  // 'ignored': the portal creates the property and drops the flag without a word.
  const hasUniqueValue = asked && !(type === 'tasks' && store.settings.uniqueOnTasks === 'ignored');
  if (hasUniqueValue) {
    const unique = [...table.properties.values()].filter((property) => property.hasUniqueValue && !property.hubspotDefined);
    if (unique.length >= MAX_UNIQUE_PROPERTIES) {
      throw validationError(`Cannot create property ${name}: an object can have at most ${MAX_UNIQUE_PROPERTIES} unique-value properties.`);
    }
  }
  const now = store.stampTime();
  const definition: PropertyDefinition = {
    name,
    label: requireText(input.label, 'label'),
    type: requireText(input.type, 'type'),
    fieldType: requireText(input.fieldType, 'fieldType'),
    groupName: requireText(input.groupName, 'groupName'),
    description: typeof input.description === 'string' ? input.description : '',
    options: readOptions(input.options),
    displayOrder: typeof input.displayOrder === 'number' ? input.displayOrder : -1,
    hasUniqueValue,
    hidden: input.hidden === true,
    formField: input.formField === true,
    hubspotDefined: false,
    readOnlyValue: false,
    readOnlyDefinition: false,
    createdAt: now,
    updatedAt: now,
  };
  checkDefinition(store, type, definition);
  return definition;
}

/** Applies a PATCH; `hasUniqueValue` and `name` cannot change. */
export function applyPropertyUpdate(store: PortalStore, type: ObjectTypeName, existing: PropertyDefinition, raw: unknown): PropertyDefinition {
  const input = requireRecord(raw);
  if (existing.readOnlyDefinition) {
    throw validationError(`Property ${existing.name} is read-only: HubSpot does not allow changing its definition.`);
  }
  const updated: PropertyDefinition = { ...existing };
  for (const field of ['label', 'description', 'groupName', 'type', 'fieldType'] as const) {
    if (input[field] !== undefined) updated[field] = requireText(input[field], field);
  }
  if (input.options !== undefined) updated.options = readOptions(input.options);
  if (typeof input.displayOrder === 'number') updated.displayOrder = input.displayOrder;
  if (typeof input.hidden === 'boolean') updated.hidden = input.hidden;
  if (typeof input.formField === 'boolean') updated.formField = input.formField;
  checkDefinition(store, type, updated);
  updated.updatedAt = store.stampTime();
  return updated;
}

export function buildGroupDefinition(store: PortalStore, type: ObjectTypeName, raw: unknown): PropertyGroupDefinition {
  const input = requireRecord(raw);
  const name = requireText(input.name, 'name');
  if (!NAME_PATTERN.test(name)) {
    throw validationError(`Group name ${name} is invalid: use lower case letters, digits and underscores, starting with a letter.`);
  }
  if (store.table(type).groups.has(name)) {
    throw new ApiError(409, 'OBJECT_ALREADY_EXISTS', `A property group named '${name}' already exists.`, { context: { name: [name] } });
  }
  return {
    name,
    label: requireText(input.label, 'label'),
    displayOrder: typeof input.displayOrder === 'number' ? input.displayOrder : -1,
  };
}

/** A property as `GET /crm/v3/properties/{type}` shows it. */
export function viewProperty(property: PropertyDefinition): Record<string, unknown> {
  return {
    updatedAt: property.updatedAt,
    createdAt: property.createdAt,
    name: property.name,
    label: property.label,
    type: property.type,
    fieldType: property.fieldType,
    description: property.description,
    groupName: property.groupName,
    options: property.options.map((option) => ({ ...option })),
    displayOrder: property.displayOrder,
    calculated: false,
    externalOptions: false,
    hasUniqueValue: property.hasUniqueValue,
    hidden: property.hidden,
    ...(property.hubspotDefined ? { hubspotDefined: true } : {}),
    modificationMetadata: {
      archivable: !property.hubspotDefined,
      readOnlyDefinition: property.readOnlyDefinition,
      readOnlyValue: property.readOnlyValue,
    },
    formField: property.formField,
    archived: false,
  };
}

export function viewGroup(group: PropertyGroupDefinition): Record<string, unknown> {
  return { name: group.name, label: group.label, displayOrder: group.displayOrder, archived: false };
}

function checkDefinition(store: PortalStore, type: ObjectTypeName, definition: PropertyDefinition): void {
  const fieldTypes = FIELD_TYPES[definition.type];
  if (!fieldTypes) throw validationError(`Property type ${definition.type} is not one of [${Object.keys(FIELD_TYPES).join(', ')}].`);
  if (!fieldTypes.includes(definition.fieldType)) {
    throw validationError(`Field type ${definition.fieldType} is not valid for a property of type ${definition.type}; use one of [${fieldTypes.join(', ')}].`);
  }
  if (!store.table(type).groups.has(definition.groupName)) {
    throw validationError(`Property group ${definition.groupName} does not exist.`, { context: { groupName: [definition.groupName] } });
  }
  const values = definition.options.map((option) => option.value);
  if (new Set(values).size !== values.length) throw validationError(`Options of ${definition.name} have duplicate values.`);
  if (definition.type === 'bool') {
    const sorted = [...values].sort().join(',');
    if (sorted !== 'false,true') {
      throw validationError(`A bool property needs exactly the options "true" and "false"; ${definition.name} has [${values.join(', ')}].`);
    }
  } else if (definition.type !== 'enumeration' && values.length > 0) {
    throw validationError(`Only enumeration and bool properties take options; ${definition.name} is ${definition.type}.`);
  }
}

function readOptions(raw: unknown): PropertyOption[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw validationError('Invalid input JSON: "options" must be an array.');
  return raw.map((item: unknown, index) => {
    const option = requireRecord(item);
    const value = requireText(option.value, `options[${index}].value`);
    // HubSpot's option input requires `hidden` (docs/hubspot.md, "Property options").
    if (typeof option.hidden !== 'boolean') throw validationError(`Invalid input JSON: "options[${index}].hidden" is required (true or false).`);
    return {
      label: typeof option.label === 'string' && option.label !== '' ? option.label : value,
      value,
      displayOrder: typeof option.displayOrder === 'number' ? option.displayOrder : index,
      hidden: option.hidden,
      ...(typeof option.description === 'string' ? { description: option.description } : {}),
    };
  });
}

function requireRecord(raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw validationError('Invalid input JSON: expected an object.');
  return raw as Record<string, unknown>;
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw validationError(`Invalid input JSON: "${field}" is required.`);
  return value;
}
