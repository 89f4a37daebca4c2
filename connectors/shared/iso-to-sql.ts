/** Timestamps as the dialects write them in SQL literals. Pure. */

/** '2026-01-02T03:04:05.000Z' → '2026-01-02 03:04:05.000' (a UTC wall-clock literal). */
export function isoToSql(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`Not an ISO timestamp: ${iso}`);
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
