/**
 * The names of the object types a sync may take (`object:` in pqlsync.yml), kept apart from the
 * registry (./registry.ts) so that the config schema can check a name without loading the
 * writers. A unit test holds the two to the same list.
 */
export const OBJECT_TYPE_NAMES = ['contacts', 'companies', 'deals', 'tasks', 'tickets'] as const;
export type ObjectTypeName = (typeof OBJECT_TYPE_NAMES)[number];
