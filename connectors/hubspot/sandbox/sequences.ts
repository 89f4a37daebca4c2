/**
 * The portal's sales sequences and enrolments (docs/hubspot.md, "Sequences"): the sequences a
 * user can send, which users hold a paid Sales Hub or Service Hub seat (only they can enrol),
 * and at most one enrolment per contact at a time. Kept beside the portal's store, one book per
 * store, so the CRM store stays as it is.
 */
import type { PortalStore } from './store.ts';

export interface SequenceState {
  id: string;
  name: string;
  /** The user who owns the sequence. */
  userId: number;
  createdAt: string;
}

export interface EnrolmentState {
  id: string;
  sequenceId: string;
  sequenceName: string;
  contactId: string;
  toEmail: string;
  enrolledBy: string;
  enrolledByEmail: string;
  enrolledAt: string;
}

export class SequenceBook {
  readonly sequences = new Map<string, SequenceState>();
  /** Contact id → its current enrolment (HubSpot: one sequence at a time). */
  readonly enrolments = new Map<string, EnrolmentState>();
  /** User ids without a Sales Hub or Service Hub Professional/Enterprise seat. */
  readonly unseated = new Set<number>();
  private nextId = 5_000_000;

  addSequence(name: string, userId: number, at: string): SequenceState {
    const state = { id: String(++this.nextId), name, userId, createdAt: at };
    this.sequences.set(state.id, state);
    return state;
  }

  enrol(input: Omit<EnrolmentState, 'id'>): EnrolmentState {
    const state = { ...input, id: String(++this.nextId) };
    this.enrolments.set(input.contactId, state);
    return state;
  }
}

const books = new WeakMap<PortalStore, SequenceBook>();

export function sequencesOf(store: PortalStore): SequenceBook {
  let book = books.get(store);
  if (!book) books.set(store, (book = new SequenceBook()));
  return book;
}
