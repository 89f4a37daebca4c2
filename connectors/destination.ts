/**
 * The destination contract. The runner hands a destination a change set per
 * sync; the destination answers one outcome per change. Only a failure of the
 * whole run (auth, daily limit, out of retries) throws.
 */
import type { PropertyMapping } from '../contracts/config.ts';
import type { Value } from './warehouse.ts';

/**
 * What every destination knows of a sync: where its rows go and how they are written. Not the
 * model, the key column, guardrails or associations, which are the runner's business. A
 * destination reads its own settings of the sync (the runner passes the sync's whole config) through
 * a type of its own that extends this one.
 */
export interface SyncTarget {
  /** The sync's name in pqlsync.yml. */
  name: string;
  /** The destination's object type the records are written as. */
  object: string;
  /** upsert: create or update; update: never create; insert_once: each key written once (events). */
  mode: 'upsert' | 'update' | 'insert_once';
  properties: PropertyMapping[];
  /** A rollback asked with --allow-stage-back: a value of an ordered field (a stage) may move back. */
  allowStageBack?: boolean;
  /**
   * Every change updates the record it names by `recordId` (a rollback): nothing is created or
   * looked up by identity; a record gone from the destination answers NOT_FOUND.
   */
  updateByIdOnly?: boolean;
}

/**
 * The record id state keeps for a record someone deleted in the destination, which the sync
 * leaves deleted (the sync says so): no destination id looks like it.
 */
export function deletedRecordId(id: string): string {
  return id.startsWith(DELETED_PREFIX) ? id : `${DELETED_PREFIX}${id}`;
}
export function isDeletedRecordId(id: string | null | undefined): boolean {
  return !!id && id.startsWith(DELETED_PREFIX);
}
export const DELETED_PREFIX = 'deleted:';

export type ChangeKind =
  /** A row never delivered before (no record id known). */
  | 'new'
  /** A row whose mapped values changed since it was last delivered. */
  | 'changed'
  /** A row that left the model and whose properties are to be emptied (on_removed: clear). */
  | 'clear';

export interface Change {
  /** The sync's key: a normalised email (contacts) or domain (companies). */
  key: string;
  kind: ChangeKind;
  /** The destination record id from sync state, when known. */
  recordId: string | null;
  /** Model column → value, for every mapped column (clear: ignored, all properties emptied). */
  values: Record<string, Value>;
  /**
   * `values` holds only the columns to write; the properties of the other columns are left as
   * the destination holds them (a rollback puts back only what a run changed).
   */
  partial?: boolean;
  /**
   * Set by the runner for a sync whose records the destination creates without a unique identity
   * (`createsThrough`), after it recorded the intent to create this record: the id of the record
   * it is created associated with (null: that record has no id yet, so this one waits), and
   * whether an earlier attempt recorded its intent too (it may exist: look before creating).
   */
  journal?: { parentId: string | null; attempted: boolean };
}

export type Outcome =
  | { key: string; ok: true; recordId: string }
  | {
      key: string;
      ok: false;
      /** e.g. INVALID_EMAIL, INVALID_OPTION, INVALID_NUMBER, VALIDATION_ERROR, RETRIES_EXHAUSTED */
      category: string;
      /** The property at fault, when known. */
      property: string | null;
      message: string;
    };

/** Which association a batch of pairs is: between the records of two object types. */
export interface AssociationKind {
  from: string;
  to: string;
  /** The destination's primary association between the two types rather than the plain one. */
  primary: boolean;
}

/** One pair of records to associate or dissociate, by their record ids. */
export interface AssociationPair {
  fromId: string;
  toId: string;
}

export type PairOutcome = { pair: AssociationPair; ok: true } | { pair: AssociationPair; ok: false; category: string; message: string };

/** A stretch of time, both ends included. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

export interface DestinationStats {
  /** HTTP requests made (every attempt counts, search included). */
  requests: number;
  /** Records written successfully. */
  recordsWritten: number;
}

/** One sync's records in the destination (Destination.writer). */
export interface SyncWriter {
  /** Creates or checks this sync's properties (Destination.ensureProperties, for this sync alone). */
  ensureProperties(): Promise<void>;
  /**
   * Delivers a page of changes (any size; batched internally by 100) and answers
   * one outcome per change, in any order. Throws only for whole-run failures:
   * AuthError (401/403), DestinationError (daily limit, retries exhausted on every record).
   */
  send(changes: Change[]): Promise<Outcome[]>;
  /**
   * Known once `ensureProperties` ran: null when a retried create cannot duplicate a record (an
   * upsert by a unique identity). Otherwise the object type each new record is created associated
   * with and found back through: the runner then records the intent of every create before `send`
   * and fills `Change.journal` (docs/hubspot.md, "Tasks and unique values").
   */
  createsThrough?(): string | null;
}

export interface Destination {
  /**
   * Creates or checks the property group and every mapped property. Throws a
   * DestinationError naming the property when an existing one conflicts in type
   * or lacks an option, before any row is sent.
   */
  ensureProperties(syncs: SyncTarget[]): Promise<void>;
  /**
   * The writer of one sync's records, bound to it: the destination resolves once what the sync means
   * to it (identity, how its object type is written), and the runner then hands it pages only.
   */
  writer(sync: SyncTarget): SyncWriter;
  /**
   * Associates pairs of records (any number; batched internally) and answers one outcome per
   * pair. Associating a pair twice is harmless. Throws only for whole-run failures, as send.
   */
  associate(kind: AssociationKind, pairs: AssociationPair[]): Promise<PairOutcome[]>;
  /** Removes the associations of these pairs (pairs not associated are ignored). */
  dissociate(kind: AssociationKind, pairs: AssociationPair[]): Promise<PairOutcome[]>;
  /**
   * The id of the account the credentials reach (a portal id, an account id). Sync state belongs to
   * one account: a run against another must never take that state for its own. Throws AuthError
   * for credentials the destination refuses, so a bad token shows even when nothing changed.
   */
  accountId(): Promise<string>;
  /**
   * The values the destination holds for `properties` on records of the sync's object, by record id (a
   * record it no longer has is absent). Throws when it cannot know.
   */
  readValues?(sync: SyncTarget, recordIds: string[], properties: string[]): Promise<Map<string, Record<string, string | null>>>;
  /**
   * Ids of the sync's records that changed in the destination after `since` (by anyone: people,
   * workflows, pqlsync), or null when there are more than `limit` (reading them all is then
   * cheaper). Costs no write budget (HubSpot answers it with search, outside its 10-second window). A
   * change made moments before the call may be missing (a search index that lags writes). Throws when it cannot know.
   * `skip`: windows when pqlsync itself was writing that object type; changes dated inside them
   * are not asked about (the destination may search a few of them anyway: more, never fewer).
   */
  modifiedSince?(sync: SyncTarget, since: Date, limit: number, skip?: ReadonlyArray<TimeWindow>): Promise<Set<string> | null>;
  /** Whether `held` (as readValues answers it) is what sending `value` for this property writes. Pure. */
  holds?(mapping: PropertyMapping, held: string | null | undefined, value: Value): boolean;
  readonly stats: DestinationStats;
  /**
   * The portal's daily budget as its last answer reported it (shared by every app of the portal),
   * null before any answer said.
   */
  dailyBudget?(): { remaining: number; limit: number } | null;
}

/** What one run of a sync would send, as `plan` counts it in the warehouse: what a request estimate needs. */
export interface SendWorkload {
  /** Records without a record id: created, or found first (by email, by domain). */
  new: number;
  /** Records updated by the record id state holds. */
  known: number;
  /** Records whose properties are cleared (rows that left the model, on_removed: clear). */
  cleared: number;
  /** The sync has never delivered: its properties (and pipeline) may need creating. */
  firstSync: boolean;
  /** Per association of the sync: pairs to write (including pairs waiting for this run's records) and to remove. */
  associations: Array<{ to: string; write: number; remove: number }>;
}

/** Requests a sync's run is expected to make, by kind. */
export interface RequestEstimate {
  /** Property (and pipeline) checks and creation, once per run that sends anything. */
  setup: number;
  /** Reads before writing: records found by email or domain, values a write policy or a stage needs. */
  reads: number;
  /** Batch writes of the records. */
  writes: number;
  /** Association label reads, batch creates and removals. */
  associations: number;
  total: number;
}

export type { PropertyMapping };

/**
 * Outcomes a `send` obtained before it threw (e.g. the daily limit hit mid-page): a
 * destination error may carry them as `outcomes`, so the runner commits what landed.
 */
export function outcomesBeforeFailure(error: unknown): Outcome[] {
  const outcomes = (error as { outcomes?: unknown } | null)?.outcomes;
  return Array.isArray(outcomes) ? (outcomes as Outcome[]) : [];
}
