import type { SyncConfig } from '../config/schema.ts';
import type { Session } from './session.ts';
import { loadSelectedModels, selectSyncs } from './steps.ts';

export interface Selection {
  /** Model selectors for build and test, with sync names turned into their models' names. */
  modelSelectors: string[];
  /** The models selected (none listed when nothing is selected: then every model builds). */
  models: string[];
  syncs: SyncConfig[];
}

/**
 * `--select` as dbt users expect, for models and syncs alike: each term is a model name or a
 * sync name (standing for its model), with `+` for upstream and/or downstream. The syncs that
 * run are those named with `--sync`, else those whose model is selected, else all.
 */
export async function resolveSelection(session: Session, select: string[] = [], syncNames: string[] = []): Promise<Selection> {
  const syncs = session.project.config.syncs;
  const terms = select.flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== '');
  if (terms.length === 0) {
    return { modelSelectors: [], models: [], syncs: syncNames.length > 0 ? selectSyncs(session, syncNames) : syncs };
  }
  const modelNames = new Set((await loadSelectedModels(session)).map((m) => m.name));
  const modelSelectors = terms.map((term) => {
    const match = /^(\+?)([a-z_][a-z0-9_]*)(\+?)$/.exec(term);
    if (!match || modelNames.has(match[2])) return term;
    const sync = syncs.find((s) => s.name === match[2]);
    return sync ? `${match[1]}${sync.model}${match[3]}` : term;
  });
  const models = (await loadSelectedModels(session, modelSelectors)).map((m) => m.name);
  const chosen =
    syncNames.length > 0 ? selectSyncs(session, syncNames) : syncs.filter((s) => models.includes(s.model));
  return { modelSelectors, models, syncs: chosen };
}
