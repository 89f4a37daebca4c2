/**
 * HubSpot search's filter semantics: filter groups are ORed, the filters of a
 * group ANDed. String values match case-insensitively because HubSpot indexes
 * them in lower case: EQ lowers both sides, but IN compares the lowered
 * stored value with the values as sent, so IN wants lower-case values.
 * Enumerations match exactly.
 */
import { validationError } from './api-error.ts';
import type { PropertyDefinition } from './types.ts';
import { parseTimestamp } from './validation.ts';

export interface SearchFilter {
  propertyName: string;
  operator: string;
  value?: string;
  values?: string[];
  highValue?: string;
}

export const SEARCH_OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

/** Checks a filter against the property definitions; throws HubSpot's 400 for a malformed one. */
export function checkFilter(filter: SearchFilter, definitions: Map<string, PropertyDefinition>): void {
  if (!definitions.has(filter.propertyName)) {
    throw validationError(`There was a problem with the request: property ${filter.propertyName} does not exist.`);
  }
  if (!SEARCH_OPERATORS.has(filter.operator)) {
    throw validationError(`There was a problem with the request: unknown operator ${filter.operator}.`);
  }
  const needsValues = filter.operator === 'IN' || filter.operator === 'NOT_IN';
  const needsNoValue = filter.operator === 'HAS_PROPERTY' || filter.operator === 'NOT_HAS_PROPERTY';
  if (needsValues && !Array.isArray(filter.values)) {
    throw validationError(`${filter.operator} on ${filter.propertyName} needs "values".`);
  }
  if (!needsValues && !needsNoValue && filter.value === undefined) {
    throw validationError(`${filter.operator} on ${filter.propertyName} needs "value".`);
  }
  if (filter.operator === 'BETWEEN' && filter.highValue === undefined) {
    throw validationError(`BETWEEN on ${filter.propertyName} needs "highValue".`);
  }
}

export function matchesFilter(stored: string | undefined, filter: SearchFilter, definition: PropertyDefinition): boolean {
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return stored !== undefined;
    case 'NOT_HAS_PROPERTY':
      return stored === undefined;
  }
  if (stored === undefined) return false;
  switch (filter.operator) {
    case 'EQ':
      return compareValues(stored, String(filter.value), definition) === 0;
    case 'NEQ':
      return compareValues(stored, String(filter.value), definition) !== 0;
    case 'LT':
      return compareValues(stored, String(filter.value), definition) < 0;
    case 'LTE':
      return compareValues(stored, String(filter.value), definition) <= 0;
    case 'GT':
      return compareValues(stored, String(filter.value), definition) > 0;
    case 'GTE':
      return compareValues(stored, String(filter.value), definition) >= 0;
    case 'BETWEEN':
      return (
        compareValues(stored, String(filter.value), definition) >= 0 &&
        compareValues(stored, String(filter.highValue), definition) <= 0
      );
    case 'IN':
      return matchesAny(stored, filter.values ?? [], definition);
    case 'NOT_IN':
      return !matchesAny(stored, filter.values ?? [], definition);
    case 'CONTAINS_TOKEN':
      return containsToken(stored, String(filter.value));
    case 'NOT_CONTAINS_TOKEN':
      return !containsToken(stored, String(filter.value));
    default:
      return false;
  }
}

/** Orders two values by the property's type: numbers and dates numerically, strings case-insensitively. */
export function compareValues(stored: string, wanted: string, definition: PropertyDefinition): number {
  if (definition.type === 'number') return Math.sign(Number(stored) - Number(wanted));
  if (definition.type === 'date' || definition.type === 'datetime') {
    const left = parseTimestamp(stored);
    const right = parseTimestamp(wanted);
    if (left !== undefined && right !== undefined) return Math.sign(left - right);
  }
  if (definition.type === 'enumeration') return stored === wanted ? 0 : stored < wanted ? -1 : 1;
  const left = stored.toLowerCase();
  const right = wanted.toLowerCase();
  return left === right ? 0 : left < right ? -1 : 1;
}

function matchesAny(stored: string, values: string[], definition: PropertyDefinition): boolean {
  if (definition.type === 'number') return values.some((value) => Number(value) === Number(stored));
  if (definition.type === 'enumeration') {
    const parts = new Set(stored.split(';'));
    return values.some((value) => parts.has(value));
  }
  if (definition.type === 'date' || definition.type === 'datetime') {
    return values.some((value) => compareValues(stored, value, definition) === 0);
  }
  const lowered = stored.toLowerCase();
  return values.some((value) => value === lowered);
}

/** Tokens are runs of letters and digits; `*` in the wanted token is a wildcard. */
function containsToken(stored: string, wanted: string): boolean {
  const escaped = wanted
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const pattern = new RegExp(`^${escaped}$`);
  const tokens = stored.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return tokens.some((token) => pattern.test(token)) || pattern.test(stored.toLowerCase());
}
