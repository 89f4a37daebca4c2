/**
 * Pipelines of the object types that have them (a `pipeline` capability: deals): pqlsync finds
 * its pipeline by label, or creates it with the stages of the sync's `pipeline:`
 * (POST /crm/v3/pipelines/{objectType}; HubSpot assigns the pipeline and stage ids). A pipeline that exists but lacks a configured stage is a DestinationError before any
 * row is sent: pqlsync does not edit a pipeline people may already use.
 */
import type { PipelineConfig } from './config.ts';
import { DestinationError } from '../../contracts/errors.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import { OBJECT_TYPES, type ObjectTypeName } from './objects/object-types.ts';
import type { CallResult, Log, RequestExecutor } from './retry.ts';

export interface ResolvedPipeline {
  id: string;
  label: string;
  /** Stage key (the model's value) → HubSpot stage id. */
  stageIds: Map<string, string>;
  /** HubSpot stage id → position in the configured order (later stages rank higher). */
  ranks: Map<string, number>;
}

interface PipelineLike {
  id: string;
  label: string;
  archived?: boolean;
  stages?: Array<{ id: string; label: string; archived?: boolean }>;
}

function unwrap<T>(result: CallResult<T>, what: string): T {
  if (result.ok) return result.data;
  const message = result.kind === 'exhausted' ? result.message : result.failure.message;
  throw new DestinationError(`HubSpot: ${what} failed: ${message}`);
}

/** Matches the configured stages to a pipeline's by label (case and spacing ignored). Pure. */
export function resolvePipeline(config: PipelineConfig, pipeline: PipelineLike, object: ObjectTypeName = 'deals'): ResolvedPipeline {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const byLabel = new Map((pipeline.stages ?? []).filter((s) => !s.archived).map((s) => [norm(s.label), s.id]));
  const missing = config.stages.filter((s) => !byLabel.has(norm(s.label)));
  if (missing.length > 0) {
    throw new DestinationError(
      `HubSpot ${OBJECT_TYPES[object].singular} pipeline '${pipeline.label}' (id ${pipeline.id}) has no stage labelled ${missing.map((s) => `'${s.label}'`).join(', ')}; ` +
        `add the stages in HubSpot (Settings → Objects → ${object[0].toUpperCase()}${object.slice(1)} → Pipelines) or change the stage labels in pqlsync.yml`,
    );
  }
  const stageIds = new Map(config.stages.map((s) => [s.key, byLabel.get(norm(s.label))!]));
  return { id: pipeline.id, label: pipeline.label, stageIds, ranks: new Map(config.stages.map((s, i) => [stageIds.get(s.key)!, i])) };
}

export async function ensurePipeline(ctx: { apis: HubSpotApis; exec: RequestExecutor; log?: Log }, object: ObjectTypeName, config: PipelineConfig): Promise<ResolvedPipeline> {
  const api = ctx.apis.pipelines.pipelinesApi;
  const what = `${OBJECT_TYPES[object].singular} pipeline`;
  const find = async () => {
    const all = unwrap(await ctx.exec.run<{ results?: PipelineLike[] }>('crm', `${what}s`, (o) => api.getAllWithHttpInfo(object, o)), `reading the ${what}s`);
    return (all.results ?? []).find((p) => !p.archived && p.label.trim() === config.label.trim());
  };
  let pipeline = await find();
  if (!pipeline) {
    const input = {
      label: config.label,
      displayOrder: 0,
      stages: config.stages.map((s, displayOrder) => ({
        label: s.label,
        displayOrder,
        metadata: { probability: String(s.probability), isClosed: String(s.closed) },
      })),
    };
    let existing: PipelineLike | undefined;
    const created = await ctx.exec.run<PipelineLike>(
      'crm',
      `create ${what}`,
      (o) => (existing ? null : api.createWithHttpInfo(object, input as never, o)),
      {
        // A create whose answer was lost may have landed: look before creating it again.
        beforeRetry: async () => {
          existing = await find();
        },
      },
    );
    pipeline = existing ?? unwrap(created, `creating the ${what} '${config.label}'`);
    ctx.log?.({ level: 'info', msg: `created the ${what} '${config.label}' (id ${pipeline.id})` });
  }
  return resolvePipeline(config, pipeline, object);
}
