/** Values as plan reports show them (the text plan and the markdown for a pull request). */

/** A value as text; a time as the warehouse writes one in the delivered snapshot (UTC, to the second). */
export function valueText(v: unknown): string {
  return v instanceof Date ? v.toISOString().replace('T', ' ').replace(/(\.000)?Z$/, '') : String(v);
}

/**
 * Where to start showing a changed text so the change is in view: a little before the first
 * character where before and after differ, once they share a long start (reasons in words).
 */
export function changeStart(before: string, after: string): number {
  let same = 0;
  while (same < before.length && same < after.length && before[same] === after[same]) same++;
  return same > 40 ? same - 10 : 0;
}

/** Up to `width` characters of `text` from `from`, with … where it was cut. */
export function excerpt(text: string, from: number, width: number): { text: string; cutBefore: boolean; cutAfter: boolean } {
  return { text: text.slice(from, from + width), cutBefore: from > 0, cutAfter: from + width < text.length };
}
