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
