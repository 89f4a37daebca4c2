/**
 * Deals: one per trial, identified by a pqlsync-owned unique-value property (default
 * `pqlsync_deal_key`; the shipped project names it `pqlsync_trial_id`) and upserted by it,
 * so a repeated create updates the deal the first attempt made. Deals are never searched.
 *
 * The stage: the model's stage column holds a stage key of the sync's pipeline; pqlsync
 * sends HubSpot the stage id and the pipeline id. A deal's stage only moves forward: before
 * updating deals it knows, pqlsync reads the pipeline and stage HubSpot holds (one batch read
 * per 100 deals) and leaves both out of the update when the model's stage is not later in
 * the configured order than HubSpot's, or when the deal sits in another pipeline. So a deal
 * a rep moved by hand to a later stage (or elsewhere) is never moved back; the other
 * properties are still updated.
 */
import { DestinationError } from '../../../src/errors.ts';
import type { BatchResponseLike } from '../batch-writer.ts';
import type { SendContext } from '../send-context.ts';
import type { ByIdTarget, ObjectWriter } from './write-template.ts';

const STAGE = 'dealstage';
const PIPELINE = 'pipeline';

function pipelineOf(ctx: SendContext) {
  if (!ctx.pipeline) throw new DestinationError(`sync '${ctx.sync.name}': the deal pipeline was not checked before sending (call ensureProperties first)`);
  return ctx.pipeline;
}

export const dealsWriter: ObjectWriter = {
  object: 'deals',
  updatesById: true,
  normaliseKey(raw) {
    const key = raw.trim();
    return key !== '' ? { key } : { category: 'MISSING_VALUE', property: null, message: 'the deal key is empty' };
  },
  toHubSpot(ctx, properties, clear) {
    const out = { ...properties };
    const stage = out[STAGE];
    delete out[STAGE];
    delete out[PIPELINE];
    // A stage cannot be emptied; a cleared deal keeps its stage.
    if (clear || !stage) return out;
    const pipeline = pipelineOf(ctx);
    out[PIPELINE] = pipeline.id;
    out[STAGE] = pipeline.stageIds.get(stage)!;
    return out;
  },
  // A rollback with --allow-stage-back puts earlier stages back on purpose.
  beforeUpdate: (ctx, targets) => (ctx.sync.allowStageBack ? Promise.resolve(targets) : keepStagesMovedByHand(ctx, targets)),
  notFound: (p) => ({ property: 'dealname', message: `no HubSpot deal has the key ${p.key}` }),
};

/** Reads the stage HubSpot holds and drops the stage from updates that would move a deal back. */
async function keepStagesMovedByHand(ctx: SendContext, targets: ByIdTarget[]): Promise<ByIdTarget[]> {
  const moving = targets.filter((t) => t.properties[STAGE]);
  if (moving.length === 0) return targets;
  const pipeline = pipelineOf(ctx);
  const result = await ctx.exec.run<BatchResponseLike>('crm', `deals read stages (${moving.length})`, (options) =>
    ctx.apis.deals.batchApi.readWithHttpInfo({ inputs: moving.map((t) => ({ id: t.id })), properties: [STAGE, PIPELINE], propertiesWithHistory: [] }, false, options),
  );
  if (!result.ok) {
    // Without HubSpot's stage the update could move a deal back: answer these rows now, retried next run.
    const message = `reading the deals' stages before updating them: ${result.kind === 'exhausted' ? result.message : result.failure.message}`;
    const failed = new Set(moving);
    for (const t of moving) ctx.record(t.prepared, { ok: false, category: 'RETRIES_EXHAUSTED', property: STAGE, message });
    return targets.filter((t) => !failed.has(t));
  }
  const held = new Map((result.data.results ?? []).map((r) => [String(r.id), r.properties ?? {}]));
  for (const t of moving) {
    const current = held.get(t.id);
    if (!current) continue; // gone: the update answers NOT_FOUND and the deal is upserted
    const currentRank = current[PIPELINE] === pipeline.id && current[STAGE] ? pipeline.ranks.get(current[STAGE]!) : undefined;
    const wantedRank = pipeline.ranks.get(t.properties[STAGE])!;
    const elsewhere = current[PIPELINE] !== pipeline.id || (current[STAGE] && currentRank === undefined);
    if (elsewhere || (currentRank !== undefined && wantedRank <= currentRank)) {
      const { [STAGE]: _stage, [PIPELINE]: _pipeline, ...rest } = t.properties;
      t.properties = rest;
    }
  }
  return targets;
}
