/**
 * The text a row hash is computed over, the same on every dialect: each column cast
 * to string, '|' and '\' escaped, NULL replaced by the marker '\N', joined with '|'.
 * Escaping keeps ('a|', 'b') and ('a', '|b') apart; the marker keeps NULLs in place.
 */
export function hashInput(
  exprs: string[],
  toString: (expr: string) => string,
  concat: (parts: string[]) => string,
): string {
  if (exprs.length === 0) throw new Error('row_hash needs at least one column');
  const parts = exprs.map(
    (e) => `coalesce(replace(replace(${toString(e)}, '\\', '\\\\'), '|', '\\|'), '\\N')`,
  );
  const joined: string[] = [];
  parts.forEach((p, i) => {
    if (i > 0) joined.push(`'|'`);
    joined.push(p);
  });
  return concat(joined);
}
