/**
 * Handoff state, kept in the warehouse's state schema like sync state (this module owns it):
 *
 * - `signal_episodes`: one row per episode of a (contact, signal): when it started, when it was
 *   last seen, and, for signals that make a task, the task as it stood when the episode began
 *   (subject, body, priority, due time, owner group, company and deal keys). Like a dbt
 *   snapshot, built across runs: a signal seen again within `hysteresis_days` of its last
 *   sighting continues its episode; after a longer absence it starts a new one. So a score
 *   flickering around a threshold makes one episode, and `pql_tier_since` (the start of the
 *   current tier's episode) does not move with it.
 * - `owner_assignments`: one row per contact pqlsync routed: the owner, the group, and whether
 *   HubSpot already had that owner ('hubspot': kept, never replaced) or pqlsync chose it
 *   ('round_robin'). Stable: a contact is assigned once and keeps its owner across runs and retries.
 *
 * Every step is idempotent at a given as-of, so a rerun after a crash or a kill repairs what
 * the killed run left half done.
 */
import type { TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import { runTable, syncTable } from './run-tables.ts';

export const EPISODES = 'signal_episodes';
export const ASSIGNMENTS = 'owner_assignments';

/** The views the handoff syncs read, created in the models schema. */
export const HANDOFF_VIEWS = { tasks: 'handoff_tasks', owners: 'handoff_owners', contacts: 'handoff_contacts' } as const;

export interface EpisodeUpdate {
  /** Episodes that continued (the signal is still true, or came back within the hysteresis). */
  continued: number;
  /** Episodes that started in this run. */
  started: number;
  /** True when this was the first run (no episode existed before). */
  firstRun: boolean;
}

/**
 * The column of the signals model that identifies a person: the product's user id when the model
 * has one (an email is a value that changes), else the email (a signals model written before
 * contacts were keyed by user id). Episodes, owner assignments and task keys are keyed by it.
 */
export type PersonColumn = 'user_id' | 'email';

export async function personColumn(warehouse: Warehouse, model: TableName): Promise<PersonColumn | null> {
  const columns = await warehouse.describe(model);
  if (!columns) return null;
  return columns.some((c) => c.name.toLowerCase() === 'user_id') ? 'user_id' : 'email';
}

export interface OwnerSlot {
  group: string;
  ownerId: string;
  email: string;
}

export class HandoffStore {
  constructor(
    private readonly warehouse: Warehouse,
    readonly stateSchema: string,
    readonly modelsSchema: string,
  ) {}

  private t(name: string): string {
    return this.warehouse.dialect.table({ schema: this.stateSchema, name });
  }

  async ensureTables(): Promise<void> {
    const { string: s, timestamp: ts, float: f, boolean: b } = this.warehouse.dialect.types;
    await this.warehouse.execute(this.warehouse.dialect.createSchema(this.stateSchema));
    await this.warehouse.execute(
      `create table if not exists ${this.t(EPISODES)} (
        record_key ${s}, signal ${s}, episode_key ${s}, episode_start ${ts}, last_seen ${ts}, is_initial ${b},
        task_subject ${s}, task_body ${s}, task_priority ${s}, task_type ${s}, due_at_ms ${f}, route_group ${s}, company_domain ${s}, trial_id ${s}, run_id ${s})`,
    );
    await this.warehouse.execute(
      `create table if not exists ${this.t(ASSIGNMENTS)} (
        record_key ${s}, route_group ${s}, owner_id ${s}, owner_email ${s}, source ${s}, assigned_at ${ts}, run_id ${s})`,
    );
  }

  /**
   * Brings the episodes up to `asOf` from the signals model (email, signal, task_subject,
   * task_body, task_priority, task_type, response_hours, route_group, company_domain, trial_id), in one
   * transaction: continue every episode whose signal is true now and was last seen within
   * `hysteresisDays`; start one for every other true signal. A task's due time is the episode's
   * start plus its response window.
   */
  async updateEpisodes(model: TableName, asOf: string, hysteresisDays: number, runId: string, person: PersonColumn = 'email'): Promise<EpisodeUpdate> {
    const d = this.warehouse.dialect;
    const m = d.table(model);
    const k = d.quote(person);
    const episodes = this.t(EPISODES);
    const now = d.timestampLiteral(asOf);
    const since = d.macros.add_days(now, String(-hysteresisDays));
    const [before] = await this.warehouse.query(`select count(*) as n from ${episodes}`);
    const firstRun = Number(before.n) === 0;
    const open = `${EPISODES}.last_seen >= ${since} and ${EPISODES}.last_seen <= ${now}`;
    const [counts] = await this.warehouse.query(
      `select count(*) as n from ${m} sig where exists (
         select 1 from ${episodes} e where e.record_key = sig.${k} and e.signal = sig.signal and e.last_seen >= ${since} and e.last_seen <= ${now})`,
    );
    const startMs = Date.parse(asOf);
    if (Number.isNaN(startMs)) throw new Error(`updateEpisodes: as-of ${asOf} is not an ISO instant`);
    // The episode's start in its key, as text: a literal (PostgreSQL cannot type a parameter inside concat).
    const startLiteral = `'${new Date(startMs).toISOString()}'`;
    await this.warehouse.transaction(async (tx) => {
      await tx.execute(
        `update ${episodes} set last_seen = ${now}
         where ${open} and exists (select 1 from ${m} s where s.${k} = ${EPISODES}.record_key and s.signal = ${EPISODES}.signal)`,
      );
      await tx.execute({
        sql: `insert into ${episodes} (record_key, signal, episode_key, episode_start, last_seen, is_initial,
            task_subject, task_body, task_priority, task_type, due_at_ms, route_group, company_domain, trial_id, run_id)
          select s.${k}, s.signal, concat(s.${k}, '|', s.signal, '|', ${startLiteral}), ${now}, ${now}, ${firstRun ? 'true' : 'false'},
            s.task_subject, s.task_body, s.task_priority, s.task_type, ${startMs} + s.response_hours * 3600000.0, s.route_group, s.company_domain, s.trial_id, ?
          from ${m} s
          where s.${k} is not null and s.signal is not null and not exists (
            select 1 from ${episodes} e where e.record_key = s.${k} and e.signal = s.signal and e.last_seen >= ${since} and e.last_seen <= ${now})`,
        values: [runId],
      });
    });
    const [after] = await this.warehouse.query(`select count(*) as n from ${episodes}`);
    return { continued: Number(counts.n), started: Number(after.n) - Number(before.n), firstRun };
  }

  /**
   * The upgrade from email keys (docs/handoff.md, "People, not emails"): episodes, owner
   * assignments and handoff actions recorded while the handoff keyed people by email are re-keyed
   * to the person's user id. An old email key is matched to the person whose current email it is
   * (the signals model) or, for an email that changed since, to the person whose contact has the
   * same HubSpot record id in the state of the contacts syncs (`contactSyncs`: one keyed by email,
   * one by user id). Episode keys stay as they were, so the task keys and the actions' rows do:
   * an episode carried over continues and makes no second task, enrolment or Slack message.
   * Idempotent; a no-op (one count) once no email key is left. Returns the episodes re-keyed.
   */
  async adoptEmailKeys(model: TableName, contactSyncs: string[], runId: string): Promise<number> {
    const d = this.warehouse.dialect;
    const m = d.table(model);
    const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
    const emailKeyed = `record_key like '%@%' and record_key not in (select user_id from ${m} where user_id is not null)`;
    const [left] = await this.warehouse.query(
      `select (select count(*) from ${this.t(EPISODES)} where ${emailKeyed}) + (select count(*) from ${this.t(ASSIGNMENTS)} where ${emailKeyed}) as n`,
    );
    if (Number(left.n) === 0) return 0;
    const byRecordId =
      contactSyncs.length > 0 && (await this.warehouse.describe({ schema: this.stateSchema, name: 'sync_state' }))
        ? `union all
           select a.record_key as email_key, b.record_key as user_id
           from ${this.t('sync_state')} a join ${this.t('sync_state')} b on b.record_id = a.record_id
           where a.sync_name in (${contactSyncs.map(lit).join(', ')}) and b.sync_name in (${contactSyncs.map(lit).join(', ')})
             and a.record_key like '%@%' and a.record_id is not null and b.record_key in (select user_id from ${m})`
        : '';
    const mapping = runTable(this.stateSchema, 'handoff_rekey', runId);
    await this.warehouse.execute(`drop table if exists ${d.table(mapping)}`);
    await this.warehouse.execute(
      d.createTableAs(
        mapping,
        `select email_key, min(user_id) as user_id from (
           select s.email as email_key, s.user_id from ${m} s where s.email is not null and s.user_id is not null
           ${byRecordId}
         ) x
         where email_key not in (select user_id from ${m} where user_id is not null)
         group by email_key`,
        'table',
      ),
    );
    try {
      const [n] = await this.warehouse.query(`select count(*) as n from ${this.t(EPISODES)} e join ${d.table(mapping)} mp on mp.email_key = e.record_key`);
      const hasActions = await this.warehouse.describe({ schema: this.stateSchema, name: 'handoff_actions' });
      await this.warehouse.transaction(async (tx) => {
        for (const table of [EPISODES, ASSIGNMENTS, ...(hasActions ? ['handoff_actions'] : [])]) {
          await tx.execute(
            `update ${this.t(table)} set record_key = (select mp.user_id from ${d.table(mapping)} mp where mp.email_key = ${table}.record_key)
             where record_key in (select email_key from ${d.table(mapping)})`,
          );
        }
      });
      return Number(n.n);
    } finally {
      await this.warehouse.execute(`drop table if exists ${d.table(mapping)}`);
    }
  }

  /**
   * The upgrade of the handoff's contact syncs (`syncs`: contact_owners, contact_tiers) from email
   * keys to user ids (docs/handoff.md, "People, not emails"): their sync state, row errors and
   * delivered snapshot were keyed by the contact's email; each email key is re-keyed to its
   * person's user id, keeping the row hash and the record id, so an owner or a tier date already
   * delivered is not sent again (and a rep's hand-made change of owner is not overwritten).
   *
   * An email key is matched, first, through the record id: the contact it was delivered to is the
   * contact the state of another contacts sync keyed by user id (`contactSyncs`: the contacts
   * sync) holds for a person of the signals model, so an email that changed since still finds its
   * person; else to the person whose current email it is (the signals model). Two email keys of
   * one person (an email change seen while keyed by email) keep the one delivered last; the other
   * is forgotten, never cleared. A key already held by user id is kept and the email row
   * forgotten. Row errors of re-keyed keys are dropped: the row is diffed again by its user id.
   * An email key matching nobody is left as it was (a person no longer in the model: the sync
   * treats it as removed).
   * Idempotent; one count once no email key is left. Returns the rows re-keyed and forgotten.
   */
  async adoptEmailKeyedSyncState(model: TableName, syncs: string[], contactSyncs: string[], runId: string): Promise<{ rekeyed: number; forgotten: number }> {
    const none = { rekeyed: 0, forgotten: 0 };
    if (syncs.length === 0 || !(await this.warehouse.describe({ schema: this.stateSchema, name: 'sync_state' }))) return none;
    const d = this.warehouse.dialect;
    const m = d.table(model);
    const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
    const state = this.t('sync_state');
    const people = `(select user_id from ${m} where user_id is not null)`;
    const emailKeyed = `sync_name in (${syncs.map(lit).join(', ')}) and record_key like '%@%' and record_key not in ${people}`;
    const [left] = await this.warehouse.query(`select count(*) as n from ${state} where ${emailKeyed}`);
    if (Number(left.n) === 0) return none;
    const others = contactSyncs.filter((c) => !syncs.includes(c));
    const mapping = runTable(this.stateSchema, 'handoff_rekey_state', runId);
    const mp = d.table(mapping);
    await this.warehouse.execute(`drop table if exists ${mp}`);
    await this.warehouse.execute(
      d.createTableAs(
        mapping,
        `with old as (
           select sync_name, record_key, record_id, synced_at from ${state} where ${emailKeyed}
         ),
         by_id as (
           select o.sync_name, o.record_key as email_key, min(b.record_key) as user_id
           from old o join ${state} b on b.record_id = o.record_id
           where ${others.length > 0 ? `b.sync_name in (${others.map(lit).join(', ')})` : '1 = 0'}
             and o.record_id is not null and b.record_key in ${people}
           group by o.sync_name, o.record_key
         ),
         by_email as (
           select o.sync_name, o.record_key as email_key, min(s.user_id) as user_id
           from old o join ${m} s on lower(s.email) = lower(o.record_key)
           where s.user_id is not null
             and not exists (select 1 from by_id b where b.sync_name = o.sync_name and b.email_key = o.record_key)
           group by o.sync_name, o.record_key
         ),
         pairs as (select sync_name, email_key, user_id from by_id union all select sync_name, email_key, user_id from by_email),
         ranked as (
           select p.sync_name, p.email_key, p.user_id,
             row_number() over (partition by p.sync_name, p.user_id order by o.synced_at desc, p.email_key) as rn
           from pairs p join old o on o.sync_name = p.sync_name and o.record_key = p.email_key
         )
         select r.sync_name, r.email_key, r.user_id,
           case when r.rn = 1 and not exists (select 1 from ${state} x where x.sync_name = r.sync_name and x.record_key = r.user_id) then 1 else 0 end as keep
         from ranked r`,
        'table',
      ),
    );
    try {
      const [counts] = await this.warehouse.query(`select coalesce(sum(keep), 0) as k, count(*) as n from ${mp}`);
      const snapshots: Array<{ sync: string; table: string; ref: string }> = [];
      for (const sync of syncs) {
        const table = syncTable(this.stateSchema, 'delivered', sync);
        if (await this.warehouse.describe(table)) snapshots.push({ sync, table: d.table(table), ref: d.quote(table.name) });
      }
      const match = (table: string, sync: string, keep: string) =>
        `exists (select 1 from ${mp} r where r.sync_name = ${sync} and r.email_key = ${table}.record_key${keep})`;
      const newKey = (table: string, sync: string) => `(select r.user_id from ${mp} r where r.sync_name = ${sync} and r.email_key = ${table}.record_key and r.keep = 1)`;
      await this.warehouse.transaction(async (tx) => {
        await tx.execute(`delete from ${state} where ${match('sync_state', 'sync_state.sync_name', ' and r.keep = 0')}`);
        await tx.execute(`update ${state} set record_key = ${newKey('sync_state', 'sync_state.sync_name')} where ${match('sync_state', 'sync_state.sync_name', ' and r.keep = 1')}`);
        await tx.execute(`delete from ${this.t('row_errors')} where ${match('row_errors', 'row_errors.sync_name', '')}`);
        for (const { sync, table, ref } of snapshots) {
          await tx.execute(`delete from ${table} where ${match(ref, lit(sync), ' and r.keep = 0')}`);
          await tx.execute(`update ${table} set record_key = ${newKey(ref, lit(sync))} where ${match(ref, lit(sync), ' and r.keep = 1')}`);
        }
      });
      return { rekeyed: Number(counts.k), forgotten: Number(counts.n) - Number(counts.k) };
    } finally {
      await this.warehouse.execute(`drop table if exists ${mp}`);
    }
  }

  /** Contacts with a task-making signal true now and no assignment yet, by group: a run-private table. */
  async createCandidates(model: TableName, runId: string, person: PersonColumn = 'email'): Promise<{ table: TableName; count: number }> {
    const d = this.warehouse.dialect;
    const k = d.quote(person);
    const table = runTable(this.stateSchema, 'handoff_candidates', runId);
    await this.warehouse.execute(`drop table if exists ${d.table(table)}`);
    await this.warehouse.execute(
      d.createTableAs(
        table,
        `select s.${k} as record_key, min(s.email) as email, min(s.route_group) as route_group
         from ${d.table(model)} s
         where s.task_subject is not null and s.${k} is not null
           and not exists (select 1 from ${this.t(ASSIGNMENTS)} a where a.record_key = s.${k})
         group by s.${k}`,
        'table',
      ),
    );
    const [row] = await this.warehouse.query(`select count(*) as n from ${d.table(table)}`);
    return { table, count: Number(row.n) };
  }

  /** Candidates (person key and current email), in pages (for reading their HubSpot owners, by email). */
  async *candidatePages(table: TableName, pageSize: number): AsyncIterable<Array<{ key: string; email: string | null }>> {
    const d = this.warehouse.dialect;
    let carry: Array<{ key: string; email: string | null }> = [];
    for await (const page of this.warehouse.stream(`select record_key, email from ${d.table(table)} order by record_key`, pageSize)) {
      carry.push(...page.map((r) => ({ key: String(r.record_key), email: r.email === null || r.email === undefined ? null : String(r.email) })));
      while (carry.length >= pageSize) {
        yield carry.slice(0, pageSize);
        carry = carry.slice(pageSize);
      }
    }
    if (carry.length > 0) yield carry;
  }

  /** Records owners HubSpot already holds: kept as they are ('hubspot'). Idempotent. */
  async keepHubSpotOwners(candidates: TableName, owners: Map<string, { id: string; email: string }>, asOf: string, runId: string): Promise<void> {
    if (owners.size === 0) return;
    const d = this.warehouse.dialect;
    const rows: Value[][] = [...owners].map(([key, o]) => [key, o.id, o.email]);
    const kept = runTable(this.stateSchema, 'handoff_kept', runId);
    const { string: s } = d.types;
    await this.warehouse.execute(`drop table if exists ${d.table(kept)}`);
    await this.warehouse.execute(`create table ${d.table(kept)} (record_key ${s}, owner_id ${s}, owner_email ${s})`);
    try {
      await this.warehouse.insertRows(kept, ['record_key', 'owner_id', 'owner_email'], rows);
      await this.warehouse.execute({
        sql: `insert into ${this.t(ASSIGNMENTS)} (record_key, route_group, owner_id, owner_email, source, assigned_at, run_id)
          select c.record_key, c.route_group, k.owner_id, k.owner_email, 'hubspot', ${d.timestampLiteral(asOf)}, ?
          from ${d.table(candidates)} c join ${d.table(kept)} k on k.record_key = c.record_key
          where not exists (select 1 from ${this.t(ASSIGNMENTS)} a where a.record_key = c.record_key)`,
        values: [runId],
      });
    } finally {
      await this.warehouse.execute(`drop table if exists ${d.table(kept)}`);
    }
  }

  /**
   * Assigns every candidate still without an owner, round robin within its group: the group's
   * owners in the order given, continuing from the number of records the group was assigned by
   * round robin before, so counts stay even (±1) across runs while the group is unchanged.
   * Candidates are taken in key order, so a rerun assigns the same owners. Idempotent.
   */
  async assignRoundRobin(candidates: TableName, slots: OwnerSlot[], asOf: string, runId: string): Promise<number> {
    const d = this.warehouse.dialect;
    const q = d.quote;
    const groups = [...new Set(slots.map((s) => s.group))];
    if (groups.length === 0) return 0;
    const done = await this.warehouse.query(
      `select route_group, count(*) as n from ${this.t(ASSIGNMENTS)} where source = 'round_robin' group by route_group`,
    );
    const start = new Map(done.map((r) => [String(r.route_group), Number(r.n)]));
    const ownersTable = runTable(this.stateSchema, 'handoff_slots', runId);
    const { string: s, integer: i } = d.types;
    await this.warehouse.execute(`drop table if exists ${d.table(ownersTable)}`);
    await this.warehouse.execute(`create table ${d.table(ownersTable)} (route_group ${s}, idx ${i}, n ${i}, start_at ${i}, owner_id ${s}, owner_email ${s})`);
    try {
      const rows: Value[][] = [];
      for (const group of groups) {
        const inGroup = slots.filter((slot) => slot.group === group);
        inGroup.forEach((slot, idx) => rows.push([group, idx, inGroup.length, start.get(group) ?? 0, slot.ownerId, slot.email]));
      }
      await this.warehouse.insertRows(ownersTable, ['route_group', 'idx', 'n', 'start_at', 'owner_id', 'owner_email'], rows);
      const [before] = await this.warehouse.query(`select count(*) as n from ${this.t(ASSIGNMENTS)}`);
      await this.warehouse.execute({
        sql: `insert into ${this.t(ASSIGNMENTS)} (record_key, route_group, owner_id, owner_email, source, assigned_at, run_id)
          select c.record_key, c.route_group, o.owner_id, o.owner_email, 'round_robin', ${d.timestampLiteral(asOf)}, ?
          from (
            select record_key, route_group, row_number() over (partition by route_group order by record_key) - 1 as ${q('rn')}
            from ${d.table(candidates)} cc
            where not exists (select 1 from ${this.t(ASSIGNMENTS)} a where a.record_key = cc.record_key)
          ) c
          join ${d.table(ownersTable)} o on o.route_group = c.route_group and o.idx = mod(o.start_at + c.${q('rn')}, o.n)`,
        values: [runId],
      });
      const [after] = await this.warehouse.query(`select count(*) as n from ${this.t(ASSIGNMENTS)}`);
      return Number(after.n) - Number(before.n);
    } finally {
      await this.warehouse.execute(`drop table if exists ${d.table(ownersTable)}`);
    }
  }

  /**
   * Forgets round-robin assignments to owners who can no longer be assigned (archived in
   * HubSpot): their contacts are routed again (the records they hold in HubSpot keep them until
   * the new owner is written). Returns how many.
   */
  async releaseInactive(activeOwnerIds: string[]): Promise<number> {
    const list = activeOwnerIds.length > 0 ? activeOwnerIds.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ') : `''`;
    const where = `source = 'round_robin' and owner_id not in (${list})`;
    const [row] = await this.warehouse.query(`select count(*) as n from ${this.t(ASSIGNMENTS)} where ${where}`);
    if (Number(row.n) > 0) await this.warehouse.execute(`delete from ${this.t(ASSIGNMENTS)} where ${where}`);
    return Number(row.n);
  }

  /** Rows that failed on their owner (an owner archived after routing): routing runs again to replace it. */
  async countOwnerErrors(): Promise<number> {
    const [row] = await this.warehouse.query(`select count(*) as n from ${this.t('row_errors')} where property = 'hubspot_owner_id'`);
    return Number(row.n);
  }

  async dropTable(table: TableName): Promise<void> {
    await this.warehouse.execute(`drop table if exists ${this.warehouse.dialect.table(table)}`);
  }

  /**
   * The views the handoff syncs read, in the models schema:
   * - handoff_tasks: one row per task-making episode (never the first run's, when skipped),
   *   keyed `email|signal|episode start`, with the owner routed to the contact;
   * - handoff_owners: the owners pqlsync chose (not the ones HubSpot had), by email;
   * - handoff_contacts: pql_tier_since, the start of the episode of each contact's current tier.
   */
  async createViews(options: { skipFirstRun: boolean; signals?: TableName; person?: PersonColumn }): Promise<void> {
    const d = this.warehouse.dialect;
    const view = (name: string) => ({ schema: this.modelsSchema, name });
    await this.warehouse.execute(d.createSchema(this.modelsSchema));
    // Keyed by user id: the person's current email comes from the signals model (for the syncs
    // that write contacts by email, and for people to read); the key is the user id.
    const byUser = options.person === 'user_id' && options.signals;
    const people = byUser ? `(select user_id, min(email) as email from ${d.table(options.signals!)} group by user_id)` : '';
    await this.warehouse.execute(
      d.createTableAs(
        view(HANDOFF_VIEWS.tasks),
        byUser
          ? `select e.episode_key as task_key, e.record_key as user_id, p.email, e.company_domain, e.trial_id, e.signal,
               e.task_subject, e.task_body, e.task_priority, e.due_at_ms, e.task_type, a.owner_id
             from ${this.t(EPISODES)} e
             left join ${this.t(ASSIGNMENTS)} a on a.record_key = e.record_key
             left join ${people} p on p.user_id = e.record_key
             where e.task_subject is not null${options.skipFirstRun ? ' and e.is_initial = false' : ''}`
          : `select e.episode_key as task_key, e.record_key as email, e.company_domain, e.trial_id, e.signal,
               e.task_subject, e.task_body, e.task_priority, e.due_at_ms, e.task_type, a.owner_id
             from ${this.t(EPISODES)} e
             left join ${this.t(ASSIGNMENTS)} a on a.record_key = e.record_key
             where e.task_subject is not null${options.skipFirstRun ? ' and e.is_initial = false' : ''}`,
        'view',
      ),
    );
    await this.warehouse.execute(
      d.createTableAs(
        view(HANDOFF_VIEWS.owners),
        byUser
          ? `select a.record_key as user_id, p.email, a.owner_id from ${this.t(ASSIGNMENTS)} a join ${people} p on p.user_id = a.record_key where a.source = 'round_robin'`
          : `select record_key as email, owner_id from ${this.t(ASSIGNMENTS)} where source = 'round_robin'`,
        'view',
      ),
    );
    const since = `select e.record_key, max(e.episode_start) as pql_tier_since
         from ${this.t(EPISODES)} e
         where e.signal like 'tier:%' and e.last_seen = (select max(last_seen) from ${this.t(EPISODES)} where signal like 'tier:%')
         group by e.record_key`;
    await this.warehouse.execute(
      d.createTableAs(
        view(HANDOFF_VIEWS.contacts),
        byUser
          ? `select t.record_key as user_id, p.email, t.pql_tier_since from (${since}) t join ${people} p on p.user_id = t.record_key`
          : `select record_key as email, pql_tier_since from (${since}) t`,
        'view',
      ),
    );
  }
}
