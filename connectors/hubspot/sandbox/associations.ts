/**
 * Association edges between records. HubSpot associations are two-way: an
 * edge written from a deal to a contact (type 3) also reads from the contact
 * to the deal (type 4), so every edge is stored with its inverse.
 */
import type { AssociationTypeIds } from '../objects/object-type.ts';
import { associationIdsOf, OBJECT_TYPES, type ObjectTypeName } from './object-types.ts';
import type { StoredAssociation } from './types.ts';

export interface AssociationType {
  associationCategory: string;
  associationTypeId: number;
}

/**
 * HubSpot-defined type ids, built from each object type's folder (its `associations`: the
 * unlabelled and primary ids from it, with their inverses): forward ↔ inverse pairs, the
 * unlabelled id per `from>to`, and the target type of each id from a type (docs/hubspot.md,
 * "Association type ids").
 */
const INVERSE_TYPE_IDS = new Map<number, number>();
const DEFAULT_TYPE_IDS: Record<string, number> = {};
const TARGET_TYPES = Object.fromEntries(OBJECT_TYPES.map((t) => [t, {}])) as Record<ObjectTypeName, Record<number, ObjectTypeName>>;
const PRIMARY_TYPE_IDS = new Set<number>();
for (const from of OBJECT_TYPES) {
  for (const [to, ids] of Object.entries(associationIdsOf(from)) as Array<[ObjectTypeName, AssociationTypeIds]>) {
    const pairs: Array<[number, number]> = [[ids.typeId, ids.inverseTypeId]];
    if (ids.primaryTypeId !== undefined && ids.primaryInverseTypeId !== undefined) {
      pairs.push([ids.primaryTypeId, ids.primaryInverseTypeId]);
      PRIMARY_TYPE_IDS.add(ids.primaryTypeId).add(ids.primaryInverseTypeId);
    }
    for (const [forward, inverse] of pairs) {
      INVERSE_TYPE_IDS.set(forward, inverse).set(inverse, forward);
      TARGET_TYPES[from][forward] = to;
      TARGET_TYPES[to][inverse] = from;
    }
    DEFAULT_TYPE_IDS[`${from}>${to}`] = ids.typeId;
    DEFAULT_TYPE_IDS[`${to}>${from}`] = ids.inverseTypeId;
  }
}

/** The HubSpot-defined association types between two object types, as the labels endpoint lists them. */
export function listLabels(from: ObjectTypeName, to: ObjectTypeName): Array<{ typeId: number; label: string | null }> {
  return Object.entries(TARGET_TYPES[from])
    .filter(([, target]) => target === to)
    .map(([typeId]) => ({ typeId: Number(typeId), label: PRIMARY_TYPE_IDS.has(Number(typeId)) ? 'Primary' : null }));
}


export function findTargetType(from: ObjectTypeName, associationTypeId: number): ObjectTypeName | undefined {
  return TARGET_TYPES[from][associationTypeId];
}

/** The unlabelled type id `batch/associate/default` uses for a pair, or undefined when the pair has none. */
export function findDefaultTypeId(from: ObjectTypeName, to: ObjectTypeName): number | undefined {
  return DEFAULT_TYPE_IDS[`${from}>${to}`];
}

export class AssociationGraph {
  /** `type:id` → `type:id` → serialised association types. */
  private readonly edges = new Map<string, Map<string, Set<string>>>();

  add(fromType: ObjectTypeName, fromId: string, toType: ObjectTypeName, toId: string, type: AssociationType): void {
    this.addOneWay(`${fromType}:${fromId}`, `${toType}:${toId}`, type);
    // User-defined labels have their own inverse ids in HubSpot that the sandbox does not know; it reuses the id.
    const inverseId = type.associationCategory === 'HUBSPOT_DEFINED' ? (INVERSE_TYPE_IDS.get(type.associationTypeId) ?? type.associationTypeId) : type.associationTypeId;
    this.addOneWay(`${toType}:${toId}`, `${fromType}:${fromId}`, { ...type, associationTypeId: inverseId });
  }

  /** Removes every association between two records, both ways (what v4 batch archive does). */
  remove(fromType: ObjectTypeName, fromId: string, toType: ObjectTypeName, toId: string): boolean {
    const forward = this.edges.get(`${fromType}:${fromId}`)?.delete(`${toType}:${toId}`) ?? false;
    const inverse = this.edges.get(`${toType}:${toId}`)?.delete(`${fromType}:${fromId}`) ?? false;
    return forward || inverse;
  }

  list(type: ObjectTypeName, id: string): StoredAssociation[] {
    const targets = this.edges.get(`${type}:${id}`);
    if (!targets) return [];
    return [...targets].map(([target, types]) => {
      const separator = target.indexOf(':');
      return {
        toObjectType: target.slice(0, separator),
        toObjectId: target.slice(separator + 1),
        types: [...types].map((serialised) => JSON.parse(serialised) as AssociationType),
      };
    });
  }

  private addOneWay(from: string, to: string, type: AssociationType): void {
    let targets = this.edges.get(from);
    if (!targets) this.edges.set(from, (targets = new Map()));
    let types = targets.get(to);
    if (!types) targets.set(to, (types = new Set()));
    types.add(JSON.stringify({ associationCategory: type.associationCategory, associationTypeId: type.associationTypeId }));
  }
}
