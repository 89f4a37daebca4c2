/**
 * The CRM object types the sandbox holds, and the names HubSpot accepts for
 * them in paths: the plural name, the type id, and (in v4 association paths)
 * the singular.
 */

export type ObjectTypeName = 'contacts' | 'companies' | 'deals' | 'tasks';

export const OBJECT_TYPES: readonly ObjectTypeName[] = ['contacts', 'companies', 'deals', 'tasks'];

/** The sandbox's one portal; it appears in HubSpot's error messages. */
export const SANDBOX_PORTAL_ID = 1234567;

const TYPE_IDS: Record<ObjectTypeName, string> = { contacts: '0-1', companies: '0-2', deals: '0-3', tasks: '0-27' };

const ALIASES: Record<string, ObjectTypeName> = {
  contacts: 'contacts',
  contact: 'contacts',
  '0-1': 'contacts',
  companies: 'companies',
  company: 'companies',
  '0-2': 'companies',
  deals: 'deals',
  deal: 'deals',
  '0-3': 'deals',
  tasks: 'tasks',
  task: 'tasks',
  '0-27': 'tasks',
};

/** Resolves a path segment to an object type, or undefined when HubSpot would not know it. */
export function resolveObjectType(segment: string): ObjectTypeName | undefined {
  return ALIASES[segment.toLowerCase()];
}

export function typeIdOf(type: ObjectTypeName): string {
  return TYPE_IDS[type];
}

/** HubSpot names objects in upper-case singular in some messages ("Could not get some CONTACT objects"). */
export function upperSingularOf(type: ObjectTypeName): string {
  return { contacts: 'CONTACT', companies: 'COMPANY', deals: 'DEAL', tasks: 'TASK' }[type];
}
