/**
 * NULL-safe equality of two expressions (NULL equals NULL) written as two plain equalities, which
 * every engine can hash-join on: the values as text (NULL as ''), and whether each is NULL (so
 * NULL and '' differ). PostgreSQL plans `IS NOT DISTINCT FROM` as a nested loop, and BigQuery
 * wants equalities in join conditions; DuckDB hash-joins `IS NOT DISTINCT FROM` itself, faster.
 */
export function nullSafeEqualsAsText(toString: (expr: string) => string) {
  return (left: string, right: string): string =>
    `coalesce(${toString(left)}, '') = coalesce(${toString(right)}, '') and (${left} is null) = (${right} is null)`;
}
