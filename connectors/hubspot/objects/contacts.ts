/**
 * Contacts: identified by email, which HubSpot keeps unique and matches case-insensitively.
 * A contact whose record id state knows is updated by id; the others go through batch upsert
 * with `idProperty: "email"` (an existing contact made by a form or an import is updated, not
 * duplicated), or, in `update` syncs and clears, batch update by email, so a contact that does
 * not exist is reported NOT_FOUND instead of created.
 * Both are idempotent, so a retry after a lost response cannot duplicate anything.
 */
import { normaliseEmail } from '../format-values.ts';
import type { ObjectWriter } from './write-template.ts';

export const contactsWriter: ObjectWriter = {
  object: 'contacts',
  // Once delivered, a contact is updated by its record id: a contact someone deleted then
  // answers NOT_FOUND instead of being recreated silently by an upsert.
  updatesById: true,
  normaliseKey(raw) {
    const key = normaliseEmail(raw);
    return key ? { key } : { category: 'INVALID_EMAIL', property: 'email', message: `${JSON.stringify(raw)} is not a valid email address` };
  },
  notFound: (p) => ({ property: 'email', message: `no HubSpot contact has the email ${p.key}` }),
};
