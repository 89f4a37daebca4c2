/**
 * The row-hash input of src/compile/hash-input.ts, for dialects whose string literals are
 * not standard SQL. hashInput writes its literals the standard way ('\' is one backslash),
 * which BigQuery and Snowflake read as an escape (and '\N' as an error or another character).
 * This builds the same text through a dialect's literal writer; with standard literals it
 * produces exactly hashInput's output (test/unit/dialect-macros.test.ts holds them together).
 */
export function hashInputWith(
  exprs: string[],
  toString: (expr: string) => string,
  concat: (parts: string[]) => string,
  literal: (text: string) => string,
): string {
  if (exprs.length === 0) throw new Error('row_hash needs at least one column');
  const parts = exprs.map(
    (e) =>
      `coalesce(replace(replace(${toString(e)}, ${literal('\\')}, ${literal('\\\\')}), ${literal('|')}, ${literal('\\|')}), ${literal('\\N')})`,
  );
  const joined: string[] = [];
  parts.forEach((p, i) => {
    if (i > 0) joined.push(literal('|'));
    joined.push(p);
  });
  return concat(joined);
}

/** A standard SQL string literal: quotes doubled, backslashes as is (PostgreSQL, DuckDB). */
export const standardLiteral = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** A string literal where backslash escapes (BigQuery, Snowflake): backslashes and quotes escaped. */
export const backslashLiteral = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
