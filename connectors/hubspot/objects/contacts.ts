/**
 * Contacts: identified by email, which HubSpot keeps unique and matches case-insensitively.
 * `upsert` syncs use batch upsert with `idProperty: "email"` (an existing contact made by a
 * form or an import is updated, not duplicated); `update` syncs and clears use batch update
 * by email, so a contact that does not exist is reported NOT_FOUND instead of created.
 * Both are idempotent, so a retry after a lost response cannot duplicate anything.
 */
import { normaliseEmail } from '../format-values.ts';
import type { ObjectWriter } from './write-template.ts';

export const contactsWriter: ObjectWriter = {
  object: 'contacts',
  updatesById: false,
  normaliseKey(raw) {
    const key = normaliseEmail(raw);
    return key ? { key } : { category: 'INVALID_EMAIL', property: 'email', message: `${JSON.stringify(raw)} is not a valid email address` };
  },
  notFound: (p) => ({ property: 'email', message: `no HubSpot contact has the email ${p.key}` }),
};
