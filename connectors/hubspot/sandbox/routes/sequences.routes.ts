/**
 * The Sequences API, version 2026-03 (docs/hubspot.md, "Sequences"):
 * - `GET /automation/sequences/2026-03?userId=` lists the sequences, `GET .../{sequenceId}?userId=` reads one;
 * - `POST /automation/sequences/2026-03/enrollments?userId=` `{ contactId, senderEmail, sequenceId }`
 *   enrols a contact and answers 200 `{ id, toEmail, enrolledAt, updatedAt }`;
 * - `GET /automation/sequences/2026-03/enrollments/contact/{contactId}` reads its enrolment (404: none).
 * Refusals, each a 400 naming what is wrong: no userId, a user the portal does not have, a user
 * without a paid Sales or Service Hub seat, a sender email that is not the user's, a contact
 * already in a sequence; an unknown sequence or contact is a 404.
 */
import { ApiError, validationError } from '../api-error.ts';
import type { Route, RouteContext } from '../router.ts';
import { sequencesOf, type SequenceState } from '../sequences.ts';
import type { OwnerState, PortalStore } from '../store.ts';

const BASE = '/automation/sequences/2026-03';

function userOf(store: PortalStore, query: URLSearchParams): OwnerState {
  const raw = query.get('userId');
  if (!raw) throw validationError('userId is required (the HubSpot user making the request)');
  const owner = [...store.owners.values()].find((o) => String(o.userId) === raw && !o.archived);
  if (!owner) throw validationError(`userId ${raw} is not an active user of this portal`);
  return owner;
}

/** HubSpot's sequences need a paid seat for the user acting (its message is not documented; ours says what is missing). */
function noSeat(user: OwnerState): ApiError {
  return validationError(`User ${user.userId} (${user.email}) does not have a Sales Hub or Service Hub Professional or Enterprise seat and cannot use sequences`);
}

function viewSequence(sequence: SequenceState) {
  return { id: sequence.id, name: sequence.name, userId: String(sequence.userId), createdAt: sequence.createdAt, updatedAt: sequence.createdAt };
}

function readSequence({ params, query, store }: RouteContext) {
  const user = userOf(store, query);
  if (sequencesOf(store).unseated.has(user.userId)) throw noSeat(user);
  const sequence = sequencesOf(store).sequences.get(params.sequenceId);
  if (!sequence) throw new ApiError(404, 'OBJECT_NOT_FOUND', `Sequence ${params.sequenceId} does not exist`);
  return { status: 200, body: viewSequence(sequence) };
}

export const sequenceRoutes: Route[] = [
  {
    method: 'GET',
    pattern: BASE,
    limit: 'window',
    handle: ({ query, store }) => {
      userOf(store, query);
      return { status: 200, body: { total: sequencesOf(store).sequences.size, results: [...sequencesOf(store).sequences.values()].map(viewSequence) } };
    },
  },
  {
    method: 'GET',
    pattern: `${BASE}/enrollments/contact/:contactId`,
    limit: 'window',
    handle: ({ params, store }) => {
      const enrolment = sequencesOf(store).enrolments.get(params.contactId);
      if (!enrolment) throw new ApiError(404, 'OBJECT_NOT_FOUND', `Contact ${params.contactId} is not enrolled in a sequence`);
      const { contactId: _contact, ...view } = enrolment;
      return { status: 200, body: { ...view, updatedAt: enrolment.enrolledAt } };
    },
  },
  {
    method: 'POST',
    pattern: `${BASE}/enrollments`,
    limit: 'window',
    handle: ({ query, body, store }) => {
      const user = userOf(store, query);
      const input = (body ?? {}) as { contactId?: unknown; senderEmail?: unknown; sequenceId?: unknown };
      for (const field of ['contactId', 'senderEmail', 'sequenceId'] as const) {
        if (typeof input[field] !== 'string' || input[field] === '') throw validationError(`${field} is required`);
      }
      const book = sequencesOf(store);
      if (book.unseated.has(user.userId)) throw noSeat(user);
      if (String(input.senderEmail).toLowerCase() !== user.email.toLowerCase()) {
        throw validationError(`senderEmail ${String(input.senderEmail)} is not a connected inbox of user ${user.userId}`);
      }
      const sequence = book.sequences.get(String(input.sequenceId));
      if (!sequence) throw new ApiError(404, 'OBJECT_NOT_FOUND', `Sequence ${String(input.sequenceId)} does not exist`);
      const contact = store.getRecord('contacts', String(input.contactId));
      if (!contact || contact.archived) throw new ApiError(404, 'OBJECT_NOT_FOUND', `Contact ${String(input.contactId)} does not exist`);
      const current = book.enrolments.get(contact.id);
      if (current) throw validationError(`Contact ${contact.id} is already enrolled in sequence ${current.sequenceId}; a contact can be in one sequence at a time`);
      const enrolment = book.enrol({
        sequenceId: sequence.id,
        sequenceName: sequence.name,
        contactId: contact.id,
        toEmail: contact.properties.email ?? '',
        enrolledBy: String(user.userId),
        enrolledByEmail: user.email,
        enrolledAt: store.stampTime(),
      });
      return { status: 200, body: { id: enrolment.id, toEmail: enrolment.toEmail, enrolledAt: enrolment.enrolledAt, updatedAt: enrolment.enrolledAt } };
    },
  },
  { method: 'GET', pattern: `${BASE}/:sequenceId`, limit: 'window', handle: readSequence },
];
