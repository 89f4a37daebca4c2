/**
 * The HubSpot destination's settings in pqlsync.yml: the destination block, a deals sync's
 * pipeline, a sync's lifecycle stages. The runner's schema (src/config/schema.ts) takes them
 * from here.
 */
import { z } from 'zod';
import { identifier, propertyName } from '../../contracts/config.ts';
import type { AssociationKind, SyncTarget } from '../destination.ts';
import { OBJECT_TYPE_NAMES, type ObjectTypeName } from './objects/object-type-names.ts';

/** The `destination:` block of pqlsync.yml for HubSpot. */
export const hubspotDestinationConfig = z
  .object({
    type: z.literal('hubspot'),
    property_group: z
      .object({ name: propertyName, label: z.string().min(1) })
      .strict()
      .default({ name: 'pqlsync', label: 'pqlsync (product signals)' }),
    /** Requests per 10 s the portal allows (100 Free/Starter, 190 Professional/Enterprise). */
    requests_per_10s: z.number().int().positive().default(100),
    /** Requests per day the portal allows. */
    requests_per_day: z.number().int().positive().default(250_000),
    /**
     * Share of the portal's daily limit left for its other apps (docs/hubspot.md, "Daily
     * budget"): a run that would go below it sends its most important changes first and
     * defers the rest (exit code deferred).
     */
    daily_reserve: z.number().min(0).max(1).default(0.2),
  })
  .strict();
export type HubSpotDestinationConfig = z.infer<typeof hubspotDestinationConfig>;

/** A HubSpot sync's `object:`: one of the object types pqlsync writes (./objects/registry.ts). */
export const hubspotObjectName = z.enum(OBJECT_TYPE_NAMES, {
  error: (issue) => `unknown object type ${JSON.stringify(issue.input)}: pqlsync writes ${OBJECT_TYPE_NAMES.join(', ')}`,
});

/** A deal pipeline pqlsync creates (or checks) and the stages a model's stage column names. */
export const pipelineConfig = z
  .object({
    /** The pipeline's label in HubSpot (HubSpot allows 36 characters); pqlsync finds it by this label. */
    label: z.string().min(1).max(36),
    /**
     * The stages in their order. pqlsync moves a deal only to a stage later in this list than
     * the one HubSpot holds, so a deal a rep moved forward by hand is never moved back.
     */
    stages: z
      .array(
        z
          .object({
            /** The value the model's stage column holds. */
            key: identifier,
            label: z.string().min(1),
            /** Win probability, 0..1 (HubSpot requires it on deal stages). */
            probability: z.number().min(0).max(1),
            closed: z.boolean().default(false),
          })
          .strict(),
      )
      .min(2),
  })
  .strict();
export type PipelineConfig = z.infer<typeof pipelineConfig>;

/** HubSpot's default lifecycle stages, in their order (docs/hubspot.md, "Lifecycle stage"). */
export const HUBSPOT_LIFECYCLE_STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist'];

export const lifecycleConfig = z
  .object({
    /** The stages (ids) in their order; a stage HubSpot holds that is not listed is never written over. */
    stages: z.array(z.string().min(1)).min(2).default(HUBSPOT_LIFECYCLE_STAGES),
    /** Stages pqlsync never moves a record out of, even forward. */
    never_over: z.array(z.string().min(1)).default(['opportunity', 'customer', 'evangelist']),
  })
  .strict();
export type LifecycleConfig = z.infer<typeof lifecycleConfig>;

/** The settings of a HubSpot sync beside the runner's own (src/config/schema.ts spreads them into a sync's schema). */
export const hubspotSyncFields = {
    /**
     * companies and deals: the pqlsync-owned unique-value property records are upserted by
     * (default pqlsync_account_key on companies, pqlsync_deal_key on deals).
     */
    identity_property: propertyName.optional(),
    /** deals: the pipeline the deals live in. */
    pipeline: pipelineConfig.optional(),
    /**
     * A sync mapping a column to `lifecyclestage`: the stages in their order and the ones pqlsync
     * never writes over. pqlsync reads the stage HubSpot holds and only ever moves it forward
     * (docs/hubspot.md, "Lifecycle stage"). Defaults: HubSpot's own stages; never over
     * opportunity, customer, evangelist. Custom stages: list their ids in `stages`.
     */
    lifecycle: lifecycleConfig.optional(),
    /**
     * A record pqlsync delivered that someone deleted in HubSpot: skip (default) leaves it deleted
     * and records that in state (`status` counts it); recreate writes it again, as a new record.
     * A deletion is a person's decision (a spam contact, a privacy request): undoing it silently
     * is the surprise, so skip is the default (docs/hubspot.md, "Deleted records").
     */
    on_deleted_in_hubspot: z.enum(['skip', 'recreate']).optional(),
};

/**
 * What the HubSpot destination reads of a sync: the contract's target (connectors/destination.ts)
 * plus HubSpot's own settings. The runner hands it the sync's config, which has them all.
 */
export type HubSpotSyncTarget = SyncTarget & {
  object: ObjectTypeName;
  /** companies, deals, tasks (and contacts keyed by the product): the unique-value property records are upserted by. */
  identity_property?: string;
  /** deals: the pipeline the deals live in. */
  pipeline?: PipelineConfig;
  /** A sync mapping `lifecyclestage`: its stages in order and those never written over. */
  lifecycle?: LifecycleConfig;
  /** A record someone deleted in HubSpot: leave it deleted (default) or write it again. */
  on_deleted_in_hubspot?: 'skip' | 'recreate';
};

/** An association between records of two HubSpot object types. */
export type HubSpotAssociationKind = AssociationKind & { from: ObjectTypeName; to: ObjectTypeName };
