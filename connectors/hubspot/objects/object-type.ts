/**
 * What an object type is, as data: one folder per type (./contacts, ./deals, …) exports one
 * `ObjectTypeDefinition`, and ./registry.ts lists them, one line each. Everything that differs
 * between object types lives in its definition: its identity, its writer's hooks, its
 * capabilities (a pipeline, insert-once), the association type ids from it, the OAuth scopes it
 * needs, and what the sandbox's portal holds for it. Rules read the capabilities, never the name.
 */
import type { SandboxObjectSchema } from '../sandbox/schema-parts.ts';
import type { ObjectWriter } from './write-template.ts';
import type { ObjectTypeName } from './object-type-names.ts';

/** HubSpot-defined association type ids from this type to another (docs/hubspot.md, "Association type ids"). */
export interface AssociationTypeIds {
  /** The unlabelled type, and its inverse (read from the other side). */
  typeId: number;
  inverseTypeId: number;
  /** The primary label, where HubSpot has one, and its inverse. */
  primaryTypeId?: number;
  primaryInverseTypeId?: number;
}

export interface ObjectTypeDefinition<N extends ObjectTypeName = ObjectTypeName> {
  /** The plural name a sync's `object:` takes and HubSpot's paths use. */
  name: N;
  /** HubSpot's object type id (paths accept it in place of the name). */
  typeId: string;
  /** The singular, as v4 association paths and some messages use it. */
  singular: string;
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
     * A sync may name a pqlsync-owned unique property instead (`identity_property`, a stable
     * product key); the record is then found once by `property` and written by that key.
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
  /** Associations from this type, by target type. */
  associations: Readonly<Partial<Record<ObjectTypeName, AssociationTypeIds>>>;
  capabilities: {
    /**
     * Records sit in a pipeline the sync declares (`pipeline:` in pqlsync.yml): the model's
     * stage column holds stage keys, pqlsync sends the stage and pipeline ids, and a stage only
     * moves forward. Without it, a sync's `pipeline:` is a configuration error.
     */
    pipeline?: { stageProperty: string; pipelineProperty: string };
    /** Records are events: the only sync mode allowed (tasks: insert_once). */
    requiredMode?: 'insert_once';
  };
  /** The private app scopes a sync of this type needs (read and write its records and its property schema). */
  scopes: readonly string[];
  writer: ObjectWriter;
  /** What the sandbox's portal holds for this type before anyone writes. */
  sandbox: SandboxObjectSchema;
}

/** The scopes most CRM objects use: records and property schema, read and write. */
export function crmScopes(name: string): string[] {
  return [`crm.objects.${name}.read`, `crm.objects.${name}.write`, `crm.schemas.${name}.read`, `crm.schemas.${name}.write`];
}

/** Keeps the literal name (one of ./object-type-names.ts). */
export function defineObjectType<const N extends ObjectTypeName>(definition: ObjectTypeDefinition<N>): ObjectTypeDefinition<N> {
  return definition;
}
