/**
 * Formats model values into the strings HubSpot accepts, and validates them
 * first, so that a bad row becomes an outcome without costing a request.
 * Pure functions: no I/O.
 */
import type { PropertyMapping } from '../../contracts/config.ts';
import type { Value } from '../warehouse.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import { nullClears } from './write-policy.ts';

export type Formatted = { ok: true; value: string } | { ok: false; category: string; message: string };

const fail = (category: string, message: string): Formatted => ({ ok: false, category, message });

/** Formats one value for one mapped property. `null` clears the property (""). */
export function formatValue(mapping: PropertyMapping, value: Value | undefined): Formatted {
  if (value === undefined) return fail('MISSING_VALUE', `column ${mapping.column} is missing from the row`);
  if (value === null) return { ok: true, value: '' };
  switch (mapping.type) {
    case 'number':
      return formatNumber(value);
    case 'bool':
      return formatBool(value);
    case 'date':
      return formatDate(value);
    case 'datetime':
      return formatDatetime(value);
    case 'enumeration':
      return formatEnumeration(value, mapping.options ?? []);
    case 'string':
      return formatString(value);
  }
}

function describe(value: Value): string {
  const s = value instanceof Date ? value.toISOString() : String(value);
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

/** Plain decimal (HubSpot: digits with at most one decimal point): never an exponent. */
export function formatNumber(value: Value): Formatted {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail('INVALID_NUMBER', `${describe(value)} is not a finite number`);
    return { ok: true, value: plainDecimal(value) };
  }
  if (typeof value === 'string') {
    const s = value.trim();
    const plain = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(s);
    if (plain) {
      const [, sign, int, frac] = plain;
      const digits = int.replace(/^0+(?=\d)/, '');
      const negative = sign === '-' && !/^0+$/.test(int + (frac ?? ''));
      return { ok: true, value: `${negative ? '-' : ''}${digits}${frac ? `.${frac}` : ''}` };
    }
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return formatNumber(Number(s));
  }
  return fail('INVALID_NUMBER', `${describe(value)} is not a number`);
}

/** `String(1e21)` is "1e+21" and `String(1e-7)` is "1e-7": expand the exponent by hand. */
export function plainDecimal(n: number): string {
  if (Object.is(n, -0)) return '0';
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, rest = '', expText] = m;
  const exp = Number(expText);
  const digits = lead + rest;
  if (exp >= 0) {
    const intLen = 1 + exp;
    return intLen >= digits.length
      ? sign + digits + '0'.repeat(intLen - digits.length)
      : `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

const TRUE = new Set(['true', 't', '1', 'yes', 'y']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n']);

export function formatBool(value: Value): Formatted {
  if (typeof value === 'boolean') return { ok: true, value: value ? 'true' : 'false' };
  if (typeof value === 'number' && (value === 0 || value === 1)) return { ok: true, value: value === 1 ? 'true' : 'false' };
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (TRUE.has(s)) return { ok: true, value: 'true' };
    if (FALSE.has(s)) return { ok: true, value: 'false' };
  }
  return fail('INVALID_BOOLEAN', `${describe(value)} is not a boolean`);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function utcDate(d: Date): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** A real calendar date 'YYYY-MM-DD' (rejects 2024-02-30). */
function parseIsoDate(s: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return utcDate(d) === s ? d : null;
}

/** ISO 8601 with a time part; a bare date means midnight UTC. */
function parseTimestamp(s: string): Date | null {
  const date = parseIsoDate(s);
  if (date) return date;
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(s)) return null;
  const d = new Date(s.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * HubSpot date properties take `YYYY-MM-DD` (or epoch ms at midnight UTC; any other time of
 * day is rejected). We send the UTC calendar date of a Date or timestamp.
 */
export function formatDate(value: Value): Formatted {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? fail('INVALID_DATE', 'invalid Date') : { ok: true, value: utcDate(value) };
  }
  if (typeof value === 'string') {
    const d = parseTimestamp(value.trim());
    if (d) return { ok: true, value: utcDate(d) };
  }
  return fail('INVALID_DATE', `${describe(value)} is not a date (YYYY-MM-DD)`);
}

/** ISO 8601 with milliseconds, UTC. */
export function formatDatetime(value: Value): Formatted {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? fail('INVALID_DATE', 'invalid Date') : { ok: true, value: value.toISOString() };
  }
  if (typeof value === 'string') {
    const d = parseTimestamp(value.trim());
    if (d) return { ok: true, value: d.toISOString() };
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    const d = new Date(value);
    if (!Number.isNaN(d.getTime())) return { ok: true, value: d.toISOString() };
  }
  return fail('INVALID_DATE', `${describe(value)} is not a timestamp (ISO 8601)`);
}

/** Enumeration values are option values, case-sensitive. */
export function formatEnumeration(value: Value, options: readonly string[]): Formatted {
  const s = value instanceof Date ? value.toISOString() : String(value);
  if (options.includes(s)) return { ok: true, value: s };
  return fail('INVALID_OPTION', `${describe(value)} is not one of the allowed options: ${options.join(', ')}`);
}

export function formatString(value: Value): Formatted {
  const s = value instanceof Date ? value.toISOString() : String(value);
  // UTF-16 length ≥ code points: only count code points when it could matter.
  if (s.length > HUBSPOT_LIMITS.stringMaxLength) {
    const codePoints = [...s].length;
    if (codePoints > HUBSPOT_LIMITS.stringMaxLength) {
      return fail('VALUE_TOO_LONG', `${codePoints} characters; HubSpot allows at most ${HUBSPOT_LIMITS.stringMaxLength}`);
    }
  }
  return { ok: true, value: s };
}

/**
 * Whether the text HubSpot holds for a property is what sending `value` writes: the same
 * formatted text, numbers equal as numbers and instants as instants ("12.0" holds 12), empty
 * as NULL. An invalid value is never held.
 */
export function holdsValue(mapping: PropertyMapping, held: string | null | undefined, value: Value): boolean {
  const f = formatValue(mapping, value);
  if (!f.ok) return false;
  const h = held ?? '';
  if (h === f.value) return true;
  if (h === '' || f.value === '') return false;
  if (mapping.type === 'number') return Number(h) === Number(f.value);
  if (mapping.type === 'datetime') return Date.parse(h) === Date.parse(f.value);
  return false;
}

export type FormattedRow =
  | { ok: true; properties: Record<string, string> }
  | { ok: false; category: string; property: string; message: string };

/**
 * Formats every mapped property of a row; stops at the first invalid value. A NULL is left out
 * when the property's write policy says it never clears (write-policy.ts).
 */
export function formatRow(mappings: readonly PropertyMapping[], values: Record<string, Value>): FormattedRow {
  const properties: Record<string, string> = {};
  for (const m of mappings) {
    if (values[m.column] === null && !nullClears(m)) continue;
    const f = formatValue(m, values[m.column]);
    if (!f.ok) return { ok: false, category: f.category, property: m.property, message: `${m.property}: ${f.message}` };
    properties[m.property] = f.value;
  }
  return { ok: true, properties };
}

/** Every mapped property emptied: what `clear` sends (properties that never clear are left alone). */
export function clearedRow(mappings: readonly PropertyMapping[]): Record<string, string> {
  return Object.fromEntries(mappings.filter(nullClears).map((m) => [m.property, '']));
}

// A practical email check (not RFC 5322): local part of the usual characters without
// leading, trailing or doubled dots; a domain of labels with a TLD of 2+ letters.
const EMAIL =
  /^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}(?<!\.)@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** The normalised email (trimmed, lower case), or null when it is not a usable email. */
export function normaliseEmail(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  return s.length <= 254 && EMAIL.test(s) ? s : null;
}

const HOSTNAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * A company domain as we match it: lower case, without scheme, credentials, port, path,
 * query, trailing dot or a leading `www.`. Null when what is left is not a hostname.
 */
export function normaliseDomain(raw: string): string | null {
  let s = raw.trim().toLowerCase();
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  s = s.replace(/^[^/@]*@/, '');
  s = s.split(/[/?#]/, 1)[0];
  s = s.replace(/:\d+$/, '').replace(/\.$/, '');
  s = s.replace(/^www\./, '');
  return HOSTNAME.test(s) ? s : null;
}
