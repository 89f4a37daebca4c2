import { z } from 'zod';
import { destinationBlock, destinationObjectName, destinationSyncFields } from '../../connectors/registry.ts';
import { identifier, propertyMapping, warehouseConfig } from '../../contracts/config.ts';

export { identifier, propertyMapping, type PropertyMapping, type WarehouseConfig } from '../../contracts/config.ts';

export const guardrails = z
  .object({
    /** Stop when more than this share of the model's rows would be sent (0..1). */
    max_changed_share: z.number().min(0).max(1).default(0.15),
    /** Stop when any tier's share of rows moves by more than this many points (0..1). */
    max_tier_shift: z.number().min(0).max(1).default(0.2),
    /** The column holding the tier whose shares are watched. */
    tier_column: identifier.optional(),
    /** Below this many rows in state, the guardrails do not apply (first syncs, tiny portals). */
    min_rows: z.number().int().min(0).default(100),
  })
  .strict();



/** An association written from each record of this sync to a record of another sync. */
export const associationConfig = z
  .object({
    /** The sync whose records are the targets (it runs first; its state holds their record ids). */
    to: identifier,
    /** The model column holding the target's key (an email for contacts, a domain for companies...). */
    column: identifier,
    /** Use HubSpot's primary label (contact → company, deal → company) instead of the unlabelled type. */
    primary: z.boolean().default(false),
    /** When a pair leaves the model: keep the association in HubSpot, or remove it. */
    on_removed: z.enum(['keep', 'remove']).default('keep'),
  })
  .strict();
export type AssociationConfig = z.infer<typeof associationConfig>;

/** A table or view in the warehouse, `schema.table` (BigQuery: `dataset.table`). */
export const relationName = z.string().regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/, 'schema.table');

export const syncConfig = z
  .object({
    /** At most 30 characters: per-run tables are named `outcomes__<name>__<run tag>` within PostgreSQL's 63. */
    name: identifier.max(30, 'at most 30 characters (pqlsync names per-run tables after the sync)'),
    /** The model whose rows are sent (with `relation:`, the relation's table name: see syncInput). */
    model: identifier,
    /** A relation pqlsync does not build, read instead of a model: schema.table. */
    relation: relationName.optional(),
    /** The kind of record each row becomes in the destination; the destination names the allowed ones (connectors/registry.ts). */
    object: destinationObjectName,
    /** The destination's own settings of a sync (HubSpot: identity_property, pipeline, lifecycle, on_deleted_in_hubspot). */
    ...destinationSyncFields,
    associations: z.array(associationConfig).optional(),
    /** The model column that identifies a row: an email for contacts, a domain for companies. */
    key: identifier,
    /**
     * upsert: create missing records, update changed ones. update: never create. insert_once:
     * events (tasks): each key is written once and never again, whatever its values become;
     * keys never count as removed.
     */
    mode: z.enum(['upsert', 'update', 'insert_once']).default('upsert'),
    /** What happens in HubSpot to rows that leave the model. */
    on_removed: z.enum(['keep', 'clear']).default('keep'),
    /**
     * Under a tight daily budget, rows whose tier (guardrails.tier_column) enters one of these
     * go first, then other tier changes and new records, then score moves, then the rest
     * (counters; see a property's `priority`). Default: hot, sales_ready.
     */
    pql_tiers: z.array(z.string().min(1)).min(1).optional(),
    properties: z.array(propertyMapping).min(1),
    guardrails: guardrails.default({ max_changed_share: 0.15, max_tier_shift: 0.2, min_rows: 100 }),
  })
  .strict();
export type SyncConfig = z.infer<typeof syncConfig>;

/**
 * A sync as pqlsync.yml writes it: it reads a pqlsync model (`model:`) or any relation pqlsync
 * does not build (`relation: schema.table`: a dbt model, a view the data team owns). With
 * `relation:`, its table name stands for the model in messages and in `--select`.
 */
export const syncInput = z.preprocess((input, ctx) => {
  if (!input || typeof input !== 'object' || !('relation' in input)) return input;
  const sync = input as { model?: unknown; relation?: unknown };
  if (sync.model !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'a sync reads a model or a relation: write one of model: and relation:, not both', path: ['relation'] });
    return input;
  }
  return typeof sync.relation === 'string' ? { ...input, model: sync.relation.split('.').pop() } : input;
}, syncConfig);

/** The table a sync reads: its relation, else its model in the models schema. */
export function syncRelation(sync: Pick<SyncConfig, 'model' | 'relation'>, modelsSchema: string): { schema: string; name: string } {
  if (sync.relation) {
    const [schema, name] = sync.relation.split('.');
    return { schema, name };
  }
  return { schema: modelsSchema, name: sync.model };
}

/** A handoff signal, exactly (tier:sales_ready) or by prefix (trigger:*). */
const signalPattern = z.string().regex(/^[a-z_]+(:[a-z_]+|:\*)?$/, 'a signal of the signals model (tier:sales_ready, trigger:paywall) or a prefix (trigger:*)');

/** A Slack conversation id: C… (public channel) or G… (private). Names change; ids do not. */
const slackChannel = z.string().regex(/^[CG][A-Z0-9]{6,}$/, 'a Slack channel id (C0123ABCD: channel details, bottom of the About tab)');

const handoffSequence = z
  .object({
    signals: z.array(signalPattern).min(1),
    motions: z.array(identifier).min(1).optional(),
    /** The sequence's id in HubSpot (from its URL, or `pqlsync doctor`). */
    sequence_id: z.string().regex(/^[0-9]+$/, 'a HubSpot sequence id (digits)'),
  })
  .strict();

const handoffSlack = z
  .object({
    /** owner: a direct message to the contact's routed owner (their HubSpot email → Slack user); channel: to `channel`. */
    to: z.enum(['owner', 'channel']).default('owner'),
    /** The channel (to: channel), and where a message goes when the contact has no owner. */
    channel: slackChannel.optional(),
    signals: z.array(signalPattern).min(1).default(['tier:sales_ready', 'account:sales_ready', 'trigger:*']),
    /** The HubSpot portal id for the record links; default: the portal the token reaches. */
    portal_id: z.string().regex(/^[0-9]+$/, 'the HubSpot portal (hub) id: digits').optional(),
  })
  .strict()
  .refine((s) => s.to !== 'channel' || s.channel !== undefined, { message: 'to: channel needs a channel id', path: ['channel'] });

/**
 * The handoff (src/handoff): episodes of each contact's signals, owner routing, and the tables
 * the handoff syncs read (handoff_tasks, handoff_owners, handoff_contacts).
 */
export const handoffConfig = z
  .object({
    /** The model with one row per (email, signal) true now (models/handoff/handoff_signals.sql). */
    signals_model: identifier.default('handoff_signals'),
    /**
     * A signal that leaves for at most this many whole days and comes back continues its episode
     * (no new task, pql_tier_since unchanged). At least 1: the longest gap between two runs.
     */
    hysteresis_days: z.number().int().min(1).default(7),
    /** skip: episodes already open at pqlsync's first handoff run make no task (a backlog); create: they do. */
    first_run: z.enum(['skip', 'create']).default('skip'),
    /**
     * How many sales-ready PQLs the reps can call in a week. With it, `evaluate --suggest` puts the
     * sales_ready threshold where about this many records are sales-ready on a backtest date
     * (docs/evaluate.md); without it, the threshold follows its lift target.
     */
    capacity: z.object({ pqls_per_week: z.number().int().positive() }).strict().optional(),
    /** Owner groups, by the signals model's route_group; owners by their HubSpot login email. */
    routing: z
      .object({
        /**
         * Each group's owners: HubSpot owners by login email (in this order), and/or every active
         * member of a HubSpot team (by team name, in owner-id order): a rep who leaves the team
         * gets no new records.
         */
        groups: z.record(
          identifier,
          z
            .object({ owners: z.array(z.string().email()).min(1).optional(), team: z.string().min(1).optional() })
            .strict()
            .refine((g) => g.owners || g.team, { message: 'a group needs owners (emails) or a team (a HubSpot team name)' }),
        ),
      })
      .strict()
      .optional(),
    /**
     * Sequence enrolments (HubSpot Sales Hub sequences): a contact with one of `signals` true, in
     * one of `motions` (route groups; all when absent), is enrolled once per episode in the
     * sequence, sent by its routed owner. A contact already in a sequence is never enrolled again.
     */
    sequences: z.array(handoffSequence).min(1).optional(),
    /** A Slack message about each new sales-ready contact or account and hot trigger (SLACK_BOT_TOKEN). */
    slack: handoffSlack.optional(),
  })
  .strict();
export type HandoffConfig = z.infer<typeof handoffConfig>;

/**
 * `alerts:`: one message when a run fails, a guardrail stops it, or more rows fail than
 * `max_failed_rows`; none for a clean run; the same failure again within `dedupe_minutes` (a
 * scheduler retrying) is not sent twice. To a Slack channel (SLACK_BOT_TOKEN) or a webhook
 * (its URL in PQLSYNC_ALERT_WEBHOOK_URL, never in this file).
 */
export const alertsConfig = z
  .object({
    slack_channel: slackChannel.optional(),
    webhook: z.boolean().default(false),
    /** Rows failed in one run (recorded, retried next run) above which the run alerts. */
    max_failed_rows: z.number().int().min(0).default(10),
    dedupe_minutes: z.number().int().min(0).default(60),
  })
  .strict()
  .refine((a) => a.slack_channel !== undefined || a.webhook, { message: 'name where alerts go: slack_channel (a channel id) and/or webhook: true (PQLSYNC_ALERT_WEBHOOK_URL)' });


/**
 * What `pqlsync evaluate` backtests for one kind of record: the model holding its scores and
 * the outcomes it is judged against (a source, or a model, with one converted_at per record;
 * NULL or no row: never converted).
 */
export const evaluateTarget = z
  .object({
    /** The model with one row per record and its score (0-100) and tier. */
    model: identifier,
    key: identifier,
    score: identifier,
    tier: identifier,
    /** Tiers from lowest to highest; the last ones listed in `pql_tiers` count as a PQL. */
    tiers: z.array(z.string().min(1)).min(1).default(['cold', 'warm', 'hot', 'sales_ready']),
    pql_tiers: z.array(z.string().min(1)).min(1).default(['hot', 'sales_ready']),
    outcomes: z
      .object({
        source: identifier.optional(),
        model: identifier.optional(),
        key: identifier,
        converted_at: identifier.default('converted_at'),
      })
      .strict()
      .refine((o) => (o.source === undefined) !== (o.model === undefined), { message: 'name exactly one of source or model' }),
    /**
     * For `evaluate --suggest`: which columns of the score model to fit (each the sum of some
     * point values of the scoring model, or subtracted from the score), and which values hold
     * the tiers' lowest scores and the lift over the baseline each tier should reach.
     */
    suggest: z
      .object({
        model: identifier.default('scoring_points'),
        /** Layer column → the points it sums (each added once when its rule holds), its cap, and whether it is subtracted. */
        features: z.record(
          identifier,
          z.object({ points: z.array(identifier).min(1), cap: identifier.optional(), subtracts: z.boolean().default(false) }).strict(),
        ),
        thresholds: z.record(z.string().min(1), z.object({ value: identifier, lift: z.number().positive() }).strict()).default({}),
        /** Refuse to fit with fewer conversions (or fewer records that did not convert) on the fitting dates (docs/evaluate.md: why 300). */
        min_conversions: z.number().int().positive().default(300),
        /** Refuse a tier holding less than this share of the record-dates; thresholds move down to keep it. */
        min_tier_share: z.number().min(0).max(0.5).default(0.01),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((t) => t.pql_tiers.every((p) => t.tiers.includes(p)), { message: 'every pql_tiers value must be one of tiers', path: ['pql_tiers'] });
export type EvaluateTarget = z.infer<typeof evaluateTarget>;

export const evaluateConfig = z
  .object({
    /** Days after each backtest date in which a conversion counts. */
    horizon_days: z.number().int().positive().default(30),
    /** Days between backtest dates. */
    every_days: z.number().int().positive().default(7),
    /** Number of backtest dates, the latest one horizon_days before the data's end. */
    dates: z.number().int().positive().default(13),
    /** Keyed by a name used in reports (contacts, accounts). */
    targets: z.record(identifier, evaluateTarget),
  })
  .strict();

export const projectConfig = z
  .object({
    name: z.string().min(1),
    warehouse: warehouseConfig,
    /** Schema (BigQuery: dataset) the models are built in. */
    schema: identifier.default('pqlsync_models'),
    /** Schema holding sync state, run history, row errors and the lock. */
    state_schema: identifier.default('pqlsync'),
    /** Folder of model files, relative to pqlsync.yml. */
    models_path: z.string().default('models'),
    /** Source name → table ("schema.table"). */
    sources: z.record(identifier, z.string().regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/, 'schema.table')),
    destination: destinationBlock,
    syncs: z.array(syncInput).min(1),
    /**
     * Per-run history of the values each sync run replaced in HubSpot (src/state/run-history-values.ts),
     * which `pqlsync rollback` puts back: kept for runs of the last `retention_days` days.
     */
    history: z.object({ retention_days: z.number().int().min(0).default(7) }).strict().default({ retention_days: 7 }),
    /** `pqlsync evaluate`: backtest the scores against outcomes. */
    evaluate: evaluateConfig.optional(),
    handoff: handoffConfig.optional(),
    alerts: alertsConfig.optional(),
  })
  .strict();
export type ProjectConfig = z.infer<typeof projectConfig>;
