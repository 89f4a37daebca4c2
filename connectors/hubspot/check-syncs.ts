/**
 * HubSpot's cross-field rules of the syncs in pqlsync.yml (a pipeline, insert-once, identity
 * properties, associations between syncs), read from each object type's capabilities, never from
 * its name. The config loader runs them through the destinations' registry
 * (connectors/destination-configs.ts). Each problem names the key path in pqlsync.yml.
 */
import type { PipelineConfig } from './config.ts';
import { OBJECT_TYPE_NAMES, OBJECT_TYPES, type ObjectTypeName } from './objects/object-types.ts';

/** What these rules read of a sync (src/config/schema.ts's SyncConfig has it all). */
export interface HubSpotSyncRules {
  name: string;
  object: ObjectTypeName;
  identity_property?: string;
  pipeline?: PipelineConfig;
  mode: string;
  on_removed: string;
  properties: Array<{ property: string; type: string; options?: string[] }>;
  associations?: Array<{ to: string; primary: boolean }>;
}

export function checkHubSpotSyncs(syncs: HubSpotSyncRules[]): string[] {
  const problems: string[] = [];
  const byName = new Map(syncs.map((s) => [s.name, s]));
  syncs.forEach((sync, i) => {
    const at = `syncs.${i}`;
    const info = OBJECT_TYPES[sync.object];
    if (sync.identity_property && !info.identity.ownedByPqlsync && !info.identity.ownable) {
      problems.push(`${at}.identity_property: ${sync.object} are identified by HubSpot's own ${info.identity.property}; remove identity_property`);
    }
    // An update-only sync never finds nor creates a record: it writes through the identity another
    // sync stamped (the handoff's owners by pqlsync_user_key), so it needs no email.
    if (sync.identity_property && info.identity.ownable && sync.mode !== 'update' && !sync.properties.some((p) => p.property === info.identity.property)) {
      problems.push(
        `${at}.properties: a ${sync.object} sync keyed by ${sync.identity_property} maps a column to ${info.identity.property} (how an existing record is found the first time, and a value that may change)`,
      );
    }
    const pipeline = info.capabilities.pipeline;
    if (pipeline) {
      const { stageProperty, pipelineProperty } = pipeline;
      if (!sync.pipeline) problems.push(`${at}.pipeline: a ${sync.object} sync needs its pipeline (label and stages)`);
      const stage = sync.properties.findIndex((p) => p.property === stageProperty);
      if (stage < 0) {
        problems.push(`${at}.properties: a ${sync.object} sync maps one column to the property ${stageProperty} (its values are the pipeline's stage keys)`);
      } else if (sync.pipeline) {
        const mapping = sync.properties[stage];
        const keys = sync.pipeline.stages.map((s) => s.key);
        const options = mapping.options ?? [];
        if (mapping.type !== 'enumeration' || options.length !== keys.length || !keys.every((k) => options.includes(k))) {
          problems.push(`${at}.properties.${stage}: ${stageProperty} must be an enumeration whose options are the pipeline's stage keys: [${keys.join(', ')}]`);
        }
      }
      const pipelineMapped = sync.properties.findIndex((p) => p.property === pipelineProperty);
      if (pipelineMapped >= 0) problems.push(`${at}.properties.${pipelineMapped}: ${pipelineProperty} is set by pqlsync from ${at}.pipeline; do not map it`);
    } else if (sync.pipeline) {
      problems.push(`${at}.pipeline: only a ${withPipelines()} sync has a pipeline`);
    }
    if (sync.mode === 'insert_once' && sync.on_removed === 'clear') {
      problems.push(`${at}.on_removed: an insert_once sync writes events, which never leave; use on_removed: keep`);
    }
    const requiredMode = info.capabilities.requiredMode;
    if (requiredMode && sync.mode !== requiredMode) {
      problems.push(`${at}.mode: ${sync.object} are events: use mode: ${requiredMode} (a record is created once, never rewritten)`);
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

/** The object types with a pipeline, in words ('deals'). */
function withPipelines(): string {
  return OBJECT_TYPE_NAMES.filter((name) => OBJECT_TYPES[name].capabilities.pipeline).join(' or ');
}
