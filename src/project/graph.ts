/**
 * The model graph: build order, cycles, unknown refs and sources, and selection.
 * Edges come from `ref()`s; sources are leaves outside the graph.
 */
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import type { Model } from './model-file.ts';

/**
 * Orders models so each comes after the models it refs. Stable: among models ready
 * at the same time, alphabetical. Throws ModelError for unknown refs or sources
 * (every one, with file:line) and for a cycle (named a → b → a, with files).
 */
export function orderModels(models: Model[], knownSources: string[]): Model[] {
  const byName = new Map<string, Model>();
  for (const model of models) {
    const other = byName.get(model.name);
    if (other) throw new ModelError(`Two files define the model ${model.name}: ${other.file} and ${model.file}`, model.file);
    byName.set(model.name, model);
  }

  const problems: { file: string; text: string }[] = [];
  const sources = new Set(knownSources);
  for (const model of models) {
    for (const ref of model.refs) {
      if (!byName.has(ref.name)) {
        problems.push({ file: model.file, text: `${model.file}:${ref.line}: ref('${ref.name}') names no model${suggest(ref.name, [...byName.keys()])}` });
      }
    }
    for (const source of model.sources) {
      if (!sources.has(source.name)) {
        problems.push({
          file: model.file,
          text: `${model.file}:${source.line}: source('${source.name}') is not configured${suggest(source.name, knownSources)} (known sources: ${[...knownSources].sort().join(', ') || 'none'}; add it under sources: in pqlsync.yml)`,
        });
      }
    }
  }
  if (problems.length > 0) {
    throw new ModelError(problems.length === 1 ? problems[0].text : `Unknown refs or sources:\n${problems.map((p) => `  - ${p.text}`).join('\n')}`, problems[0].file);
  }

  const upstream = new Map(models.map((m) => [m.name, new Set(m.refs.map((r) => r.name))]));
  const remaining = new Map([...upstream].map(([name, deps]) => [name, new Set(deps)]));
  const ordered: Model[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([name]) => name).sort();
    if (ready.length === 0) throw cycleError(remaining, byName);
    // Take one at a time so the order is alphabetical among all models ready at each step.
    const next = ready[0];
    remaining.delete(next);
    for (const deps of remaining.values()) deps.delete(next);
    ordered.push(byName.get(next)!);
  }
  return ordered;
}

function cycleError(remaining: Map<string, Set<string>>, byName: Map<string, Model>): ModelError {
  // Walk from the alphabetically first blocked model along its (first) blocked dependency until a model repeats.
  const path: string[] = [];
  let current = [...remaining.keys()].sort()[0];
  while (!path.includes(current)) {
    path.push(current);
    current = [...remaining.get(current)!].filter((d) => remaining.has(d)).sort()[0];
  }
  const cycle = [...path.slice(path.indexOf(current)), current];
  const names = cycle.map((name) => `${name} (${byName.get(name)!.file})`).join(' → ');
  const first = byName.get(cycle[0])!;
  return new ModelError(`Models form a cycle: ${names}. Break it by removing one of these ref()s.`, first.file);
}

/**
 * Picks models by selector, keeping build order: 'name', '+name' (with everything
 * upstream), 'name+' (with everything downstream), '+name+'. No selectors → all.
 * Throws ConfigError for a malformed or unknown selector.
 */
export function selectModels(ordered: Model[], selectors: string[]): Model[] {
  const terms = selectors.flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== '');
  if (terms.length === 0) return ordered;
  const byName = new Map(ordered.map((m) => [m.name, m]));
  const downstream = new Map<string, string[]>(ordered.map((m) => [m.name, []]));
  for (const model of ordered) for (const ref of new Set(model.refs.map((r) => r.name))) downstream.get(ref)?.push(model.name);

  const chosen = new Set<string>();
  for (const term of terms) {
    const match = /^(\+?)([a-z_][a-z0-9_]*)(\+?)$/.exec(term);
    if (!match) throw new ConfigError(`'${term}' is not a model selector: write name, +name (with upstream), name+ (with downstream) or +name+`);
    const [, up, name, down] = match;
    if (!byName.has(name)) throw new ConfigError(`No model named '${name}' (selector '${term}')${suggest(name, [...byName.keys()])}`);
    chosen.add(name);
    if (up) walk(name, (n) => byName.get(n)?.refs.map((r) => r.name) ?? [], chosen);
    if (down) walk(name, (n) => downstream.get(n) ?? [], chosen);
  }
  return ordered.filter((m) => chosen.has(m.name));
}

function walk(start: string, next: (name: string) => string[], into: Set<string>): void {
  const stack = [start];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    into.add(name);
    stack.push(...next(name));
  }
}

/** ", did you mean 'x'?" for a close name (edit distance ≤ 2), else ''. */
function suggest(name: string, candidates: string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of [...candidates].sort()) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? `; did you mean '${best}'?` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length];
}
