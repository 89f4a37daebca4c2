/**
 * Cross-field rules of the object types a sync writes (deals and their pipeline, identity
 * properties, associations between syncs). Each problem names the key path in pqlsync.yml.
 */
import { OBJECT_TYPES } from '../../connectors/hubspot/objects/object-types.ts';
import type { ProjectConfig } from './schema.ts';

export function checkObjectRules(config: ProjectConfig): string[] {
  const problems: string[] = [];
  const byName = new Map(config.syncs.map((s) => [s.name, s]));
  config.syncs.forEach((sync, i) => {
    const at = `syncs.${i}`;
    const info = OBJECT_TYPES[sync.object];
    if (sync.identity_property && !info.identity.ownedByPqlsync && !info.identity.ownable) {
      problems.push(`${at}.identity_property: ${sync.object} are identified by HubSpot's own ${info.identity.property}; remove identity_property`);
    }
    if (sync.identity_property && info.identity.ownable && !sync.properties.some((p) => p.property === info.identity.property)) {
      problems.push(
        `${at}.properties: a ${sync.object} sync keyed by ${sync.identity_property} maps a column to ${info.identity.property} (how an existing record is found the first time, and a value that may change)`,
      );
    }
    if (sync.object === 'deals') {
      if (!sync.pipeline) problems.push(`${at}.pipeline: a deals sync needs its pipeline (label and stages)`);
      const stage = sync.properties.findIndex((p) => p.property === 'dealstage');
      if (stage < 0) {
        problems.push(`${at}.properties: a deals sync maps one column to the property dealstage (its values are the pipeline's stage keys)`);
      } else if (sync.pipeline) {
        const mapping = sync.properties[stage];
        const keys = sync.pipeline.stages.map((s) => s.key);
        const options = mapping.options ?? [];
        if (mapping.type !== 'enumeration' || options.length !== keys.length || !keys.every((k) => options.includes(k))) {
          problems.push(`${at}.properties.${stage}: dealstage must be an enumeration whose options are the pipeline's stage keys: [${keys.join(', ')}]`);
        }
      }
      const pipelineProperty = sync.properties.findIndex((p) => p.property === 'pipeline');
      if (pipelineProperty >= 0) problems.push(`${at}.properties.${pipelineProperty}: pipeline is set by pqlsync from ${at}.pipeline; do not map it`);
    } else if (sync.pipeline) {
      problems.push(`${at}.pipeline: only a deals sync has a pipeline`);
    }
    if (sync.mode === 'insert_once' && sync.on_removed === 'clear') {
      problems.push(`${at}.on_removed: an insert_once sync writes events, which never leave; use on_removed: keep`);
    }
    if (sync.object === 'tasks' && sync.mode !== 'insert_once') {
      problems.push(`${at}.mode: tasks are events: use mode: insert_once (a task is created once, never rewritten)`);
    }
    (sync.associations ?? []).forEach((a, j) => {
      const where = `${at}.associations.${j}`;
      const target = byName.get(a.to);
      if (!target) {
        problems.push(`${where}.to: no sync named '${a.to}' (syncs: ${[...byName.keys()].join(', ')})`);
        return;
      }
      const kind = info.associations[target.object];
      if (!kind) {
        problems.push(`${where}.to: pqlsync cannot associate ${sync.object} with ${target.object}`);
      } else if (a.primary && kind.primaryTypeId === undefined) {
        problems.push(`${where}.primary: HubSpot has no primary label from ${sync.object} to ${target.object}`);
      }
      if (target.name === sync.name) problems.push(`${where}.to: a sync cannot associate with itself`);
    });
  });
  return problems;
}
