/**
 * Warehouse column types → HubSpot property types, per dialect. Used to check a sync's declared
 * property types against the model's columns before anything is sent. Undefined: no safe mapping
 * (arrays, structs, JSON, binary, intervals…): the sync must declare the type itself.
 */
import type { DialectName } from '../../connectors/warehouse.ts';

export type HubspotValueType = 'number' | 'datetime' | 'date' | 'bool' | 'string';

type Rule = [pattern: RegExp, type: HubspotValueType];

/** Rules tried in order on the upper-cased type name with any (precision, scale) removed. */
const rules: Record<DialectName, Rule[]> = {
  duckdb: [
    [/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT1|INT2|INT4|INT8|LONG|SHORT|SIGNED|DECIMAL|NUMERIC|DOUBLE|FLOAT|REAL|FLOAT4|FLOAT8)$/, 'number'],
    [/^(TIMESTAMP|DATETIME|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP_US)$/, 'datetime'],
    [/^DATE$/, 'date'],
    [/^(BOOLEAN|BOOL|LOGICAL)$/, 'bool'],
    [/^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|UUID)$/, 'string'],
  ],
  postgres: [
    [/^(SMALLINT|INTEGER|INT|BIGINT|INT2|INT4|INT8|NUMERIC|DECIMAL|REAL|DOUBLE PRECISION|FLOAT4|FLOAT8|FLOAT|SMALLSERIAL|SERIAL|BIGSERIAL)$/, 'number'],
    [/^(TIMESTAMP|TIMESTAMP WITHOUT TIME ZONE|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ)$/, 'datetime'],
    [/^DATE$/, 'date'],
    [/^(BOOLEAN|BOOL)$/, 'bool'],
    [/^(TEXT|CHARACTER VARYING|VARCHAR|CHARACTER|CHAR|BPCHAR|NAME|CITEXT|UUID)$/, 'string'],
  ],
  bigquery: [
    [/^(INT64|INTEGER|INT|SMALLINT|BIGINT|TINYINT|BYTEINT|NUMERIC|DECIMAL|BIGNUMERIC|BIGDECIMAL|FLOAT64|FLOAT)$/, 'number'],
    // DATETIME has no zone; pqlsync reads its wall clock as UTC.
    [/^(TIMESTAMP|DATETIME)$/, 'datetime'],
    [/^DATE$/, 'date'],
    [/^(BOOL|BOOLEAN)$/, 'bool'],
    [/^STRING$/, 'string'],
  ],
  snowflake: [
    [/^(NUMBER|DECIMAL|NUMERIC|INT|INTEGER|BIGINT|SMALLINT|TINYINT|BYTEINT|FIXED|FLOAT|FLOAT4|FLOAT8|DOUBLE|DOUBLE PRECISION|REAL|DECFLOAT)$/, 'number'],
    [/^(TIMESTAMP|DATETIME|TIMESTAMP_NTZ|TIMESTAMP_LTZ|TIMESTAMP_TZ|TIMESTAMPNTZ|TIMESTAMPLTZ|TIMESTAMPTZ|TIMESTAMP WITHOUT TIME ZONE|TIMESTAMP WITH TIME ZONE|TIMESTAMP WITH LOCAL TIME ZONE)$/, 'datetime'],
    [/^DATE$/, 'date'],
    [/^BOOLEAN$/, 'bool'],
    [/^(VARCHAR|TEXT|STRING|CHAR|CHARACTER|NCHAR|NVARCHAR|NVARCHAR2|CHAR VARYING|NCHAR VARYING)$/, 'string'],
  ],
};

/**
 * The HubSpot property type a column of `warehouseType` (as the warehouse names it, any case,
 * with or without precision: 'NUMBER(38,0)', 'timestamp with time zone', 'VARCHAR(255)') maps to.
 */
export function hubspotTypeFor(dialect: DialectName, warehouseType: string): HubspotValueType | undefined {
  const normalized = warehouseType
    .trim()
    .toUpperCase()
    .replace(/\s*\(\s*\d+(\s*,\s*\d+)?\s*\)/g, '') // (p) or (p, s), also inside 'TIMESTAMP(3) WITH TIME ZONE'
    .replace(/\s+/g, ' ');
  for (const [pattern, type] of rules[dialect] ?? []) if (pattern.test(normalized)) return type;
  return undefined;
}
