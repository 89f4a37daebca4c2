import { describe, expect, it } from 'vitest';
import type { PropertyMapping } from '../../src/config/schema.ts';
import {
  clearedRow,
  formatRow,
  formatValue,
  normaliseDomain,
  normaliseEmail,
  plainDecimal,
} from '../../connectors/hubspot/format-values.ts';

const m = (type: PropertyMapping['type'], options?: string[]): PropertyMapping => ({
  column: 'c',
  property: 'p',
  type,
  label: 'P',
  ...(options ? { options } : {}),
});
const ok = (value: string) => ({ ok: true, value });

describe('numbers are plain decimals', () => {
  it.each([
    [42, '42'],
    [0.1, '0.1'],
    [-5.25, '-5.25'],
    [1e21, '1000000000000000000000'],
    [1.5e22, '15000000000000000000000'],
    [1e-7, '0.0000001'],
    [-1.25e-8, '-0.0000000125'],
    [-0, '0'],
    ['007', '7'],
    ['1.50', '1.50'],
    [' 12 ', '12'],
    ['+3', '3'],
    ['2e3', '2000'],
  ])('%s → %s', (value, expected) => {
    expect(formatValue(m('number'), value)).toEqual(ok(expected));
  });

  it.each([[Number.NaN], [Infinity], ['abc'], ['1,5'], [true], [new Date(0)], ['']])('%s is INVALID_NUMBER', (value) => {
    expect(formatValue(m('number'), value)).toMatchObject({ ok: false, category: 'INVALID_NUMBER' });
  });

  it('never prints an exponent', () => {
    for (const n of [1e21, 1.234e-10, 9.99e300, 5e-324]) expect(plainDecimal(n)).not.toMatch(/e/i);
  });
});

describe('booleans', () => {
  it('true/false only', () => {
    expect(formatValue(m('bool'), true)).toEqual(ok('true'));
    expect(formatValue(m('bool'), false)).toEqual(ok('false'));
    expect(formatValue(m('bool'), 1)).toEqual(ok('true'));
    expect(formatValue(m('bool'), 'FALSE')).toEqual(ok('false'));
    expect(formatValue(m('bool'), 'maybe')).toMatchObject({ ok: false, category: 'INVALID_BOOLEAN' });
    expect(formatValue(m('bool'), 2)).toMatchObject({ ok: false });
  });
});

describe('dates are the UTC calendar date', () => {
  it('of a Date, whatever its time of day', () => {
    expect(formatValue(m('date'), new Date('2024-03-01T23:30:00-05:00'))).toEqual(ok('2024-03-02'));
    expect(formatValue(m('date'), new Date('2024-03-01T00:00:00Z'))).toEqual(ok('2024-03-01'));
  });
  it('of a YYYY-MM-DD string or a timestamp string', () => {
    expect(formatValue(m('date'), '2024-02-29')).toEqual(ok('2024-02-29'));
    expect(formatValue(m('date'), '2024-02-29T12:00:00Z')).toEqual(ok('2024-02-29'));
  });
  it('rejects impossible dates and other text', () => {
    for (const v of ['2023-02-29', '2024-13-01', '01/02/2024', 'yesterday', new Date('x')]) {
      expect(formatValue(m('date'), v)).toMatchObject({ ok: false, category: 'INVALID_DATE' });
    }
  });
});

describe('datetimes are ISO 8601 with milliseconds', () => {
  it('formats Dates, strings and epoch ms', () => {
    expect(formatValue(m('datetime'), new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).toEqual(ok('2024-01-02T03:04:05.006Z'));
    expect(formatValue(m('datetime'), '2024-01-02 03:04:05+02:00')).toEqual(ok('2024-01-02T01:04:05.000Z'));
    expect(formatValue(m('datetime'), '2024-01-02')).toEqual(ok('2024-01-02T00:00:00.000Z'));
    expect(formatValue(m('datetime'), 0)).toEqual(ok('1970-01-01T00:00:00.000Z'));
    expect(formatValue(m('datetime'), 'soon')).toMatchObject({ ok: false, category: 'INVALID_DATE' });
  });
});

describe('enumerations and strings', () => {
  it('accepts only configured option values, case-sensitively', () => {
    const tier = m('enumeration', ['cold', 'warm', 'hot']);
    expect(formatValue(tier, 'hot')).toEqual(ok('hot'));
    expect(formatValue(tier, 'Hot')).toMatchObject({ ok: false, category: 'INVALID_OPTION' });
  });
  it('limits strings to 65,536 characters (code points)', () => {
    expect(formatValue(m('string'), 'a'.repeat(65_536))).toMatchObject({ ok: true });
    expect(formatValue(m('string'), 'a'.repeat(65_537))).toMatchObject({ ok: false, category: 'VALUE_TOO_LONG' });
    // 40,000 emoji are 80,000 UTF-16 units but 40,000 characters.
    expect(formatValue(m('string'), '😀'.repeat(40_000))).toMatchObject({ ok: true });
  });
  it('null clears, a missing column is an error', () => {
    for (const t of ['string', 'number', 'bool', 'date', 'datetime'] as const) expect(formatValue(m(t), null)).toEqual(ok(''));
    expect(formatValue(m('string'), undefined)).toMatchObject({ ok: false, category: 'MISSING_VALUE' });
  });
});

describe('rows', () => {
  const mappings: PropertyMapping[] = [
    { column: 'score', property: 'pql_score', type: 'number', label: 'Score' },
    { column: 'tier', property: 'pql_tier', type: 'enumeration', label: 'Tier', options: ['cold', 'hot'] },
  ];
  it('formats every mapped column into its property', () => {
    expect(formatRow(mappings, { score: 12.5, tier: 'hot' })).toEqual({ ok: true, properties: { pql_score: '12.5', pql_tier: 'hot' } });
  });
  it('names the property at fault', () => {
    expect(formatRow(mappings, { score: 1, tier: 'lukewarm' })).toMatchObject({ ok: false, category: 'INVALID_OPTION', property: 'pql_tier' });
  });
  it('clear empties every mapped property', () => {
    expect(clearedRow(mappings)).toEqual({ pql_score: '', pql_tier: '' });
  });
  it('a NULL clears only under write: always; clear leaves if_empty and not_null properties alone', () => {
    const shared: PropertyMapping[] = [
      ...mappings,
      { column: 'amount', property: 'amount', type: 'number', label: 'Amount', write: 'if_empty' },
      { column: 'title', property: 'jobtitle', type: 'string', label: 'Title', write: 'not_null' },
    ];
    expect(formatRow(shared, { score: null, tier: 'hot', amount: null, title: null })).toEqual({ ok: true, properties: { pql_score: '', pql_tier: 'hot' } });
    expect(formatRow(shared, { score: 1, tier: 'hot', amount: 5, title: 'CTO' })).toEqual({ ok: true, properties: { pql_score: '1', pql_tier: 'hot', amount: '5', jobtitle: 'CTO' } });
    expect(clearedRow(shared)).toEqual({ pql_score: '', pql_tier: '' });
  });
});

describe('keys', () => {
  it('emails: trimmed, lower case, practical validity', () => {
    expect(normaliseEmail(' Jane.Doe+pql@Acme.COM ')).toBe('jane.doe+pql@acme.com');
    for (const bad of ['jane', 'jane@', '@acme.com', 'jane@acme', 'ja ne@acme.com', '.jane@acme.com', 'jane..doe@acme.com', 'jane@acme..com', 'jane@-acme.com']) {
      expect(normaliseEmail(bad), bad).toBeNull();
    }
  });
  it('domains: no scheme, www., path, port or case', () => {
    expect(normaliseDomain('https://www.Acme.com/pricing?x=1')).toBe('acme.com');
    expect(normaliseDomain('WWW.acme.co.uk.')).toBe('acme.co.uk');
    expect(normaliseDomain('acme.com:8080')).toBe('acme.com');
    expect(normaliseDomain('sub.acme.io')).toBe('sub.acme.io');
    for (const bad of ['acme', '', 'http://', 'not a domain.com']) expect(normaliseDomain(bad), bad).toBeNull();
  });
});
