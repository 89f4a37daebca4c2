/**
 * One model file: a YAML header in a leading block comment, then the SELECT with
 * `{{ ref() }}`, `{{ source() }}` and macro calls. Parsing is pure: text in, Model out.
 */
import { basename } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { identifier } from '../config/schema.ts';
import { validate } from '../config/validate.ts';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import { parseTemplate, walkCalls } from '../compile/template.ts';

/** A `ref('name')` or `source('name')` and the file line it is written on. */
export interface ModelReference {
  name: string;
  line: number;
}

export interface Model {
  name: string;
  /** Path relative to the project root (forward slashes), for messages. */
  file: string;
  header: ModelHeader;
  /** The SQL after the header, still templated. */
  body: string;
  /** File line of the body's first line. */
  bodyStartLine: number;
  /** Every ref, in order of appearance (a name may repeat). */
  refs: ModelReference[];
  /** Every source, in order of appearance (a name may repeat). */
  sources: ModelReference[];
}

/** '>0', '>100', '>=1%', '> 0.5%': a comparison with a count of failures or a share of the model's rows. */
export const TEST_THRESHOLD = /^\s*(>=|>)\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/;
const threshold = z.string().regex(TEST_THRESHOLD, "a threshold like '>0', '>100' or '>=1%'");
/**
 * How a failing test counts, as dbt's `severity`, `warn_if` and `error_if`. A threshold is
 * a comparison with a row count or a share of the model's rows: '>0' (the default), '>100',
 * '>=1%'. With severity error (the default) a test errors when its failures meet `error_if`,
 * else warns when they meet `warn_if`; with severity warn it never errors. A warning is
 * reported and the run goes on; an error stops the run before anything is sent.
 */
const testSeverity = z.object({
  severity: z.enum(['error', 'warn']).optional(),
  warn_if: threshold.optional(),
  error_if: threshold.optional(),
});
const severity = testSeverity.shape;
const columns = z.array(z.union([identifier, z.object({ column: identifier, ...severity }).strict()])).min(1);
const acceptedValues = z.array(z.union([z.string(), z.number(), z.boolean()])).min(1);

/**
 * An incremental model is an aggregate over a time range of events: its SELECT filters its
 * events with `{{ time_range(ts) }}` and groups by `key`. Each run folds only the events that
 * became final since the last run (older than `lookback_days` before as_of, exactly once) into
 * a kept table, and recomputes the last `lookback_days` (where late events may still land);
 * every other column says how two partial results combine (`sum` of counts, `min`/`max` of
 * times, `any` of flags), so the table equals a full rebuild.
 */
const incrementalSchema = z
  .object({
    key: z.array(identifier).min(1),
    lookback_days: z.number().int().min(0).max(365),
    merge: z.record(identifier, z.enum(['sum', 'min', 'max', 'any'])).refine((m) => Object.keys(m).length > 0, 'name at least one column'),
  })
  .strict();

/**
 * The header schema. `unique` and `not_null` list columns tested one by one;
 * `accepted_values` maps a column to its allowed values (NULL always passes, as in dbt);
 * `relationships` maps a column to a model and column every non-null value must exist in.
 * Any test may carry `severity`, `warn_if` and `error_if` (see `severity`): a column as
 * `{ column: c, severity: warn }`, allowed values as `{ values: [...], error_if: '>1%' }`.
 */
const modelHeaderSchema = z
  .object({
    materialized: z.enum(['table', 'view', 'incremental']).default('table'),
    unique_key: identifier.optional(),
    incremental: incrementalSchema.optional(),
    description: z.string().optional(),
    tests: z
      .object({
        unique: columns.optional(),
        not_null: columns.optional(),
        accepted_values: z
          .record(identifier, z.union([acceptedValues, z.object({ values: acceptedValues, ...severity }).strict()]))
          .optional(),
        relationships: z.record(identifier, z.object({ to: identifier, field: identifier, ...severity }).strict()).optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (h.materialized === 'incremental' && !h.incremental) {
      ctx.addIssue({ code: 'custom', path: ['incremental'], message: 'materialized: incremental needs an incremental: block (key, lookback_days, merge)' });
    }
    if (h.materialized !== 'incremental' && h.incremental) {
      ctx.addIssue({ code: 'custom', path: ['incremental'], message: `an incremental: block needs materialized: incremental (not ${h.materialized})` });
    }
    for (const column of h.incremental?.key ?? []) {
      if (h.incremental?.merge[column]) ctx.addIssue({ code: 'custom', path: ['incremental', 'merge', column], message: `'${column}' is a key column: it is grouped by, not merged` });
    }
  });

/** A model's header, as validated: the schema above is its only definition. */
export type ModelHeader = z.infer<typeof modelHeaderSchema>;
/** An incremental model's key, look-back and merge rules (see `incrementalSchema`). */
export type IncrementalConfig = z.infer<typeof incrementalSchema>;
export type TestSeverity = z.infer<typeof testSeverity>;

/** A model name: the file's base name, a lower-case identifier. */
export const MODEL_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Parses one model file.
 * @param text the file's content
 * @param file path relative to the project root, used in messages
 * @param name the model name (defaults to the file's base name without `.sql` and a dialect suffix)
 */
export function parseModelFile(text: string, file: string, name = basename(file).split('.')[0]): Model {
  if (!MODEL_NAME.test(name)) {
    throw new ModelError(
      `${file}: '${name}' is not a valid model name: rename the file to a lower-case identifier (letters, digits, underscores), like user_features.sql`,
      file,
    );
  }
  const source = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const { header, body, bodyStartLine } = splitHeader(source, file);
  const segments = parseTemplate(body, file, bodyStartLine);
  const refs: ModelReference[] = [];
  const sources: ModelReference[] = [];
  let timeRanges = 0;
  for (const call of walkCalls(segments)) {
    if (call.name === 'ref') refs.push({ name: call.target!, line: call.line });
    else if (call.name === 'source') sources.push({ name: call.target!, line: call.line });
    else if (call.name === 'time_range') {
      timeRanges++;
      if (header.materialized !== 'incremental') {
        throw new ModelError(`${file}:${call.line}: time_range() is only for incremental models: declare materialized: incremental with an incremental: block, or filter on as_of() instead`, file);
      }
    }
  }
  if (body.trim() === '') throw new ModelError(`${file}: the model has no SQL after its header`, file);
  if (header.materialized === 'incremental' && timeRanges === 0) {
    throw new ModelError(
      `${file}: an incremental model must filter its events with {{ time_range(<timestamp column>) }}, so that each run reads only the new ones (without it every run would fold all history again)`,
      file,
    );
  }
  return { name, file, header, body, bodyStartLine, refs, sources };
}

function splitHeader(source: string, file: string): { header: ModelHeader; body: string; bodyStartLine: number } {
  const leading = /^\s*/.exec(source)![0];
  if (!source.startsWith('/*', leading.length)) {
    // No header: every setting takes its default.
    return { header: validate(modelHeaderSchema, {}, { filePath: file }), body: source, bodyStartLine: 1 };
  }
  const yamlStart = leading.length + 2;
  const close = source.indexOf('*/', yamlStart);
  if (close < 0) throw new ModelError(`${file}:${countLines(source, leading.length)}: the header comment '/*' is never closed with '*/'`, file);
  const yamlText = source.slice(yamlStart, close);
  const yamlFirstLine = countLines(source, yamlStart);

  let data: unknown;
  try {
    data = parseYaml(yamlText, { prettyErrors: false }) ?? {};
  } catch (error) {
    const at = error instanceof YAMLParseError ? countLines(source, yamlStart + error.pos[0]) : yamlFirstLine;
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ModelError(`${file}:${at}: the header is not valid YAML: ${reason}`, file, { cause: error });
  }
  let header: ModelHeader;
  try {
    header = validate(modelHeaderSchema, data, { filePath: `${file} (header, lines ${yamlFirstLine}-${countLines(source, close)})` });
  } catch (error) {
    if (error instanceof ConfigError) throw new ModelError(error.message, file, { cause: error });
    throw error;
  }

  // The body starts after '*/'; when the rest of that line is blank it starts on the next line.
  let bodyStart = close + 2;
  const restOfLine = /^[ \t]*\n/.exec(source.slice(bodyStart));
  if (restOfLine) bodyStart += restOfLine[0].length;
  return { header, body: source.slice(bodyStart), bodyStartLine: countLines(source, bodyStart) };
}

/** 1-based line of an offset. */
function countLines(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
