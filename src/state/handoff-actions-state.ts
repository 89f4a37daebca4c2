/**
 * What the handoff did outside the CRM records, per episode (src/handoff/sequences.ts and
 * src/handoff/slack-messages.ts), kept in the state schema beside the episodes (this module owns
 * it): `handoff_actions`, one row per (action, episode):
 *
 * - action 'sequence': the contact's enrolment. status `enrolled` (by pqlsync, or found enrolled
 *   in this very sequence after a run was killed between HubSpot's answer and this record),
 *   `already_enrolled` (in another sequence: HubSpot allows one at a time), or `error` (refused:
 *   an owner without a seat, say), with the owner it was tried for.
 * - action 'slack': the message about the episode. status `pending` (about to be posted: the
 *   outcome is not known until the answer is recorded), `sent` (with the channel and the
 *   message's ts), or `error` (the owner has no Slack user, the channel refused...).
 *
 * An episode with a row other than `pending` is never acted on again, except an `error` whose
 * owner has changed since. So a rerun makes no request, and a refusal is a row error once,
 * never a retry loop.
 */
import type { Row, TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import { EPISODES, ASSIGNMENTS } from './handoff-state.ts';

export const ACTIONS = 'handoff_actions';

export type HandoffAction = 'sequence' | 'slack';
export type ActionStatus = 'enrolled' | 'already_enrolled' | 'sent' | 'pending' | 'error';

/** One episode's action, as recorded. */
export interface ActionRecord {
  episodeKey: string;
  recordKey: string;
  signal: string;
  /** The sequence id, or the Slack recipient (an owner's email, or a channel id). */
  target: string;
  ownerId: string | null;
  ownerEmail: string | null;
  status: ActionStatus;
  /** The enrolment id, or the Slack message's ts. */
  externalId: string | null;
  /** The Slack channel the message went to. */
  channel: string | null;
  category: string | null;
  message: string | null;
}

/** An episode the handoff may act on, with what it needs to know. */
export interface ActionCandidate {
  episodeKey: string;
  /** The person: their product user id (or their email, for a signals model without user_id). */
  recordKey: string;
  /** Who, for people to read: the person's current email when the signals model has it, else the key. */
  display: string;
  signal: string;
  routeGroup: string | null;
  ownerId: string | null;
  ownerEmail: string | null;
  taskSubject: string | null;
  taskBody: string | null;
  /** HubSpot record ids from sync state, when delivered. */
  contactId: string | null;
  companyId: string | null;
  dealId: string | null;
  /** 'pending' when a killed run left it so. */
  priorStatus: ActionStatus | null;
}

export interface CandidateQuery {
  action: HandoffAction;
  asOf: string;
  /** Signals that qualify: exact names, or a prefix ending in '*'. */
  signals: string[];
  /** Route groups (motions) that qualify; all when absent. */
  routeGroups?: string[];
  skipFirstRun: boolean;
  /** The signals model with user_id and email: the person's current email is read from it (for display). */
  people?: TableName;
  /** Syncs whose state holds the record ids of contacts, companies and deals. */
  recordSyncs: { contacts: string[]; companies: string[]; deals: string[] };
}

export class HandoffActionStore {
  constructor(
    private readonly warehouse: Warehouse,
    readonly stateSchema: string,
  ) {}

  private t(name: string): string {
    return this.warehouse.dialect.table({ schema: this.stateSchema, name });
  }

  async ensureTables(): Promise<void> {
    const { string: s, integer: i, timestamp: ts } = this.warehouse.dialect.types;
    await this.warehouse.execute(this.warehouse.dialect.createSchema(this.stateSchema));
    await this.warehouse.execute(
      `create table if not exists ${this.t(ACTIONS)} (
        action ${s}, episode_key ${s}, record_key ${s}, signal ${s}, target ${s}, owner_id ${s}, owner_email ${s},
        status ${s}, external_id ${s}, channel ${s}, category ${s}, message ${s}, attempts ${i}, run_id ${s}, updated_at ${ts})`,
    );
  }

  /**
   * Episodes true now (last seen at `asOf`) whose signal qualifies and that the action has not
   * finished: no row, a `pending` row, or an `error` row whose owner has changed. In episode-key
   * order, in pages.
   */
  async *candidates(query: CandidateQuery, pageSize = 100): AsyncIterable<ActionCandidate[]> {
    const d = this.warehouse.dialect;
    const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
    const signalTest = query.signals
      .map((s) => (s.endsWith('*') ? `e.signal like ${lit(`${s.slice(0, -1).replace(/[%_]/g, '')}%`)}` : `e.signal = ${lit(s)}`))
      .join(' or ');
    const ids = (syncs: string[], alias: string) =>
      syncs.length === 0
        ? `(select cast(null as ${d.types.string}) as record_key, cast(null as ${d.types.string}) as record_id where 1 = 0) ${alias}`
        : `(select record_key, max(record_id) as record_id from ${this.t('sync_state')} where sync_name in (${syncs.map(lit).join(', ')}) group by record_key) ${alias}`;
    const people = query.people
      ? `(select user_id as person_key, min(email) as email from ${d.table(query.people)} group by user_id) p`
      : `(select cast(null as ${d.types.string}) as person_key, cast(null as ${d.types.string}) as email where 1 = 0) p`;
    const sql = `select e.episode_key, e.record_key, coalesce(p.email, e.record_key) as display, e.signal, e.route_group, a.owner_id, a.owner_email, e.task_subject, e.task_body,
        c.record_id as contact_id, co.record_id as company_id, de.record_id as deal_id, x.status as prior_status
      from ${this.t(EPISODES)} e
      left join ${this.t(ASSIGNMENTS)} a on a.record_key = e.record_key
      left join ${people} on p.person_key = e.record_key
      left join ${ids(query.recordSyncs.contacts, 'c')} on c.record_key = e.record_key
      left join ${ids(query.recordSyncs.companies, 'co')} on co.record_key = e.company_domain
      left join ${ids(query.recordSyncs.deals, 'de')} on de.record_key = e.trial_id
      left join ${this.t(ACTIONS)} x on x.action = ${lit(query.action)} and x.episode_key = e.episode_key
      where e.last_seen = ${d.timestampLiteral(query.asOf)} and (${signalTest})
        ${query.routeGroups ? `and e.route_group in (${query.routeGroups.map(lit).join(', ')})` : ''}
        ${query.skipFirstRun ? 'and e.is_initial = false' : ''}
        and (x.status is null or x.status = 'pending' or (x.status = 'error' and coalesce(x.owner_id, '') <> coalesce(a.owner_id, '')))
      order by e.episode_key`;
    for await (const page of this.warehouse.stream(sql, pageSize)) yield page.map(toCandidate);
  }

  /** Records outcomes (replacing the episodes' earlier rows of this action), in one transaction. */
  async record(action: HandoffAction, records: ActionRecord[], runId: string, at: Date = new Date()): Promise<void> {
    if (records.length === 0) return;
    const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
    const rows: Value[][] = records.map((r) => [
      action, r.episodeKey, r.recordKey, r.signal, r.target, r.ownerId, r.ownerEmail, r.status, r.externalId, r.channel, r.category, r.message, 1, runId, at,
    ]);
    const table: TableName = { schema: this.stateSchema, name: ACTIONS };
    await this.warehouse.transaction(async (tx) => {
      for (let i = 0; i < records.length; i += 200) {
        const keys = records.slice(i, i + 200).map((r) => lit(r.episodeKey));
        await tx.execute(`delete from ${this.t(ACTIONS)} where action = ${lit(action)} and episode_key in (${keys.join(', ')})`);
      }
      await tx.insertRows(
        table,
        ['action', 'episode_key', 'record_key', 'signal', 'target', 'owner_id', 'owner_email', 'status', 'external_id', 'channel', 'category', 'message', 'attempts', 'run_id', 'updated_at'],
        rows,
      );
    });
  }

  /** Slack messages left `pending` by a run that did not record their answer, by channel. */
  async pending(action: HandoffAction): Promise<Array<ActionRecord & { updatedAt: string }>> {
    const rows = await this.warehouse.query({
      sql: `select * from ${this.t(ACTIONS)} where action = ? and status = 'pending' order by channel, episode_key`,
      values: [action],
    });
    return rows.map((r) => ({ ...toRecord(r), updatedAt: new Date(String(r.updated_at instanceof Date ? r.updated_at.toISOString() : r.updated_at)).toISOString() }));
  }

  /** Forgets pending rows whose message was not found: they are candidates again. */
  async forget(action: HandoffAction, episodeKeys: string[]): Promise<void> {
    const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
    for (let i = 0; i < episodeKeys.length; i += 200) {
      await this.warehouse.execute(`delete from ${this.t(ACTIONS)} where action = ${lit(action)} and status = 'pending' and episode_key in (${episodeKeys.slice(i, i + 200).map(lit).join(', ')})`);
    }
  }

  /** The as-of of the last handoff (the latest sighting of any episode), or null before the first. */
  async lastHandoffAt(): Promise<string | null> {
    if (!(await this.warehouse.describe({ schema: this.stateSchema, name: EPISODES }))) return null;
    if (!(await this.warehouse.describe({ schema: this.stateSchema, name: ACTIONS }))) await this.ensureTables();
    const [row] = await this.warehouse.query(`select max(last_seen) as at from ${this.t(EPISODES)}`);
    const at = row?.at;
    if (at === null || at === undefined) return null;
    return (at instanceof Date ? at : new Date(String(at))).toISOString();
  }

  /** Counts per action and status (`status`, `plan`). */
  async counts(): Promise<Array<{ action: string; status: string; n: number }>> {
    if (!(await this.warehouse.describe({ schema: this.stateSchema, name: ACTIONS }))) return [];
    const rows = await this.warehouse.query(`select action, status, count(*) as n from ${this.t(ACTIONS)} group by action, status order by action, status`);
    return rows.map((r) => ({ action: String(r.action), status: String(r.status), n: Number(r.n) }));
  }

  /** The actions refused (row errors of the handoff), newest first. */
  async errors(limit = 50): Promise<Row[]> {
    if (!(await this.warehouse.describe({ schema: this.stateSchema, name: ACTIONS }))) return [];
    return this.warehouse.query(
      `select action, record_key, signal, owner_email, category, message, run_id, updated_at from ${this.t(ACTIONS)} where status = 'error' order by updated_at desc, episode_key limit ${Math.max(1, Math.floor(limit))}`,
    );
  }

  /** Rows recorded by one run, per action and status (the run's summary and its alert). */
  async runCounts(runId: string): Promise<Array<{ action: string; status: string; n: number }>> {
    if (!(await this.warehouse.describe({ schema: this.stateSchema, name: ACTIONS }))) return [];
    const rows = await this.warehouse.query({ sql: `select action, status, count(*) as n from ${this.t(ACTIONS)} where run_id = ? group by action, status`, values: [runId] });
    return rows.map((r) => ({ action: String(r.action), status: String(r.status), n: Number(r.n) }));
  }
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toCandidate(r: Row): ActionCandidate {
  return {
    episodeKey: String(r.episode_key),
    recordKey: String(r.record_key),
    display: String(r.display ?? r.record_key),
    signal: String(r.signal),
    routeGroup: text(r.route_group),
    ownerId: text(r.owner_id),
    ownerEmail: text(r.owner_email),
    taskSubject: text(r.task_subject),
    taskBody: text(r.task_body),
    contactId: text(r.contact_id),
    companyId: text(r.company_id),
    dealId: text(r.deal_id),
    priorStatus: text(r.prior_status) as ActionStatus | null,
  };
}

function toRecord(r: Row): ActionRecord {
  return {
    episodeKey: String(r.episode_key),
    recordKey: String(r.record_key),
    signal: String(r.signal),
    target: String(r.target),
    ownerId: text(r.owner_id),
    ownerEmail: text(r.owner_email),
    status: String(r.status) as ActionStatus,
    externalId: text(r.external_id),
    channel: text(r.channel),
    category: text(r.category),
    message: text(r.message),
  };
}
