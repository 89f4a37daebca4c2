/**
 * The templating of model files, parsed without a SQL parser: `{{ name(args) }}`
 * where `name` is `ref`, `source` or a cross-dialect macro. Arguments are raw SQL
 * expressions, split on top-level commas (parentheses and quotes respected); inside
 * them, calls of known names (`as_of()`, `add_days(x, -7)`, `ref('m')`) are expanded
 * too, with or without their own `{{ }}`. Everything else is SQL and left untouched.
 */
import type { MacroName } from '../../connectors/warehouse.ts';
import { ModelError } from '../../contracts/errors.ts';

/** Arguments each macro takes in model SQL (`as_of` takes none: the run's pinned instant is passed by the compiler). */
export const MACRO_ARITY: Record<MacroName, { min: number; max: number }> = {
  as_of: { min: 0, max: 0 },
  days_between: { min: 2, max: 2 },
  add_days: { min: 2, max: 2 },
  count_if: { min: 1, max: 1 },
  any_true: { min: 1, max: 1 },
  safe_to_double: { min: 1, max: 1 },
  to_string: { min: 1, max: 1 },
  string_agg_sorted: { min: 2, max: 2 },
  epoch_seconds: { min: 1, max: 1 },
  row_hash: { min: 1, max: Number.POSITIVE_INFINITY },
};

export const MACRO_NAMES = Object.keys(MACRO_ARITY).sort() as MacroName[];

/** A piece of a body (or of a macro argument): SQL text, or a call to expand. */
export type Segment = TextSegment | CallSegment;
export interface TextSegment {
  kind: 'text';
  text: string;
  /** Offset of the text in the body. */
  start: number;
}
export interface CallSegment {
  kind: 'call';
  /** 'ref', 'source' or a macro name. */
  name: string;
  /** Raw arguments, each a sequence of segments. */
  args: Segment[][];
  /** For ref/source: the name inside the quotes. */
  target?: string;
  /** Offsets in the body of the whole construct (including `{{ }}` at top level). */
  start: number;
  end: number;
  /** Line in the file. */
  line: number;
}

/**
 * `time_range(ts)`: in an incremental model, true for the events in the time range this run
 * reads (rendered by the compiler from the run, not by a dialect).
 */
const KNOWN = new Set<string>(['ref', 'source', 'time_range', ...MACRO_NAMES]);
const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_$]/;

/**
 * Parses a model body into text and calls, checking names, argument counts and
 * ref/source arguments. Throws ModelError naming `file:line`.
 * @param bodyStartLine the file line on which the body's first character sits.
 */
export function parseTemplate(body: string, file: string, bodyStartLine: number): Segment[] {
  return new TemplateParser(body, file, bodyStartLine).parseBody();
}

class TemplateParser {
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly bodyStartLine: number,
  ) {
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') this.lineStarts.push(i + 1);
  }

  parseBody(): Segment[] {
    const segments: Segment[] = [];
    let pos = 0;
    for (;;) {
      const open = this.src.indexOf('{{', pos);
      if (open < 0) break;
      if (open > pos) segments.push({ kind: 'text', text: this.src.slice(pos, open), start: pos });
      const call = this.parseBraced(open);
      segments.push(call);
      pos = call.end;
    }
    if (pos < this.src.length) segments.push({ kind: 'text', text: this.src.slice(pos), start: pos });
    return segments;
  }

  /** Line in the file of a body offset. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.bodyStartLine + lo;
  }

  private fail(offset: number, message: string): never {
    const line = this.lineAt(offset);
    throw new ModelError(`${this.file}:${line}: ${message}`, this.file);
  }

  /** `{{ call }}` starting at `open` (the first '{'). */
  private parseBraced(open: number): CallSegment {
    let pos = this.skipSpace(open + 2);
    if (!IDENT_START.test(this.src[pos] ?? '')) {
      this.fail(open, `expected a call inside '{{ }}', like {{ ref('model_name') }} or {{ as_of() }}`);
    }
    const call = this.parseCall(pos, true);
    pos = this.skipSpace(call.end);
    if (!this.src.startsWith('}}', pos)) {
      this.fail(pos, `expected '}}' to close the '{{' opened on line ${this.lineAt(open)} after ${call.name}(...)`);
    }
    return { ...call, start: open, end: pos + 2 };
  }

  /** `name(args)` at `pos`; at top level an unknown name is an error. */
  private parseCall(pos: number, topLevel: boolean): CallSegment {
    const nameStart = pos;
    while (pos < this.src.length && IDENT_CHAR.test(this.src[pos])) pos++;
    const name = this.src.slice(nameStart, pos);
    if (!KNOWN.has(name)) {
      this.fail(
        nameStart,
        topLevel
          ? `unknown macro '${name}'. Known: ref, source, time_range, ${MACRO_NAMES.join(', ')}`
          : `unknown macro '${name}'`,
      );
    }
    pos = this.skipSpace(pos);
    if (this.src[pos] !== '(') this.fail(pos, `expected '(' after ${name}: write ${name}(...)`);
    const { args, end } = this.parseArgs(pos + 1, nameStart);
    const call: CallSegment = { kind: 'call', name, args, start: nameStart, end, line: this.lineAt(nameStart) };
    this.check(call);
    return call;
  }

  /** Arguments after '(' up to the matching ')'; returns the offset after ')'. */
  private parseArgs(pos: number, callStart: number): { args: Segment[][]; end: number } {
    const args: Segment[][] = [];
    let current: Segment[] = [];
    let textStart = pos;
    let depth = 0;
    const flushText = (until: number) => {
      if (until > textStart) current.push({ kind: 'text', text: this.src.slice(textStart, until), start: textStart });
    };
    while (pos < this.src.length) {
      const ch = this.src[pos];
      if (ch === "'" || ch === '"' || ch === '`') {
        pos = this.skipQuoted(pos);
        continue;
      }
      if (ch === '(') {
        depth++;
        pos++;
        continue;
      }
      if (ch === ')' || (ch === ',' && depth === 0)) {
        if (ch === ')' && depth > 0) {
          depth--;
          pos++;
          continue;
        }
        flushText(pos);
        args.push(current);
        current = [];
        pos++;
        textStart = pos;
        if (ch === ')') {
          // `f()` and `f( )` have no arguments, not one empty argument.
          if (args.length === 1 && isBlank(args[0])) args.length = 0;
          else if (args.some(isBlank)) this.fail(callStart, `an argument of ${this.src.slice(callStart, this.src.indexOf('(', callStart))}(...) is empty`);
          return { args, end: pos };
        }
        continue;
      }
      if (ch === '{' && this.src.startsWith('{{', pos)) {
        flushText(pos);
        const nested = this.parseBraced(pos);
        current.push(nested);
        pos = nested.end;
        textStart = pos;
        continue;
      }
      if (IDENT_START.test(ch) && !IDENT_CHAR.test(this.src[pos - 1] ?? '') && this.src[pos - 1] !== '.') {
        let end = pos;
        while (end < this.src.length && IDENT_CHAR.test(this.src[end])) end++;
        const word = this.src.slice(pos, end);
        if (KNOWN.has(word) && this.src[this.skipSpace(end)] === '(') {
          flushText(pos);
          const nested = this.parseCall(pos, false);
          current.push(nested);
          pos = nested.end;
          textStart = pos;
        } else {
          pos = end;
        }
        continue;
      }
      pos++;
    }
    this.fail(callStart, `unclosed '(' in the call starting here`);
  }

  /** Offset after the closing quote; SQL doubles a quote to escape it, which this handles as two strings. */
  private skipQuoted(pos: number): number {
    const quote = this.src[pos];
    const close = this.src.indexOf(quote, pos + 1);
    if (close < 0) this.fail(pos, `unclosed ${quote} in a macro argument`);
    return close + 1;
  }

  private skipSpace(pos: number): number {
    while (pos < this.src.length && /\s/.test(this.src[pos])) pos++;
    return pos;
  }

  private check(call: CallSegment): void {
    const count = call.args.length;
    if (call.name === 'ref' || call.name === 'source') {
      const raw = count === 1 ? flatText(call.args[0]).trim() : '';
      const match = /^(['"])([a-z_][a-z0-9_]*)\1$/.exec(raw);
      if (!match) {
        this.fail(
          call.start,
          `${call.name}() takes one quoted lower-case name, like ${call.name}('${call.name === 'ref' ? 'model_name' : 'source_name'}')`,
        );
      }
      call.target = match[2];
      return;
    }
    const arity = call.name === 'time_range' ? { min: 1, max: 1 } : MACRO_ARITY[call.name as MacroName];
    if (count < arity.min || count > arity.max) {
      const expected =
        arity.max === Number.POSITIVE_INFINITY
          ? `at least ${arity.min}`
          : arity.min === arity.max
            ? String(arity.min)
            : `${arity.min} to ${arity.max}`;
      const hint = call.name === 'as_of' ? ' (the run passes its pinned as-of time itself)' : '';
      this.fail(call.start, `${call.name}() takes ${expected} argument(s), got ${count}${hint}`);
    }
  }
}

function isBlank(arg: Segment[]): boolean {
  return arg.every((s) => s.kind === 'text' && s.text.trim() === '');
}

function flatText(arg: Segment[]): string {
  return arg.map((s) => (s.kind === 'text' ? s.text : '\u0000')).join('');
}

/** Every call in `segments`, nested ones included, in the order they appear. */
export function* walkCalls(segments: Segment[]): Iterable<CallSegment> {
  for (const s of segments) {
    if (s.kind !== 'call') continue;
    yield s;
    for (const arg of s.args) yield* walkCalls(arg);
  }
}
