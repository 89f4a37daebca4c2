/**
 * Renders a model for a dialect: `ref` → the model's table in the models schema,
 * `source` → the configured source table, macros → the dialect's rendering.
 * Pure: no warehouse is touched.
 */
import type { Dialect, MacroName, TableName } from '../../connectors/warehouse.ts';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import type { Model } from '../project/model-file.ts';
import { parseTemplate, type CallSegment, type Segment } from './template.ts';

export interface CompileContext {
  dialect: Dialect;
  /** Schema (BigQuery: dataset) the models are built in. */
  modelsSchema: string;
  /** Source name → table. */
  sources: Record<string, TableName>;
  /** The run's pinned "now", an ISO instant; `as_of()` renders it. */
  asOf: string;
  /**
   * For an incremental model: the events `time_range(ts)` keeps, `after < ts <= until` (ISO
   * instants; no `after`: from the beginning). Absent: everything up to `asOf`, which is the
   * model's full rebuild.
   */
  timeRange?: { after?: string; until: string };
}

/** A compiled model and the way back from its lines to the model file's lines. */
export interface CompiledModel {
  sql: string;
  /** File line of a 1-based line of `sql` (for errors the engine reports by line). */
  fileLine(sqlLine: number): number;
}

/** The model's SELECT, fully rendered for `ctx.dialect`. Throws ModelError (file:line) for an unknown source. */
export function compileModel(model: Model, ctx: CompileContext): string {
  return compileModelMapped(model, ctx).sql;
}

/** Like compileModel, with a map from the compiled SQL's lines back to the file's lines. */
export function compileModelMapped(model: Model, ctx: CompileContext): CompiledModel {
  if (Number.isNaN(Date.parse(ctx.asOf))) {
    throw new ConfigError(`The as-of time '${ctx.asOf}' is not an ISO instant, like 2026-01-31T00:00:00Z`);
  }
  const segments = parseTemplate(model.body, model.file, model.bodyStartLine);
  // One entry per top-level segment: where it starts in the output and in the body.
  const map: { out: number; body: number; call: boolean }[] = [];
  let sql = '';
  for (const segment of segments) {
    map.push({ out: sql.length, body: segment.start, call: segment.kind === 'call' });
    sql += render(segment, model, ctx);
  }
  sql = trimStatementEnd(sql);

  const bodyLineStarts = lineStarts(model.body);
  const outLineStarts = lineStarts(sql);
  const fileLine = (sqlLine: number): number => {
    const offset = outLineStarts[Math.min(Math.max(sqlLine, 1), outLineStarts.length) - 1];
    let entry = map[0];
    for (const m of map) if (m.out <= offset) entry = m;
    const bodyOffset = !entry ? 0 : entry.call ? entry.body : entry.body + (offset - entry.out);
    let line = 0;
    while (line + 1 < bodyLineStarts.length && bodyLineStarts[line + 1] <= bodyOffset) line++;
    return model.bodyStartLine + line;
  };
  return { sql, fileLine };
}

function render(segment: Segment, model: Model, ctx: CompileContext): string {
  return segment.kind === 'text' ? segment.text : renderCall(segment, model, ctx);
}

function renderCall(call: CallSegment, model: Model, ctx: CompileContext): string {
  if (call.name === 'ref') return ctx.dialect.table({ schema: ctx.modelsSchema, name: call.target! });
  if (call.name === 'source') {
    const table = ctx.sources[call.target!];
    if (!table) {
      const known = Object.keys(ctx.sources).sort();
      throw new ModelError(
        `${model.file}:${call.line}: source('${call.target}') is not configured. Known sources: ${known.join(', ') || '(none)'}; add it under sources: in pqlsync.yml`,
        model.file,
      );
    }
    return ctx.dialect.table(table);
  }
  const args = call.args.map((arg) => arg.map((s) => render(s, model, ctx)).join('').trim());
  const macros = ctx.dialect.macros;
  const name = call.name as MacroName;
  if (call.name === 'time_range') {
    const range = ctx.timeRange ?? { until: ctx.asOf };
    const until = `${args[0]} <= ${ctx.dialect.timestampLiteral(range.until)}`;
    return range.after === undefined ? `(${until})` : `(${args[0]} > ${ctx.dialect.timestampLiteral(range.after)} and ${until})`;
  }
  if (name === 'as_of') return macros.as_of(ctx.asOf);
  if (name === 'row_hash') return macros.row_hash(...args);
  return (macros[name] as (...a: string[]) => string)(...args);
}

/** Drops trailing blanks and one final ';' so the SELECT can be embedded in other statements. */
function trimStatementEnd(sql: string): string {
  let out = sql.replace(/\s+$/, '');
  if (out.endsWith(';')) out = out.slice(0, -1).replace(/\s+$/, '');
  // A trailing line comment would swallow whatever a caller appends after the SELECT.
  const lastLine = out.slice(out.lastIndexOf('\n') + 1);
  return lastLine.includes('--') ? `${out}\n` : out;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}
