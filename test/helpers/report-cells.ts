import { expect } from 'vitest';

/**
 * Checks every `<td data-path="…">` figure of an evaluate HTML page against the value at that
 * path of the report's JSON, to the precision shown ('2.9%' against 0.0291, '1,204', '3.96×',
 * 'n/a' for null). Answers how many figures were checked.
 */
export function expectCellsMatchJson(html: string, report: unknown): number {
  const cells = [...html.matchAll(/<td data-path="([^"]+)">([^<]*)<\/td>/g)];
  for (const [, p, raw] of cells) {
    const text = raw.replace(/&amp;/g, '&');
    const value = p.split('.').reduce<any>((o, k) => o?.[k], report);
    if (value === null) {
      expect(text, p).toBe('n/a');
      continue;
    }
    const shown = Number(text.replace(/[,%×]/g, ''));
    const expected = text.endsWith('%') ? value * 100 : value;
    const digits = (text.replace(/[%×]/g, '').split('.')[1] ?? '').length;
    expect(Math.abs(shown - expected), `${p}: ${text} vs ${value}`).toBeLessThanOrEqual(0.5 * 10 ** -digits + 1e-9);
  }
  return cells.length;
}
