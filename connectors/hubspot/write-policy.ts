/**
 * Per-property write policy against what HubSpot holds (docs/hubspot.md, "Shared fields"). Pure.
 * - always (default): the model's value is written; a NULL clears the property.
 * - not_null: the model's value is written; a NULL is left out, so it never clears.
 * - if_empty: written only while HubSpot holds no value (read first); a NULL is left out.
 * NULLs are left out when the row is formatted (format-values.ts); this module decides, from the
 * held values, which if_empty values still go.
 */
import type { PropertyMapping } from '../../src/config/schema.ts';
import type { HeldValues } from './objects/held-values.ts';

export type WritePolicy = NonNullable<PropertyMapping['write']>;

export function writePolicyOf(mapping: Pick<PropertyMapping, 'write'>): WritePolicy {
  return mapping.write ?? 'always';
}

/** Whether a NULL in the model clears the property in HubSpot (only under `always`). */
export function nullClears(mapping: Pick<PropertyMapping, 'write'>): boolean {
  return writePolicyOf(mapping) === 'always';
}

/** The if_empty properties about to be written: what must be read before writing. */
export function policyReads(mappings: readonly PropertyMapping[], properties: Record<string, string>): string[] {
  return mappings.filter((m) => writePolicyOf(m) === 'if_empty' && properties[m.property]).map((m) => m.property);
}

/** Leaves out the if_empty values HubSpot already holds a value for. `held` undefined: no such record yet. */
export function applyWritePolicy(mappings: readonly PropertyMapping[], properties: Record<string, string>, held: HeldValues | undefined): Record<string, string> {
  if (!held) return properties;
  const out = { ...properties };
  for (const name of policyReads(mappings, properties)) if (held[name]) delete out[name];
  return out;
}
