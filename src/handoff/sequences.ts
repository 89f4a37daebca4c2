/**
 * Sequence enrolments, once per episode (pqlsync.yml handoff.sequences; docs/hubspot.md,
 * "Sequences"). HubSpot's enrolment is not idempotent and keeps a contact in one sequence at a
 * time, so pqlsync reads the contact's enrolment before every enrolment and records what it
 * finds: a run killed after HubSpot accepted an enrolment, or an answer lost on the way back,
 * finds the contact enrolled next time and records it instead of enrolling again. A refusal (the
 * owner has no Sales Hub seat, the contact is in another sequence) is recorded once as the
 * episode's row error, naming the owner; it is tried again only when the contact's owner changes.
 */
import type { Destination } from '../../connectors/destination.ts';
import { hubspotCapabilities, type HubSpotCapabilities, type HubSpotOwner } from '../../connectors/hubspot/capabilities.ts';
import type { HandoffConfig } from '../config/schema.ts';
import { ConfigError } from '../../contracts/errors.ts';
import type { ActionCandidate, ActionRecord, CandidateQuery, HandoffActionStore } from '../state/handoff-actions-state.ts';

export interface SequenceResult {
  enrolled: number;
  /** Found already in a sequence (another one, or this one after a lost answer or a kill). */
  alreadyEnrolled: number;
  /** Refused: recorded as row errors. */
  refused: number;
  /** Not yet possible: the contact has no record id or no owner yet (tried next run). */
  waiting: number;
  /** HubSpot did not answer: tried again next run. */
  unanswered: number;
}

export interface SequenceContext {
  store: HandoffActionStore;
  destination: Destination;
  query: Omit<CandidateQuery, 'action' | 'signals' | 'routeGroups'>;
  runId: string;
}

export async function enrolSequences(ctx: SequenceContext, rules: NonNullable<HandoffConfig['sequences']>): Promise<SequenceResult> {
  const destination = hubspotCapabilities(ctx.destination);
  if (!destination) {
    throw new ConfigError('handoff.sequences needs a destination that enrols contacts in sequences (HubSpot)');
  }
  const result: SequenceResult = { enrolled: 0, alreadyEnrolled: 0, refused: 0, waiting: 0, unanswered: 0 };
  let owners: Map<string, HubSpotOwner> | undefined;
  for (const rule of rules) {
    const query = { ...ctx.query, action: 'sequence' as const, signals: rule.signals, routeGroups: rule.motions };
    for await (const page of ctx.store.candidates(query)) {
      const records: ActionRecord[] = [];
      try {
        for (const candidate of page) {
          if (!candidate.contactId || !candidate.ownerId) {
            result.waiting++;
            continue;
          }
          owners ??= new Map((await destination.listOwners()).map((o) => [o.id, o]));
          const record = await enrolOne(destination, candidate, rule.sequence_id, owners.get(candidate.ownerId));
          if (!record) {
            result.unanswered++;
            continue;
          }
          records.push(record);
          if (record.status === 'enrolled') result.enrolled++;
          else if (record.status === 'already_enrolled') result.alreadyEnrolled++;
          else result.refused++;
        }
      } finally {
        // What HubSpot answered is recorded even when a later request of the page failed the run.
        await ctx.store.record('sequence', records, ctx.runId);
      }
    }
  }
  return result;
}

async function enrolOne(destination: HubSpotCapabilities, c: ActionCandidate, sequenceId: string, owner: HubSpotOwner | undefined): Promise<ActionRecord | null> {
  const base = { episodeKey: c.episodeKey, recordKey: c.recordKey, signal: c.signal, target: sequenceId, ownerId: c.ownerId, ownerEmail: owner?.email ?? c.ownerEmail, channel: null };
  const refused = (category: string, message: string): ActionRecord => ({ ...base, status: 'error', externalId: null, category, message });
  const who = `owner ${owner?.email ?? c.ownerEmail ?? c.ownerId}`;
  if (!owner || owner.archived || !owner.userId) {
    return refused('OWNER_NOT_A_USER', `${who} is not an active HubSpot user, so cannot send sequence ${sequenceId} to ${c.display}`);
  }
  const current = await destination.readEnrolment(c.contactId!);
  if (current) {
    return { ...base, status: current.sequenceId === sequenceId ? 'enrolled' : 'already_enrolled', externalId: current.id, category: null, message: current.sequenceId === sequenceId ? null : `already in sequence ${current.sequenceId}` };
  }
  const outcome = await destination.enrolInSequence({ contactId: c.contactId!, sequenceId, senderEmail: owner.email, userId: owner.userId });
  if (outcome.ok) return { ...base, status: 'enrolled', externalId: outcome.id, category: null, message: null };
  if (outcome.category === 'RETRIES_EXHAUSTED') return null;
  return refused(outcome.category, `${who} (HubSpot user ${owner.userId}) could not enrol ${c.display} in sequence ${sequenceId}: ${outcome.message}`);
}
