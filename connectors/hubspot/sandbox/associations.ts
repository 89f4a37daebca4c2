/**
 * Association edges between records. HubSpot associations are two-way: an
 * edge written from a deal to a contact (type 3) also reads from the contact
 * to the deal (type 4), so every edge is stored with its inverse.
 */
import type { ObjectTypeName } from './object-types.ts';
import type { StoredAssociation } from './types.ts';

export interface AssociationType {
  associationCategory: string;
  associationTypeId: number;
}

/** HubSpot-defined pairs of (forward, inverse) type ids; see docs/hubspot.md, "Association type ids". */
const INVERSE_TYPE_IDS = new Map<number, number>([
  [279, 280], // contact → company (unlabelled)
  [1, 2], // contact → company (primary)
  [3, 4], // deal → contact
  [341, 342], // deal → company (unlabelled)
  [5, 6], // deal → company (primary)
  [204, 203], // task → contact
  [192, 191], // task → company
  [216, 215], // task → deal
]);
for (const [forward, inverse] of [...INVERSE_TYPE_IDS]) INVERSE_TYPE_IDS.set(inverse, forward);

const DEFAULT_TYPE_IDS: Record<string, number> = {
  'contacts>companies': 279,
  'companies>contacts': 280,
  'deals>contacts': 3,
  'contacts>deals': 4,
  'deals>companies': 341,
  'companies>deals': 342,
  'tasks>contacts': 204,
  'contacts>tasks': 203,
  'tasks>companies': 192,
  'companies>tasks': 191,
  'tasks>deals': 216,
  'deals>tasks': 215,
};

/** Which object type a HubSpot-defined type id points at from `from`, for associations sent with a create. */
const TARGET_TYPES: Record<ObjectTypeName, Record<number, ObjectTypeName>> = {
  contacts: { 279: 'companies', 1: 'companies', 4: 'deals', 203: 'tasks' },
  companies: { 280: 'contacts', 2: 'contacts', 342: 'deals', 6: 'deals', 191: 'tasks' },
  deals: { 3: 'contacts', 341: 'companies', 5: 'companies', 215: 'tasks' },
  tasks: { 204: 'contacts', 192: 'companies', 216: 'deals' },
};

/** The HubSpot-defined association types between two object types, as the labels endpoint lists them. */
export function listLabels(from: ObjectTypeName, to: ObjectTypeName): Array<{ typeId: number; label: string | null }> {
  return Object.entries(TARGET_TYPES[from])
    .filter(([, target]) => target === to)
    .map(([typeId]) => ({ typeId: Number(typeId), label: PRIMARY_TYPE_IDS.has(Number(typeId)) ? 'Primary' : null }));
}

const PRIMARY_TYPE_IDS = new Set([1, 2, 5, 6]);

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
