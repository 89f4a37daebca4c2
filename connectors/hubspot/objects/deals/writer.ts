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
import { DestinationError } from '../../../../contracts/errors.ts';
import type { SendContext } from '../../send-context.ts';
import type { HeldValues } from '../held-values.ts';
import type { ByIdTarget, ObjectWriter } from '../write-template.ts';

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
  readsBeforeUpdate: (t) => (t.properties[STAGE] ? [STAGE, PIPELINE] : []),
  settleUpdate: keepStageMovedByHand,
  notFound: (p) => ({ property: 'dealname', message: `no HubSpot deal has the key ${p.key}` }),
};

/** Drops the stage from an update that would move a deal back, or out of the pipeline it sits in. */
function keepStageMovedByHand(ctx: SendContext, t: ByIdTarget, current: HeldValues | undefined): void {
  // A rollback with --allow-stage-back puts earlier stages back on purpose.
  if (!current || !t.properties[STAGE] || ctx.sync.allowStageBack) return; // gone: the update answers NOT_FOUND and the deal is upserted
  const pipeline = pipelineOf(ctx);
  const currentRank = current[PIPELINE] === pipeline.id && current[STAGE] ? pipeline.ranks.get(current[STAGE]!) : undefined;
  const wantedRank = pipeline.ranks.get(t.properties[STAGE])!;
  const elsewhere = current[PIPELINE] !== pipeline.id || (current[STAGE] && currentRank === undefined);
  if (elsewhere || (currentRank !== undefined && wantedRank <= currentRank)) {
    const { [STAGE]: _stage, [PIPELINE]: _pipeline, ...rest } = t.properties;
    t.properties = rest;
  }
}
