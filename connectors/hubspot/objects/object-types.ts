/**
 * The HubSpot object types pqlsync can write, looked up by name: the registry's folders
 * (./registry.ts), and the identity rules every type follows.
 */
import type { ObjectTypeDefinition } from './object-type.ts';
import type { ObjectWriter } from './write-template.ts';
import { OBJECT_TYPE_NAMES, type ObjectTypeName } from './object-type-names.ts';
import { OBJECT_TYPE_LIST } from './registry.ts';

export { OBJECT_TYPE_NAMES, type ObjectTypeName } from './object-type-names.ts';

export type ObjectTypeInfo = ObjectTypeDefinition<ObjectTypeName>;

export const OBJECT_TYPES = Object.fromEntries(OBJECT_TYPE_LIST.map((t) => [t.name, t])) as Record<ObjectTypeName, ObjectTypeInfo>;

/** Each type's writer: the hooks the one batch template (./write-template.ts) runs. */
export const OBJECT_WRITERS = Object.fromEntries(OBJECT_TYPE_LIST.map((t) => [t.name, t.writer])) as Record<ObjectTypeName, ObjectWriter>;

export function isObjectTypeName(name: string): name is ObjectTypeName {
  return (OBJECT_TYPE_NAMES as readonly string[]).includes(name);
}

/** The identity property of a sync: its own `identity_property`, else the object type's default. */
export function identityProperty(sync: { object: ObjectTypeName; identity_property?: string }): string {
  const { identity } = OBJECT_TYPES[sync.object];
  return (identity.ownedByPqlsync || identity.ownable) && sync.identity_property ? sync.identity_property : identity.property;
}

/** Whether the sync's records are identified by a unique property pqlsync creates and stamps. */
export function ownsIdentity(sync: { object: ObjectTypeName; identity_property?: string }): boolean {
  const { identity } = OBJECT_TYPES[sync.object];
  return identity.ownedByPqlsync || identityProperty(sync) !== identity.property;
}

/**
 * One line on how a sync whose key HubSpot may refuse unique values for (tasks) makes each record
 * once: `through` null when the portal keeps the key unique (docs/hubspot.md, "Tasks and unique values").
 */
export function describeCreateMode(sync: { object: ObjectTypeName; identity_property?: string }, through: ObjectTypeName | null): string {
  const key = identityProperty(sync);
  return through === null
    ? `${key} is a unique-value property in this portal: each ${sync.object.replace(/s$/, '')} is upserted by it, once`
    : `this portal keeps no unique values on ${sync.object} (${key} is a plain property): each ${sync.object.replace(/s$/, '')} is created with its ${through.replace(/s$/, '')}, its intent journaled in the warehouse first, and after an uncertain answer or a kill its ${through.replace(/s$/, '')}'s ${sync.object} are read before any is created again`;
}
