/**
 * Syncs depend on syncs: a sync whose records are associated with another sync's records
 * needs that sync's record ids, so it runs after it. Pure.
 */
import type { SyncConfig } from '../config/schema.ts';

/** The syncs a sync depends on (the targets of its associations). */
export function syncDependencies(sync: SyncConfig): string[] {
  return [...new Set((sync.associations ?? []).map((a) => a.to))];
}

/**
 * Orders syncs so that each runs after the ones it depends on, otherwise keeping the given
 * order. Dependencies outside `syncs` (not selected this run) are ignored: their state holds
 * the ids of earlier runs. Throws an Error naming the cycle when there is one.
 */
export function orderSyncs<T extends SyncConfig>(syncs: readonly T[]): T[] {
  const byName = new Map(syncs.map((s) => [s.name, s]));
  const done = new Set<string>();
  const visiting: string[] = [];
  const out: T[] = [];
  const visit = (sync: T) => {
    if (done.has(sync.name)) return;
    if (visiting.includes(sync.name)) {
      throw new Error(`the syncs' associations form a cycle: ${[...visiting.slice(visiting.indexOf(sync.name)), sync.name].join(' → ')}`);
    }
    visiting.push(sync.name);
    for (const name of syncDependencies(sync)) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency);
    }
    visiting.pop();
    done.add(sync.name);
    out.push(sync);
  };
  for (const sync of syncs) visit(sync);
  return out;
}
