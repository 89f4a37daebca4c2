/**
 * Tickets: keyed by a pqlsync-owned unique-value property (default `pqlsync_ticket_key`) and
 * upserted by it, so a create repeated after a lost answer updates the ticket the first attempt
 * made; a ticket whose id state knows is updated by id. Tickets are never searched.
 */
import type { ObjectWriter } from '../write-template.ts';

export const ticketsWriter: ObjectWriter = {
  object: 'tickets',
  updatesById: true,
  normaliseKey(raw) {
    const key = raw.trim();
    return key !== '' ? { key } : { category: 'MISSING_VALUE', property: null, message: 'the ticket key is empty' };
  },
  notFound: (p) => ({ property: 'subject', message: `no HubSpot ticket has the key ${p.key}` }),
};
