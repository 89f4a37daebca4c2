/**
 * What only HubSpot offers beyond the destination contract (connectors/destination.ts): the
 * portal's owners, the owner each contact holds, and sales sequences. The handoff reaches them
 * through `hubspotCapabilities(destination)`; the runner's `Destination` knows nothing of them
 * (docs/architecture.md, "The layer map").
 */
import type { Destination } from '../destination.ts';

/** A user of the portal records and tasks can be assigned to. */
export interface HubSpotOwner {
  /** What `hubspot_owner_id` holds. */
  id: string;
  /** Lower case. */
  email: string;
  name: string;
  /** A user removed from the portal: never assigned anything new. */
  archived: boolean;
  /** Names of the owner's teams. */
  teams: string[];
  /** The HubSpot user behind the owner (the sequences API acts as a user). */
  userId?: string;
}

/** A contact's current sequence enrolment, as HubSpot reports it. */
export interface SequenceEnrolment {
  id: string;
  sequenceId: string;
  enrolledByEmail: string;
}

export type EnrolOutcome = { ok: true; id: string } | { ok: false; category: string; message: string };

export interface HubSpotCapabilities {
  /** The portal's owners, active and archived (handoff routing). */
  listOwners(): Promise<HubSpotOwner[]>;
  /** The owner id HubSpot holds on each contact, by email (absent: no contact, or no owner). Throws when it cannot know. */
  readContactOwners(emails: string[]): Promise<Map<string, string>>;
  /** The sequence a contact is enrolled in now, or null. Throws when it cannot know. */
  readEnrolment(contactId: string): Promise<SequenceEnrolment | null>;
  /** Enrols a contact in a sequence, sent by a user; a refusal is an outcome. Throws for whole-run failures. */
  enrolInSequence(input: { contactId: string; sequenceId: string; senderEmail: string; userId: string }): Promise<EnrolOutcome>;
  /** The sequence's name as the user sees it, or null when that user cannot see it (doctor). */
  readSequence(sequenceId: string, userId: string): Promise<string | null>;
}

const METHODS = ['listOwners', 'readContactOwners', 'readEnrolment', 'enrolInSequence', 'readSequence'] as const;

/** The destination's HubSpot capabilities, or null when it has none (another destination). */
export function hubspotCapabilities(destination: Destination): (Destination & HubSpotCapabilities) | null {
  const candidate = destination as Destination & Partial<HubSpotCapabilities>;
  return METHODS.every((m) => typeof candidate[m] === 'function') ? (candidate as Destination & HubSpotCapabilities) : null;
}
