/**
 * Finds the line a warehouse engine reports for an error in a statement, so a build
 * error can point at the model file's line. Engines say it in their own words:
 * DuckDB and psql "LINE 3:", node-postgres a character `position`, BigQuery "at [3:15]",
 * Snowflake "line 3 at position 15". The error's cause chain is searched.
 * @returns the 1-based line within the statement, or undefined when the engine gave none.
 */
export function engineErrorLine(error: unknown, statement: string): number | undefined {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const message = String((e as { message?: unknown }).message ?? '');
    const match =
      /\bLINE (\d+):/.exec(message) ?? /\bat \[(\d+):\d+\]/.exec(message) ?? /\bline (\d+) at position \d+/i.exec(message);
    if (match) return Number(match[1]);
    const position = Number((e as { position?: unknown }).position);
    if (Number.isInteger(position) && position > 0) {
      return statement.slice(0, position - 1).split('\n').length;
    }
  }
  return undefined;
}
