/**
 * The configuration types connectors need, as zod schemas (types come from z.infer, never written
 * twice). The runner's schema (src/config/schema.ts) composes them into pqlsync.yml's; a
 * connector imports them from here, never from src/ (docs/architecture.md, "The layer map").
 */
import { z } from 'zod';

/** Identifiers that reach SQL or HubSpot: validated here so they can never inject anything. */
export const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case identifier (letters, digits, underscores; not starting with a digit)');

/** A destination's internal property name (HubSpot: lower case letters, digits, underscores). */
export const propertyName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'a HubSpot internal property name (lower case letters, digits, underscores)');

export const propertyType = z.enum(['string', 'number', 'bool', 'date', 'datetime', 'enumeration']);
export type PropertyType = z.infer<typeof propertyType>;

/** A model column mapped to a destination property: the contract between the runner and a destination. */
export const propertyMapping = z
  .object({
    /** Model column holding the value. */
    column: identifier,
    /** HubSpot internal property name. */
    property: propertyName,
    type: propertyType,
    label: z.string().min(1),
    description: z.string().optional(),
    /** Allowed values, for type enumeration (option values; labels are derived). */
    options: z.array(z.string().min(1)).optional(),
    /**
     * How the value meets what HubSpot holds (docs/hubspot.md, "Shared fields"). always (default):
     * the model's value, a NULL clears; if_empty: written only while HubSpot holds no value (read
     * first), never overwritten nor cleared; not_null: written, but a NULL never clears. Use
     * if_empty or not_null for properties people also edit (amount, close date, job title).
     */
    write: z.enum(['always', 'if_empty', 'not_null']).optional(),
    /**
     * Significance (docs/change-control.md): the smallest move from the value last delivered that
     * is worth sending. Numbers: absolute (5) or relative to that value ('10%'); dates and
     * datetimes: whole days (7).
     */
    min_change: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?%$/, "a percentage such as '10%'")]).optional(),
    /** Significance, numbers: ascending bucket bounds; a change is sent when the value enters another bucket. */
    buckets: z
      .array(z.number())
      .min(1)
      .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]), { message: 'bucket bounds must be strictly ascending' })
      .optional(),
    /** Significance, dates and datetimes: a change is sent when the value moves to another minute, hour, day, month or year. */
    granularity: z.enum(['minute', 'hour', 'day', 'month', 'year']).optional(),
    /**
     * Significance: false for a value derived from others (reasons in words, a counter a rep does
     * not act on): its change alone never sends the row; it goes along whenever the row is sent.
     */
    send_alone: z.boolean().optional(),
    /**
     * Priority under a tight daily budget (docs/hubspot.md, "Daily budget"): after new PQLs and
     * tier changes, rows where a `score` property moved go before rows where only `counter`s did.
     * Default: score for a number with min_change or buckets, counter for anything else.
     */
    priority: z.enum(['score', 'counter']).optional(),
  })
  .strict()
  .refine((p) => p.type !== 'enumeration' || (p.options && p.options.length > 0), {
    message: 'an enumeration needs its options',
    path: ['options'],
  })
  .refine((p) => p.type === 'number' || p.buckets === undefined, {
    message: 'buckets apply to numbers; any change of a string, enumeration or bool (a tier, stage, trigger, owner) is always sent',
    path: ['buckets'],
  })
  .refine((p) => p.min_change === undefined || p.type === 'number' || ((p.type === 'date' || p.type === 'datetime') && typeof p.min_change === 'number'), {
    message: 'min_change applies to numbers (5 or a percentage) and to dates (whole days); any change of a string, enumeration or bool (a tier, stage, trigger, owner) is always sent',
    path: ['min_change'],
  })
  .refine((p) => p.min_change === undefined || p.granularity === undefined, { message: 'write one of min_change and granularity, not both', path: ['granularity'] })
  .refine((p) => p.min_change === undefined || p.buckets === undefined, { message: 'write one of min_change and buckets, not both', path: ['buckets'] })
  .refine((p) => p.send_alone !== false || (p.type !== 'enumeration' && p.type !== 'bool'), {
    message: 'an enumeration or bool (a tier, stage, flag) is always sent when it changes: send_alone: false applies to strings, numbers and dates',
    path: ['send_alone'],
  })
  .refine((p) => p.granularity === undefined || p.type === 'date' || p.type === 'datetime', {
    message: 'granularity applies to date and datetime properties',
    path: ['granularity'],
  });
export type PropertyMapping = z.infer<typeof propertyMapping>;

/** Settings of the other warehouses come from the environment; only non-secret names live here. */
const duckdbWarehouse = z
  .object({
    type: z.literal('duckdb'),
    /** Database file, relative to pqlsync.yml, or ':memory:'. */
    path: z.string().min(1),
    /** DuckDB's memory limit in this process ('1GB', '4GB'; '-1' for DuckDB's own 80% of RAM); default 448MB. */
    memory_limit: z.string().optional(),
    threads: z.number().int().positive().optional(),
    /** Where DuckDB spills past its memory limit, relative to pqlsync.yml; default `<path>.tmp`. */
    temp_directory: z.string().min(1).optional(),
  })
  .strict();

const postgresWarehouse = z.object({ type: z.literal('postgres') }).strict();
const bigqueryWarehouse = z
  .object({
    type: z.literal('bigquery'),
    /** Project that runs (and is billed for) the jobs; else GOOGLE_CLOUD_PROJECT. */
    project: z.string().optional(),
    /** Location of the jobs and datasets (e.g. US, EU, europe-west1); else BIGQUERY_LOCATION. */
    location: z.string().optional(),
    /** Project holding the datasets, when not `project`: names are then written project.dataset.table. */
    dataset_project: z.string().optional(),
    /** Another API endpoint (an emulator or a test fake); else BIGQUERY_EMULATOR_HOST. */
    api_endpoint: z.string().url().optional(),
  })
  .strict();
const snowflakeWarehouse = z
  .object({
    type: z.literal('snowflake'),
    /** Account identifier (orgname-accountname); else SNOWFLAKE_ACCOUNT. */
    account: z.string().optional(),
    /** User name (not a secret); else SNOWFLAKE_USER. */
    user: z.string().optional(),
    warehouse: z.string().optional(),
    database: z.string().optional(),
    role: z.string().optional(),
    /** Another endpoint than https://<account>.snowflakecomputing.com (a test fake); else SNOWFLAKE_ACCESS_URL. */
    access_url: z.string().url().optional(),
  })
  .strict();

export const warehouseConfig = z.discriminatedUnion('type', [
  duckdbWarehouse,
  postgresWarehouse,
  bigqueryWarehouse,
  snowflakeWarehouse,
]);
export type WarehouseConfig = z.infer<typeof warehouseConfig>;
