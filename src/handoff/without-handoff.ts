/**
 * The shipped pqlsync.yml without its handoff: the `handoff:` block and the syncs that read the
 * handoff's views, with the comments written above them. `pqlsync init` starts a project from the
 * shipped file, and the handoff routes to the demo's owners, which no real portal has: a new
 * project adds its handoff once it names its owners (docs/handoff.md).
 */
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { HANDOFF_VIEWS } from '../state/handoff-state.ts';

export function withoutHandoff(text: string): string {
  const doc = parseDocument(text);
  const cuts: Array<[number, number]> = [];
  const lineStart = (at: number) => text.lastIndexOf('\n', at - 1) + 1;
  /** From the start of `at`'s line back over the comment lines just above it. */
  const withComments = (at: number) => {
    let start = lineStart(at);
    for (;;) {
      const previous = lineStart(start - 1);
      if (start === 0 || !text.slice(previous, start).trimStart().startsWith('#')) return start;
      start = previous;
    }
  };
  const root = doc.contents;
  if (!isMap(root)) return text;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (key === 'handoff' && isScalar(pair.key) && pair.key.range && pair.value && 'range' in (pair.value as object)) {
      cuts.push([withComments(pair.key.range[0]), (pair.value as { range: [number, number, number] }).range[2]]);
    }
    if (key === 'syncs' && isSeq(pair.value)) {
      for (const item of pair.value.items) {
        if (!isMap(item) || !item.range) continue;
        const model = item.get('model');
        if (typeof model === 'string' && (Object.values(HANDOFF_VIEWS) as string[]).includes(model)) cuts.push([withComments(item.range[0]), item.range[2]]);
      }
    }
  }
  let out = text;
  for (const [start, end] of cuts.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + out.slice(end);
  return out.replace(/\n{3,}/g, '\n\n');
}
