/**
 * Small helpers the PostgreSQL, BigQuery and Snowflake connectors share: statements,
 * placeholders, error text, chunking. Pure functions, no client.
 */
import type { Query, Value } from '../warehouse.ts';

export function toStatement(query: Query): { sql: string; values: Value[] } {
  return typeof query === 'string' ? { sql: query, values: [] } : { sql: query.sql, values: query.values ?? [] };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A statement shortened to one line for error messages (values are never printed). */
export function abbreviate(sql: string, max = 300): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * Replaces each `?` placeholder outside string literals, quoted identifiers, comments and
 * dollar-quoted bodies with `render(n)` (n counts from 1). Returns the new SQL and the count.
 */
export function replacePlaceholders(sql: string, render: (n: number) => string): { sql: string; count: number } {
  let out = '';
  let count = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"' || c === '`') {
      const end = closingQuote(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '$' && /[A-Za-z_$]/.test(next ?? '') && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        const stop = end < 0 ? sql.length : end + tag[0].length;
        out += sql.slice(i, stop);
        i = stop;
      } else {
        out += c;
        i++;
      }
    } else if (c === '?') {
      count++;
      out += render(count);
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return { sql: out, count };
}

/** Index just past the literal or identifier opened at `start` (standard SQL: doubled quotes, no backslash escapes). */
function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** Splits rows into chunks whose bound values stay within `maxParameters` (and `maxRows`). */
export function chunkRows<T>(rows: T[][], columnCount: number, maxParameters: number, maxRows = Infinity): T[][][] {
  const perChunk = Math.max(1, Math.min(maxRows, Math.floor(maxParameters / Math.max(1, columnCount))));
  const chunks: T[][][] = [];
  for (let start = 0; start < rows.length; start += perChunk) chunks.push(rows.slice(start, start + perChunk));
  return chunks;
}

/** An integer as a number when it is exact in a double, else its decimal text (the Row contract). */
export function integerValue(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** A decimal as a number; integral values beyond 2^53 keep their text. */
export function decimalValue(text: string): number | string {
  if (/^-?\d+$/.test(text)) return integerValue(text);
  return Number(text);
}

/**
 * A table's columns from information_schema (DuckDB, PostgreSQL, Snowflake share it), or
 * undefined when the table does not exist. `stored` maps our names to the warehouse's
 * stored case; `fold` maps its column names back.
 */
export async function describeFromInformationSchema(
  query: (q: Query) => Promise<Record<string, Value>[]>,
  table: { schema: string; name: string },
  names: { stored?: (name: string) => string; fold?: (name: string) => string } = {},
): Promise<{ name: string; type: string }[] | undefined> {
  const stored = names.stored ?? ((n: string) => n);
  const fold = names.fold ?? ((n: string) => n);
  const rows = await query({
    sql: `select column_name, data_type from information_schema.columns
          where table_schema = ? and table_name = ? order by ordinal_position`,
    values: [stored(table.schema), stored(table.name)],
  });
  if (rows.length === 0) return undefined;
  return rows.map((r) => ({ name: fold(String(r.column_name)), type: String(r.data_type).toUpperCase() }));
}
