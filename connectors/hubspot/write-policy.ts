/**
 * What pqlsync writes over what HubSpot holds (docs/hubspot.md, "Shared fields", "Lifecycle
 * stage"). Pure.
 * - always (default): the model's value is written; a NULL clears the property.
 * - not_null: the model's value is written; a NULL is left out, so it never clears.
 * - if_empty: written only while HubSpot holds no value (read first); a NULL is left out.
 * - lifecyclestage (whatever its policy): read first and only ever moved forward through the
 *   sync's stage order, never out of a `never_over` stage nor over a stage the order does not
 *   know; a NULL never clears it.
 * NULLs are left out when the row is formatted (format-values.ts); the rest is decided here, from
 * the held values.
 */
import type { PropertyMapping } from '../../contracts/config.ts';
import { lifecycleConfig } from './config.ts';
import type { HubSpotSyncTarget } from './config.ts';
import type { HeldValues } from './objects/held-values.ts';

export type WritePolicy = NonNullable<PropertyMapping['write']>;

export const LIFECYCLE_STAGE = 'lifecyclestage';

const DEFAULT_LIFECYCLE = lifecycleConfig.parse({});

export function writePolicyOf(mapping: Pick<PropertyMapping, 'write' | 'property'>): WritePolicy {
  return mapping.property === LIFECYCLE_STAGE ? 'not_null' : (mapping.write ?? 'always');
}

/** Whether a NULL in the model clears the property in HubSpot (only under `always`). */
export function nullClears(mapping: Pick<PropertyMapping, 'write' | 'property'>): boolean {
  return writePolicyOf(mapping) === 'always';
}

type PolicySync = Pick<HubSpotSyncTarget, 'properties' | 'lifecycle'>;

/** The properties to read from HubSpot before writing these: if_empty values and a lifecycle stage. */
export function policyReads(sync: PolicySync, properties: Record<string, string>): string[] {
  const reads = sync.properties.filter((m) => writePolicyOf(m) === 'if_empty' && properties[m.property]).map((m) => m.property);
  return properties[LIFECYCLE_STAGE] ? [...reads, LIFECYCLE_STAGE] : reads;
}

/**
 * Leaves out the if_empty values HubSpot already holds a value for, and a lifecycle stage that
 * would not move forward. `held` undefined: no such record yet, everything goes.
 */
export function applyWritePolicy(sync: PolicySync, properties: Record<string, string>, held: HeldValues | undefined): Record<string, string> {
  if (!held) return properties;
  const out = { ...properties };
  for (const name of policyReads(sync, properties)) {
    const keep = name === LIFECYCLE_STAGE ? movesForward(sync.lifecycle ?? DEFAULT_LIFECYCLE, held[name], out[name]) : !held[name];
    if (!keep) delete out[name];
  }
  return out;
}

/** Whether the sync's lifecycle rules let its stage move from `held` to `wanted` (a rollback asks before sending). */
export function lifecycleMovesForward(sync: Pick<HubSpotSyncTarget, 'lifecycle'>, held: string | null | undefined, wanted: string): boolean {
  return movesForward(sync.lifecycle ?? DEFAULT_LIFECYCLE, held, wanted);
}

/** Whether moving from the held stage to the wanted one is a move forward pqlsync may make. */
export function movesForward(lifecycle: { stages: readonly string[]; never_over: readonly string[] }, held: string | null | undefined, wanted: string): boolean {
  if (!held) return true;
  if (held === wanted || lifecycle.never_over.includes(held)) return false;
  const from = lifecycle.stages.indexOf(held);
  const to = lifecycle.stages.indexOf(wanted);
  return from >= 0 && to > from;
}


