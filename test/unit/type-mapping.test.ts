import { describe, expect, it } from 'vitest';
import { hubspotTypeFor } from '../../src/config/type-mapping.ts';
import type { DialectName } from '../../connectors/warehouse.ts';

const cases: Record<DialectName, Array<[string, ReturnType<typeof hubspotTypeFor>]>> = {
  duckdb: [
    ['BIGINT', 'number'], ['INTEGER', 'number'], ['DOUBLE', 'number'], ['DECIMAL(18,3)', 'number'], ['HUGEINT', 'number'],
    ['TIMESTAMP', 'datetime'], ['TIMESTAMP WITH TIME ZONE', 'datetime'], ['timestamp_ns', 'datetime'],
    ['DATE', 'date'], ['BOOLEAN', 'bool'], ['VARCHAR', 'string'], ['UUID', 'string'],
    ['VARCHAR[]', undefined], ['STRUCT(a INTEGER)', undefined], ['BLOB', undefined], ['INTERVAL', undefined],
  ],
  postgres: [
    ['integer', 'number'], ['bigint', 'number'], ['numeric', 'number'], ['NUMERIC(10,2)', 'number'], ['double precision', 'number'], ['real', 'number'],
    ['timestamp without time zone', 'datetime'], ['TIMESTAMP WITH TIME ZONE', 'datetime'], ['timestamp(3) with time zone', 'datetime'], ['timestamptz', 'datetime'],
    ['date', 'date'], ['boolean', 'bool'], ['text', 'string'], ['character varying', 'string'], ['CHARACTER VARYING(255)', 'string'],
    ['jsonb', undefined], ['ARRAY', undefined], ['interval', undefined], ['USER-DEFINED', undefined],
  ],
  bigquery: [
    ['INT64', 'number'], ['INTEGER', 'number'], ['FLOAT64', 'number'], ['NUMERIC', 'number'], ['BIGNUMERIC(40, 2)', 'number'],
    ['TIMESTAMP', 'datetime'], ['DATETIME', 'datetime'], ['DATE', 'date'], ['BOOL', 'bool'], ['BOOLEAN', 'bool'], ['STRING', 'string'], ['STRING(64)', 'string'],
    ['ARRAY<STRING>', undefined], ['STRUCT<a INT64>', undefined], ['BYTES', undefined], ['JSON', undefined], ['TIME', undefined],
  ],
  snowflake: [
    ['NUMBER(38,0)', 'number'], ['NUMBER', 'number'], ['FLOAT', 'number'], ['DOUBLE', 'number'], ['fixed', 'number'], ['DECIMAL(10, 2)', 'number'],
    ['TIMESTAMP_NTZ', 'datetime'], ['TIMESTAMP_LTZ(9)', 'datetime'], ['TIMESTAMP_TZ', 'datetime'], ['DATETIME', 'datetime'],
    ['DATE', 'date'], ['BOOLEAN', 'bool'], ['VARCHAR(16777216)', 'string'], ['TEXT', 'string'],
    ['VARIANT', undefined], ['ARRAY', undefined], ['OBJECT', undefined], ['BINARY', undefined], ['TIME', undefined],
  ],
};

describe('hubspotTypeFor', () => {
  for (const [dialect, list] of Object.entries(cases) as Array<[DialectName, (typeof cases)[DialectName]]>) {
    it.each(list)(`${dialect}: %s → %s`, (warehouseType, expected) => {
      expect(hubspotTypeFor(dialect, warehouseType)).toBe(expected);
    });
  }

  it('maps every type name the connectors report for the standard columns', () => {
    // What describe() returns for string / number / timestamp / date / bool columns on each engine.
    expect(hubspotTypeFor('postgres', 'TIMESTAMP WITHOUT TIME ZONE')).toBe('datetime');
    expect(hubspotTypeFor('bigquery', 'FLOAT64')).toBe('number');
    expect(hubspotTypeFor('snowflake', 'TEXT')).toBe('string');
    expect(hubspotTypeFor('duckdb', 'DECIMAL(10,2)')).toBe('number');
  });
});
