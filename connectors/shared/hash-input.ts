/**
 * The text a row hash is computed over, the same on every dialect: each column cast
 * to string, '|' and '\' escaped, NULL replaced by the marker '\N', joined with '|'.
 * Escaping keeps ('a|', 'b') and ('a', '|b') apart; the marker keeps NULLs in place.
 * `literal` writes the dialect's string literals: BigQuery and Snowflake read '\' as an
 * escape, so the same text needs other spellings there.
 */
export function hashInput(
  exprs: string[],
  toString: (expr: string) => string,
  concat: (parts: string[]) => string,
  literal: (text: string) => string = standardLiteral,
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
