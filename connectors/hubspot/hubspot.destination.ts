/**
 * The HubSpot destination: property schema, pacing, retries, the portal and its associations,
 * through the official client (13.5). Each sync's records go through a writer bound to it
 * (sync-writer.ts): value formatting, batching by 100 and isolating bad records.
 */
import { randomBytes } from 'node:crypto';
import type { AssociationPair, Destination, DestinationStats, PairOutcome, TimeWindow } from '../destination.ts';
import type { HubSpotAssociationKind } from './config.ts';
import type { EnrolOutcome, HubSpotCapabilities, HubSpotOwner, SequenceEnrolment } from './capabilities.ts';
import { readPortalId } from './account.ts';
import { listOwners, readContactOwners } from './owners.ts';
import { enrolInSequence, readEnrolment, readSequence } from './sequences.ts';
import { readRecordValues } from './read-records.ts';
import { associatePairs, dissociatePairs } from './associations.ts';
import type { HubSpotSyncTarget } from './config.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { holdsValue } from './format-values.ts';
import { searchModifiedSince } from './modified-since.ts';
import type { PropertyMapping } from '../../contracts/config.ts';
import type { Value } from '../warehouse.ts';
import { createHubSpotApis, createTimeoutAgent, HubSpotTransport, type HubSpotApis } from './hubspot.client.ts';
import { HUBSPOT_LIMITS, RETRY_DEFAULTS } from './limits.ts';
import { createSearchPacer, DailyBudget, RollingWindowPacer, type Clock } from './pacer.ts';
import { describeCreateMode, identityProperty, OBJECT_TYPES, ownsIdentity, type ObjectTypeName } from './objects/object-types.ts';
import { ensurePipeline, type ResolvedPipeline } from './pipelines.ts';
import { ensureHubSpotProperties } from './properties.ts';
import { RequestExecutor, type Log, type RetryPolicy } from './retry.ts';
import { HubSpotSyncWriter, type WriterShared } from './sync-writer.ts';

export interface HubSpotDestinationOptions {
  /** A private app token. Never logged nor put in a message. */
  accessToken: string;
  /** API origin; default https://api.hubapi.com (the sandbox: http://127.0.0.1:PORT). */
  basePath?: string;
  /** Property group pqlsync creates its properties in. */
  groupName: string;
  groupLabel: string;
  /** The portal's requests per 10 s (corrected from the rate-limit headers). */
  requestsPer10s: number;
  /** Requests kept in reserve below the window's max; default 2% of it. */
  requestsPer10sMargin?: number;
  /** The portal's requests per day (replaced by the daily-remaining header when sent). */
  requestsPerDay: number;
  /** Per-request timeout; a slower answer is a network error and retried. Default 30 s. */
  timeoutMs?: number;
  /** Attempts per request for transient failures. Default 5. */
  maxAttempts?: number;
  log?: Log;
  /** Search requests per second (HubSpot: about 5; default 4). */
  searchPerSecond?: number;
  /** Batches in flight at once (the pacer sets the rate). Default 10. */
  concurrency?: number;
  /** Retry tuning, for tests: backoff base and cap, 429s waited out for free. */
  retry?: Partial<Omit<RetryPolicy, 'maxAttempts'>>;
  /** For tests: time source and randomness. */
  clock?: Clock;
  random?: () => number;
}

export interface HubSpotDestinationStats extends DestinationStats {
  /** 429 answers received (each waited out). */
  rateLimited: number;
}

export class HubSpotDestination implements Destination, HubSpotCapabilities {
  readonly stats: HubSpotDestinationStats = { requests: 0, recordsWritten: 0, rateLimited: 0 };
  readonly pacer: RollingWindowPacer;
  private readonly apis: HubSpotApis;
  private readonly exec: RequestExecutor;
  private readonly runTag = randomBytes(4).toString('hex');
  private readonly searchPacer: RollingWindowPacer;
  private readonly memo = new Map<string, unknown>();
  private readonly associationLabels = new Map<string, Array<{ typeId: number; label: string | null; category: string }>>();
  /** Syncs whose identity the portal keeps without unique values (ensureProperties): the type their records are found through. */
  private readonly journaled = new Map<string, ObjectTypeName | null>();
  /** Deal pipelines checked by ensureProperties, per sync name. */
  private readonly pipelines = new Map<string, ResolvedPipeline>();
  private traceCounter = 0;
  private readonly daily: DailyBudget;
  private portalId: Promise<string> | undefined;

  /** What every sync's writer shares with this destination. */
  private readonly shared: WriterShared;

  constructor(private readonly options: HubSpotDestinationOptions) {
    if (!options.accessToken) throw new ConfigError('HubSpot needs an access token (a private app token with CRM scopes)');
    const timeoutMs = options.timeoutMs ?? RETRY_DEFAULTS.timeoutMs;
    const protocol = options.basePath?.startsWith('http:') ? 'http:' : 'https:';
    this.apis = createHubSpotApis({
      accessToken: options.accessToken,
      basePath: options.basePath,
      agent: createTimeoutAgent(protocol, timeoutMs),
    });
    this.pacer = new RollingWindowPacer({
      max: options.requestsPer10s,
      windowMs: HUBSPOT_LIMITS.windowMs,
      margin: options.requestsPer10sMargin,
      clock: options.clock,
    });
    // The socket timeout cuts a silent request; the deadline also bounds one that trickles.
    const transport = new HubSpotTransport(timeoutMs * 2, () => {
      this.stats.requests++;
    });
    this.exec = new RequestExecutor({
      transport,
      pacers: { crm: this.pacer, search: (this.searchPacer = createSearchPacer(options.searchPerSecond, options.clock)) },
      daily: (this.daily = new DailyBudget(options.requestsPerDay)),
      policy: { maxAttempts: options.maxAttempts, ...options.retry },
      clock: options.clock,
      random: options.random,
      log: options.log,
      secret: options.accessToken,
      onRateLimited: () => {
        this.stats.rateLimited++;
      },
    });
    this.shared = {
      context: {
        apis: this.apis,
        exec: this.exec,
        memo: this.memo,
        rates: () => ({
          crmPerSecond: this.pacer.limit / (this.pacer.window.windowMs / 1000),
          searchPerSecond: this.searchPacer.limit / (this.searchPacer.window.windowMs / 1000),
        }),
        concurrency: options.concurrency ?? RETRY_DEFAULTS.concurrency,
        log: options.log,
        nextTraceId: () => `pqlsync-${this.runTag}-${++this.traceCounter}`,
      },
      written: () => {
        this.stats.recordsWritten++;
      },
      createsThrough: (name) => this.journaled.get(name) ?? null,
      pipeline: (name) => this.pipelines.get(name),
      ensureProperties: (syncs) => this.ensureProperties(syncs),
    };
  }

  async ensureProperties(syncs: HubSpotSyncTarget[]): Promise<void> {
    const ctx = { apis: this.apis, exec: this.exec, log: this.options.log };
    const plans = await ensureHubSpotProperties(ctx, syncs, { name: this.options.groupName, label: this.options.groupLabel });
    for (const sync of syncs) if (sync.pipeline) this.pipelines.set(sync.name, await ensurePipeline(ctx, sync.object, sync.pipeline));
    // Where HubSpot may refuse unique values (tasks), the portal's answer picks how records are made once.
    for (const sync of syncs) {
      const through = OBJECT_TYPES[sync.object].identity.uniqueMayBeRefused?.foundThrough;
      if (!through || !ownsIdentity(sync)) continue;
      const identity = identityProperty(sync);
      const plain = plans.some((p) => p.object === sync.object && p.withoutUnique.includes(identity));
      this.journaled.set(sync.name, plain ? through : null);
      this.options.log?.({ level: 'info', msg: `${sync.name}: ${describeCreateMode(sync, plain ? through : null)}`, event: 'create_mode', sync: sync.name, unique_key: !plain });
    }
  }

  /** The writer of one sync's records, bound to it (connectors/hubspot/sync-writer.ts). */
  writer(sync: HubSpotSyncTarget): HubSpotSyncWriter {
    return new HubSpotSyncWriter(this.shared, sync);
  }

  dailyBudget(): { remaining: number; limit: number } | null {
    return this.daily.reported();
  }

  async associate(kind: HubSpotAssociationKind, pairs: AssociationPair[]): Promise<PairOutcome[]> {
    return associatePairs(this.associationContext(), kind, pairs);
  }

  async dissociate(kind: HubSpotAssociationKind, pairs: AssociationPair[]): Promise<PairOutcome[]> {
    return dissociatePairs(this.associationContext(), kind, pairs);
  }

  /** The portal the token reaches (read once, then remembered for the run). */
  async accountId(): Promise<string> {
    this.portalId ??= readPortalId({
      exec: this.exec,
      accessToken: this.options.accessToken,
      basePath: this.options.basePath ?? 'https://api.hubapi.com',
      onHeaders: (headers) => this.daily.observe(headers),
      onRequest: () => this.stats.requests++,
    });
    return this.portalId;
  }

  async listOwners(): Promise<HubSpotOwner[]> {
    return listOwners({ apis: this.apis, exec: this.exec });
  }

  async readContactOwners(emails: string[]): Promise<Map<string, string>> {
    return readContactOwners({ apis: this.apis, exec: this.exec }, emails);
  }

  async readEnrolment(contactId: string): Promise<SequenceEnrolment | null> {
    return readEnrolment({ apis: this.apis, exec: this.exec }, contactId);
  }

  async enrolInSequence(input: { contactId: string; sequenceId: string; senderEmail: string; userId: string }): Promise<EnrolOutcome> {
    return enrolInSequence({ apis: this.apis, exec: this.exec }, input);
  }

  async readSequence(sequenceId: string, userId: string): Promise<string | null> {
    return readSequence({ apis: this.apis, exec: this.exec }, sequenceId, userId);
  }

  async readValues(sync: HubSpotSyncTarget, recordIds: string[], properties: string[]): Promise<Map<string, Record<string, string | null>>> {
    return readRecordValues({ apis: this.apis, exec: this.exec }, sync, recordIds, properties);
  }

  async modifiedSince(sync: HubSpotSyncTarget, since: Date, limit: number, skip: ReadonlyArray<TimeWindow> = []): Promise<Set<string> | null> {
    return searchModifiedSince({ apis: this.apis, exec: this.exec }, sync.object, since, limit, skip);
  }

  holds(mapping: PropertyMapping, held: string | null | undefined, value: Value): boolean {
    return holdsValue(mapping, held, value);
  }

  private associationContext() {
    return { apis: this.apis, exec: this.exec, concurrency: this.options.concurrency ?? RETRY_DEFAULTS.concurrency, labels: this.associationLabels };
  }
}

export async function createHubSpotDestination(options: HubSpotDestinationOptions): Promise<HubSpotDestination> {
  return new HubSpotDestination(options);
}
