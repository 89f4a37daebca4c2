/**
 * The handoff, run right before the first handoff sync (declared in src/run/delivery-steps.ts; after the contacts,
 * companies and deals syncs, which it never holds up), under a lock of its own:
 *
 * 1. episodes: the signals model (one row per email and signal true now) is folded into the
 *    episode table, with hysteresis (src/state/handoff-state.ts);
 * 2. owners: every contact with a task-making signal and no owner yet is routed: the owner
 *    HubSpot already holds is kept (read by email, 100 a request); the others go round robin
 *    to the owners of their group in pqlsync.yml (handoff.routing.groups), checked against the
 *    portal's owners: an owner unknown to the portal is a config error, an archived one gets
 *    nothing new and its round-robin contacts are routed again;
 * 3. views: handoff_tasks, handoff_owners and handoff_contacts, which the handoff syncs read.
 *
 * Then the syncs send: contact_owners writes hubspot_owner_id once per assignment, contact_tiers
 * pql_tier_since (both keyed by user id, update-only; their email-keyed state from before is
 * re-keyed here first), and the tasks sync (mode insert_once) one task per episode.
 */
import type { Destination } from '../../connectors/destination.ts';
import { isTextType } from '../../connectors/warehouse.ts';
import { hubspotCapabilities, type HubSpotOwner } from '../../connectors/hubspot/capabilities.ts';
import type { HandoffConfig } from '../config/schema.ts';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import type { Session } from '../run/session.ts';
import { HANDOFF_VIEWS, HandoffStore, personColumn, type OwnerSlot } from '../state/handoff-state.ts';
import type { DeliveryStep } from '../run/delivery-steps.ts';
import { runHandoffActions } from './handoff-actions.ts';

/** The lock name: one handoff at a time per state schema (no sync is named with two underscores first). */
const LOCK = '__handoff';

export interface HandoffResult {
  episodesStarted: number;
  episodesContinued: number;
  firstRun: boolean;
  /** Contacts routed this run: owner kept from HubSpot, or chosen round robin. */
  ownersKept: number;
  ownersAssigned: number;
  /** Round-robin assignments released because their owner was archived. */
  ownersReleased: number;
  /** Contacts whose group has no owners in pqlsync.yml: their tasks go unassigned. */
  unrouted: number;
}

/**
 * Creates the handoff's state tables and the views its syncs read, without moving any episode
 * or routing anyone: `build` calls it, so `plan` can show the handoff syncs before the first
 * sync (what the last handoff prepared; a plan never advances episodes).
 */
export async function ensureHandoffViews(session: Session): Promise<void> {
  const config = session.project.config.handoff;
  if (!config) return;
  const store = new HandoffStore(session.warehouse, session.project.config.state_schema, session.project.config.schema);
  await store.ensureTables();
  const signals = { schema: session.project.config.schema, name: config.signals_model };
  const person = await personColumn(session.warehouse, signals);
  await store.createViews({ skipFirstRun: config.first_run === 'skip', signals, person: person ?? undefined });
}

/**
 * The handoff as a step of the delivery: it produces the handoff views, so it runs right before
 * the first sync reading one; sequence enrolments and Slack messages follow the syncs.
 */
export const handoffStep: DeliveryStep = {
  name: 'handoff',
  produces: (session) => (session.project.config.handoff ? Object.values(HANDOFF_VIEWS) : []),
  before: (session, destination, lockTtlMs) => runHandoff(session, destination, { lockTtlMs }),
  after: (session, destination, lockTtlMs) => runHandoffActions(session, destination, { lockTtlMs }),
};

export async function runHandoff(session: Session, destination: Destination, options: { lockTtlMs?: number } = {}): Promise<HandoffResult | null> {
  const config = session.project.config.handoff;
  if (!config) return null;
  const ttl = options.lockTtlMs ?? 10 * 60_000;
  // A run that died holding the handoff's lock left its routing tables: drop them.
  await session.state.dropHandoffLeftovers(await session.state.acquireLock(LOCK, session.runId, ttl));
  try {
    return await handoff(session, destination, config);
  } finally {
    await session.state.releaseLock(LOCK, session.runId).catch(() => undefined);
  }
}

async function handoff(session: Session, destination: Destination, config: HandoffConfig): Promise<HandoffResult> {
  const { warehouse } = session;
  const schemas = session.project.config;
  const store = new HandoffStore(warehouse, schemas.state_schema, schemas.schema);
  const model = { schema: schemas.schema, name: config.signals_model };
  const columns = await warehouse.describe(model);
  if (!columns) throw new ConfigError(`pqlsync.yml handoff.signals_model: model '${config.signals_model}' is not built; run pqlsync build first`);
  const have = new Set(columns.map((c) => c.name.toLowerCase()));
  const wanted = ['email', 'signal', 'task_subject', 'task_body', 'task_priority', 'task_type', 'response_hours', 'route_group', 'company_domain', 'trial_id'];
  const missing = wanted.filter((c) => !have.has(c));
  if (missing.length > 0) {
    throw new ConfigError(`pqlsync.yml handoff.signals_model: model '${config.signals_model}' lacks the column(s) ${missing.join(', ')} (it has: ${[...have].join(', ')})`);
  }

  // A person is their product user id when the model has one (docs/handoff.md, "People, not emails").
  const person = have.has('user_id') ? 'user_id' : 'email';
  // The handoff's state keys people by text; an integer id would meet them in every comparison.
  const userId = columns.find((c) => c.name.toLowerCase() === 'user_id');
  if (userId && !isTextType(userId.type)) {
    throw new ModelError(
      `Model '${config.signals_model}' gives user_id as ${userId.type}; the handoff keys people by text: select it as {{ to_string(user_id) }} as user_id (pqlsync.yml handoff.signals_model; docs/handoff.md).`,
    );
  }
  // One row per (person, signal): a second one would make two episodes, so two tasks.
  const q = warehouse.dialect.quote;
  const twice = await warehouse.query(
    `select ${q(person)} as person, signal, count(*) as n from ${warehouse.dialect.table(model)} group by ${q(person)}, signal having count(*) > 1 order by count(*) desc, ${q(person)}, signal limit 5`,
  );
  if (twice.length > 0) {
    throw new ModelError(
      `Model '${config.signals_model}' has more than one row for ${twice.map((r) => `(${r.person}, ${r.signal}) ×${r.n}`).join(', ')}: ` +
        `keep one row per ${q(person)} and ${q('signal')} (pqlsync.yml handoff.signals_model).`,
    );
  }

  await store.ensureTables();
  if (person === 'user_id') {
    const contactSyncs = schemas.syncs.filter((s) => s.object === 'contacts').map((s) => s.name);
    const rekeyed = await store.adoptEmailKeys(model, contactSyncs, session.runId);
    if (rekeyed > 0) session.log.info(`  handoff: ${rekeyed} episodes keyed by email now follow their person's user id`, { event: 'handoff_rekeyed', episodes: rekeyed });
    // The handoff's contact syncs keyed by user id now, whose state may still be keyed by email:
    // re-keyed before they diff, so what they delivered is not sent again.
    const views: string[] = [HANDOFF_VIEWS.owners, HANDOFF_VIEWS.contacts];
    const handoffContacts = schemas.syncs.filter((s) => s.object === 'contacts' && s.key === 'user_id' && views.includes(s.model)).map((s) => s.name);
    const state = await store.adoptEmailKeyedSyncState(model, handoffContacts, contactSyncs, session.runId);
    if (state.rekeyed + state.forgotten > 0) {
      session.log.info(
        `  handoff: ${state.rekeyed} delivered rows of ${handoffContacts.join(', ')} keyed by email now follow their person's user id${state.forgotten ? ` (${state.forgotten} older email rows of the same people forgotten)` : ''}`,
        { event: 'handoff_state_rekeyed', ...state },
      );
    }
  }
  const episodes = await store.updateEpisodes(model, session.asOf, config.hysteresis_days, session.runId, person);
  const result: HandoffResult = {
    episodesStarted: episodes.started,
    episodesContinued: episodes.continued,
    firstRun: episodes.firstRun,
    ownersKept: 0,
    ownersAssigned: 0,
    ownersReleased: 0,
    unrouted: 0,
  };

  if (config.routing) {
    const hubspot = hubspotCapabilities(destination);
    if (!hubspot) throw new ConfigError('handoff.routing needs a destination that reads owners (HubSpot)');
    let candidates = await store.createCandidates(model, session.runId, person);
    try {
      // Owners are read only when there is routing to do (new episodes, contacts without an owner,
      // rows refused for their owner): a rerun with no change makes no request.
      if (candidates.count > 0 || episodes.started > 0 || (await store.countOwnerErrors()) > 0) {
        const owners = await hubspot.listOwners();
        const slots = resolveSlots(config.routing.groups, owners, (message) => session.log.warn(message, { event: 'handoff_owner_archived' }));
        const active = owners.filter((o) => !o.archived);
        result.ownersReleased = await store.releaseInactive(active.map((o) => o.id));
        if (result.ownersReleased > 0) {
          await store.dropTable(candidates.table);
          candidates = await store.createCandidates(model, session.runId, person);
        }
        const { table, count } = candidates;
        if (count > 0) {
          const byId = new Map(active.map((o) => [o.id, o]));
          for await (const page of store.candidatePages(table, 1000)) {
            // Owners are read by the person's current email (HubSpot's contacts are found by it).
            const keyOf = new Map(page.filter((c) => c.email).map((c) => [c.email!.toLowerCase(), c.key]));
            const held = await hubspot.readContactOwners([...keyOf.keys()]);
            // An owner HubSpot holds is kept, unless archived (a user who left): then the contact is routed.
            const kept = new Map(
              [...held].filter(([email, id]) => byId.has(id) && keyOf.has(email.toLowerCase())).map(([email, id]) => [keyOf.get(email.toLowerCase())!, { id, email: byId.get(id)!.email }]),
            );
            await store.keepHubSpotOwners(table, kept, session.asOf, session.runId);
            result.ownersKept += kept.size;
          }
          result.ownersAssigned = await store.assignRoundRobin(table, slots, session.asOf, session.runId);
          result.unrouted = count - result.ownersKept - result.ownersAssigned;
        }
      }
    } finally {
      await store.dropTable(candidates.table);
    }
  }
  await store.createViews({ skipFirstRun: config.first_run === 'skip', signals: model, person });
  session.log.info(
    `  handoff: ${result.episodesStarted} episodes started, ${result.episodesContinued} continued; owners: ${result.ownersKept} kept from HubSpot, ${result.ownersAssigned} assigned${result.unrouted ? `, ${result.unrouted} without a group` : ''}`,
    { event: 'handoff', ...result },
  );
  return result;
}

/**
 * The owners of each group, resolved to HubSpot owner ids: the ones pqlsync.yml lists by email,
 * in that order, then the active members of the group's HubSpot team, in owner-id order. An
 * email no owner of the portal has, or a team no owner belongs to, is a config error naming its
 * key path; an archived owner (a rep who left) is left out, with a warning.
 */
export function resolveSlots(groups: NonNullable<HandoffConfig['routing']>['groups'], owners: HubSpotOwner[], warn: (message: string) => void): OwnerSlot[] {
  const byEmail = new Map<string, HubSpotOwner>();
  // An active owner wins over an archived one with the same email.
  for (const o of owners) if (!byEmail.has(o.email) || byEmail.get(o.email)!.archived) byEmail.set(o.email, o);
  const slots: OwnerSlot[] = [];
  for (const [group, { owners: emails = [], team }] of Object.entries(groups)) {
    const at = `pqlsync.yml handoff.routing.groups.${group}`;
    const taken = new Set<string>();
    emails.forEach((raw, i) => {
      const email = raw.toLowerCase();
      const owner = byEmail.get(email);
      if (!owner) {
        throw new ConfigError(`${at}.owners.${i}: no HubSpot owner has the email ${raw} (the portal's owners: ${[...byEmail.keys()].sort().join(', ') || 'none'})`);
      }
      if (owner.archived) warn(`handoff.routing.groups.${group}.owners.${i}: ${raw} is archived in HubSpot (left the portal): no new records go to them`);
      else if (!taken.has(owner.id)) {
        taken.add(owner.id);
        slots.push({ group, ownerId: owner.id, email });
      }
    });
    if (team) {
      const members = owners.filter((o) => o.teams.some((t) => t.toLowerCase() === team.toLowerCase()));
      if (members.length === 0) {
        const teams = [...new Set(owners.flatMap((o) => o.teams))].sort();
        throw new ConfigError(`${at}.team: no HubSpot owner is in a team named ${JSON.stringify(team)} (the portal's teams: ${teams.join(', ') || 'none'})`);
      }
      for (const o of members.filter((m) => !m.archived).sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id))) {
        if (taken.has(o.id)) continue;
        taken.add(o.id);
        slots.push({ group, ownerId: o.id, email: o.email });
      }
    }
    if (!slots.some((s) => s.group === group)) {
      throw new ConfigError(`${at}: none of its owners is active in HubSpot; add one`);
    }
  }
  return slots;
}
