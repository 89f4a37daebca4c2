/**
 * Property value validation, as HubSpot applies it to every write. Values
 * arrive as strings; each property's type decides what is accepted and how
 * the value is stored (dates as YYYY-MM-DD, datetimes as ISO, emails lower
 * case). `""` clears a property and is always accepted on writable ones.
 */
import type { ErrorDetail } from './api-error.ts';
import type { PropertyDefinition } from './types.ts';

export interface ValueIssue {
  /** HubSpot's detail code: PROPERTY_DOESNT_EXIST, INVALID_INTEGER, INVALID_OPTION, ... */
  code: string;
  message: string;
  propertyName: string;
}

export interface ValidatedValues {
  /** Normalised values to store; `""` means clear. */
  values: Record<string, string>;
  issues: ValueIssue[];
}

/** HubSpot's limit on a single string value. */
export const MAX_STRING_LENGTH = 65_536;

const DAY_MS = 86_400_000;
const NUMBER_PATTERN = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;
const EPOCH_PATTERN = /^-?\d+$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATETIME_PATTERN = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Validates a write's `properties` object against the object's definitions.
 * Non-string scalars are coerced as HubSpot does (5 → "5"); null clears.
 */
export function validatePropertyValues(
  definitions: Map<string, PropertyDefinition>,
  properties: Record<string, unknown>,
): ValidatedValues {
  const values: Record<string, string> = {};
  const issues: ValueIssue[] = [];
  for (const [name, raw] of Object.entries(properties)) {
    const definition = definitions.get(name);
    if (!definition) {
      issues.push({ code: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist`, propertyName: name });
      continue;
    }
    if (definition.readOnlyValue) {
      issues.push({
        code: 'READ_ONLY_VALUE',
        message: `"${name}" is a read only property; its value cannot be set.`,
        propertyName: name,
      });
      continue;
    }
    const text = coerceToText(raw);
    if (text === undefined) {
      issues.push({ code: 'INVALID_VALUE', message: `${JSON.stringify(raw)} is not a valid value for ${name}`, propertyName: name });
      continue;
    }
    if (text === '') {
      values[name] = '';
      continue;
    }
    const checked = normaliseValue(definition, text);
    if ('issue' in checked) issues.push(checked.issue);
    else values[name] = checked.value;
  }
  return { values, issues };
}

/** HubSpot's message for a whole set of issues: `Property values were not valid: [...]` with the JSON it embeds. */
export function describeIssues(issues: ValueIssue[]): { message: string; errors: ErrorDetail[] } {
  const embedded = issues.map((issue) => ({
    isValid: false,
    message: issue.message,
    error: issue.code,
    name: issue.propertyName,
    localizedErrorMessage: issue.message,
  }));
  return {
    message: `Property values were not valid: ${JSON.stringify(embedded)}`,
    errors: issues.map((issue) => ({
      message: issue.message,
      code: issue.code,
      context: { propertyName: [issue.propertyName] },
    })),
  };
}

/** Epoch ms of a date or datetime value, for search comparisons; undefined when not a date. */
export function parseTimestamp(text: string): number | undefined {
  if (EPOCH_PATTERN.test(text)) return Number(text);
  if (!ISO_DATETIME_PATTERN.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function coerceToText(raw: unknown): string | undefined {
  if (raw === null) return '';
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw === 'boolean') return String(raw);
  return undefined;
}

function normaliseValue(definition: PropertyDefinition, text: string): { value: string } | { issue: ValueIssue } {
  const name = definition.name;
  const fail = (code: string, message: string) => ({ issue: { code, message, propertyName: name } });
  switch (definition.type) {
    case 'number':
      return NUMBER_PATTERN.test(text) ? { value: text } : fail('INVALID_INTEGER', `${text} was not a valid number.`);
    case 'bool':
      // HubSpot stores booleans as the option values of a booleancheckbox, so a bad one is a bad option.
      return text === 'true' || text === 'false'
        ? { value: text }
        : fail('INVALID_OPTION', `${text} was not one of the allowed options: [true, false]`);
    case 'enumeration':
      return normaliseOption(definition, text, fail);
    case 'date':
      return normaliseDate(text, fail);
    case 'datetime': {
      const ms = parseTimestamp(text);
      return ms === undefined
        ? fail('INVALID_DATETIME', `${text} is not a valid datetime: use ISO 8601 or epoch milliseconds.`)
        : { value: new Date(ms).toISOString() };
    }
    default:
      return normaliseString(definition, text, fail);
  }
}

function normaliseOption(
  definition: PropertyDefinition,
  text: string,
  fail: (code: string, message: string) => { issue: ValueIssue },
): { value: string } | { issue: ValueIssue } {
  const allowed = new Set(definition.options.map((option) => option.value));
  // Only checkboxes hold several options; for them `;` separates values.
  const parts = definition.fieldType === 'checkbox' ? text.split(';') : [text];
  const bad = parts.find((part) => !allowed.has(part));
  if (bad === undefined) return { value: text };
  return fail('INVALID_OPTION', `${bad} was not one of the allowed options: [${[...allowed].join(', ')}]`);
}

function normaliseDate(
  text: string,
  fail: (code: string, message: string) => { issue: ValueIssue },
): { value: string } | { issue: ValueIssue } {
  const calendar = DATE_PATTERN.exec(text);
  if (calendar) {
    const ms = Date.UTC(Number(calendar[1]), Number(calendar[2]) - 1, Number(calendar[3]));
    // Date.UTC rolls 2024-02-31 over to March; a round trip catches impossible dates.
    if (new Date(ms).toISOString().slice(0, 10) === text) return { value: text };
    return fail('INVALID_DATE', `${text} is not a valid date.`);
  }
  if (EPOCH_PATTERN.test(text)) {
    const ms = Number(text);
    if (ms % DAY_MS === 0) return { value: new Date(ms).toISOString().slice(0, 10) };
    const timeOfDay = new Date(ms).toISOString().slice(11, 23);
    return fail('INVALID_DATE', `${text} is at ${timeOfDay} UTC, not midnight!`);
  }
  return fail('INVALID_DATE', `${text} is not a valid date: use YYYY-MM-DD or epoch milliseconds at midnight UTC.`);
}

function normaliseString(
  definition: PropertyDefinition,
  text: string,
  fail: (code: string, message: string) => { issue: ValueIssue },
): { value: string } | { issue: ValueIssue } {
  if (text.length > MAX_STRING_LENGTH) {
    return fail('MAX_LENGTH_EXCEEDED', `Property value for ${definition.name} is ${text.length} characters, over the limit of ${MAX_STRING_LENGTH}.`);
  }
  if (definition.name === 'email') {
    // HubSpot stores contact emails in lower case, which is why it matches them case-insensitively.
    const email = text.trim().toLowerCase();
    return EMAIL_PATTERN.test(email) ? { value: email } : fail('INVALID_EMAIL', `Email address ${text} is invalid`);
  }
  return { value: text };
}
