/**
 * The CRM object types the sandbox holds, and the names HubSpot accepts for
 * them in paths: the plural name, the type id, and (in v4 association paths)
 * the singular. They are the registry's (../objects/registry.ts): each type's
 * folder says its ids and the schema a new portal has for it.
 */
import { OBJECT_TYPE_LIST } from '../objects/registry.ts';
import type { ObjectTypeName } from '../objects/object-types.ts';

export type { ObjectTypeName };

export const OBJECT_TYPES: readonly ObjectTypeName[] = OBJECT_TYPE_LIST.map((t) => t.name);

/** The sandbox's one portal; it appears in HubSpot's error messages. */
export const SANDBOX_PORTAL_ID = 1234567;

const BY_NAME = new Map<string, (typeof OBJECT_TYPE_LIST)[number]>(OBJECT_TYPE_LIST.map((t) => [t.name, t]));

const ALIASES = new Map<string, ObjectTypeName>(OBJECT_TYPE_LIST.flatMap((t) => [t.name, t.singular, t.typeId].map((alias) => [alias, t.name] as const)));

/** Resolves a path segment to an object type, or undefined when HubSpot would not know it. */
export function resolveObjectType(segment: string): ObjectTypeName | undefined {
  return ALIASES.get(segment.toLowerCase());
}

export function typeIdOf(type: ObjectTypeName): string {
  return BY_NAME.get(type)!.typeId;
}

/** HubSpot names objects in upper-case singular in some messages ("Could not get some CONTACT objects"). */
export function upperSingularOf(type: ObjectTypeName): string {
  return BY_NAME.get(type)!.singular.toUpperCase();
}

/** A type's whole definition (its folder's index.ts). */
export function definitionOf(type: ObjectTypeName) {
  return BY_NAME.get(type)!;
}

/** The schema a new portal holds for a type (its folder's `sandbox`). */
export function sandboxSchemaOf(type: ObjectTypeName) {
  return BY_NAME.get(type)!.sandbox;
}

/** Association type ids from each type, by target type (its folder's `associations`). */
export function associationIdsOf(type: ObjectTypeName) {
  return BY_NAME.get(type)!.associations;
}
