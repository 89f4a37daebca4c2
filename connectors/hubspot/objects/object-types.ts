/**
 * The HubSpot object types pqlsync can write, as data: the names a sync's `object:` may take,
 * the pqlsync-owned unique-value property that identifies a record pqlsync writes, the
 * properties pqlsync manages itself, and the associations each type can carry. Pure (no
 * client), so the config schema can validate against it. The writers are in ./registry.ts.
 */

/** Every object type a sync may name. Adding one: an entry here and a writer in ./registry.ts. */
export const OBJECT_TYPE_NAMES = ['contacts', 'companies', 'deals', 'tasks'] as const;
export type ObjectTypeName = (typeof OBJECT_TYPE_NAMES)[number];

export interface ObjectTypeInfo {
  /**
   * The unique-value property (`hasUniqueValue: true`) records are upserted by, so a retried
   * create updates the same record. Contacts use HubSpot's own unique `email`; for the others
   * pqlsync creates the property (default name here; a sync's `identity_property` overrides it).
   */
  identity: {
    property: string;
    ownedByPqlsync: boolean;
    label: string;
    /**
     * contacts: a sync may name a pqlsync-owned unique property instead (`identity_property`, a
     * stable product key); the contact is then found once by email and written by that key.
     */
    ownable?: boolean;
    /**
     * HubSpot does not document unique-value properties for this type (activities): a portal may
     * refuse the flag or drop it. pqlsync then creates the property without it and makes each
     * record exactly once through a journal and reconciliation instead of an upsert
     * (docs/hubspot.md, "Tasks and unique values"). The records are found back through their
     * association with a record of `foundThrough`.
     */
    uniqueMayBeRefused?: { foundThrough: ObjectTypeName };
  };
  /** HubSpot properties pqlsync writes through a rule of its own, not as plain values (deal stage and pipeline). */
  managedProperties: readonly string[];
  /**
   * The read-only datetime HubSpot sets on every change of a record (contacts keep their older
   * name). Search filters on it to find what changed since a moment (a rollback).
   */
  modifiedDate: string;
  /**
   * Associations from this type: target type → HubSpot-defined type ids (docs/hubspot.md, "Association type ids"):
   * the unlabelled one and, where HubSpot has one, the primary label.
   */
  associations: Partial<Record<ObjectTypeName, { typeId: number; primaryTypeId?: number }>>;
}

export const OBJECT_TYPES: Record<ObjectTypeName, ObjectTypeInfo> = {
  contacts: {
    identity: { property: 'email', ownedByPqlsync: false, label: 'pqlsync person key', ownable: true },
    // The owner is an id of the portal's owners (pqlsync routes them, src/handoff): not a property pqlsync creates.
    managedProperties: ['hubspot_owner_id'],
    modifiedDate: 'lastmodifieddate',
    associations: { companies: { typeId: 279, primaryTypeId: 1 } },
  },
  companies: {
    identity: { property: 'pqlsync_account_key', ownedByPqlsync: true, label: 'pqlsync account key' },
    managedProperties: [],
    modifiedDate: 'hs_lastmodifieddate',
    associations: { contacts: { typeId: 280 } },
  },
  deals: {
    identity: { property: 'pqlsync_deal_key', ownedByPqlsync: true, label: 'pqlsync deal key' },
    managedProperties: ['dealstage', 'pipeline', 'hubspot_owner_id'],
    modifiedDate: 'hs_lastmodifieddate',
    associations: { contacts: { typeId: 3 }, companies: { typeId: 341, primaryTypeId: 5 } },
  },
  tasks: {
    // A task is an event: created once per (record, trigger, episode), upserted by this key so a
    // create repeated after a lost answer or a kill updates the task it made; where the portal keeps
    // no unique values on tasks, created with its contact and reconciled through it.
    identity: { property: 'pqlsync_task_key', ownedByPqlsync: true, label: 'pqlsync task key', uniqueMayBeRefused: { foundThrough: 'contacts' } },
    managedProperties: ['hubspot_owner_id'],
    modifiedDate: 'hs_lastmodifieddate',
    // Task → contact 204, → company 192, → deal 216 (HubSpot-defined, unlabelled).
    associations: { contacts: { typeId: 204 }, companies: { typeId: 192 }, deals: { typeId: 216 } },
  },
};

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
