/**
 * Contacts. Two identities (docs/hubspot.md, "Contact identity"):
 * - by email (default): HubSpot keeps email unique and matches it without case. Batch upsert by
 *   `idProperty: "email"` updates a contact a form or an import made instead of duplicating it;
 *   update-only syncs and clears use batch update by email, so a missing contact is NOT_FOUND.
 * - by a stable product key (`identity_property`, e.g. `pqlsync_user_key`, unique, created by
 *   pqlsync): email is then a value that can change. A contact pqlsync has not delivered yet is
 *   looked for once by its email, primary or secondary (a batch read by email finds both), and
 *   stamped with the key; the rest are upserted by the key. A contact whose email belongs to a
 *   contact stamped for another person, or an email change onto another contact's email, is a
 *   row error naming both records, never a second contact.
 * Either way a contact whose record id state knows is updated by id: an email change then updates
 * the same contact, a merged-away id answers as the surviving contact, and a contact someone
 * deleted answers NOT_FOUND instead of being recreated silently.
 */
import type { ItemResult } from '../../batch-writer.ts';
import { normaliseEmail } from '../../format-values.ts';
import type { Prepared, SendContext } from '../../send-context.ts';
import { readRecords } from '../held-values.ts';
import type { ObjectWriter } from '../write-template.ts';

const EMAIL = 'email';

export const contactsWriter: ObjectWriter = {
  object: 'contacts',
  updatesById: true,
  normaliseKey(raw, identity) {
    if (identity !== EMAIL) {
      const key = raw.trim();
      return key !== '' ? { key } : { category: 'MISSING_VALUE', property: null, message: 'the contact key is empty' };
    }
    const key = normaliseEmail(raw);
    return key ? { key } : { category: 'INVALID_EMAIL', property: EMAIL, message: `${JSON.stringify(raw)} is not a valid email address` };
  },
  findExisting: (ctx, prepared) => (ctx.identity === EMAIL ? Promise.resolve({ found: new Map(), failed: new Map() }) : findContactsByEmail(ctx, prepared)),
  explainConflict(p, result, recordId) {
    const existing = /Existing ID: (\d+)/.exec(result.message)?.[1] ?? '?';
    const email = p.properties[EMAIL];
    const mine = recordId ? `this person's contact is ${recordId}` : 'pqlsync made no contact for this person';
    return {
      ok: false,
      category: 'EMAIL_CONFLICT',
      property: EMAIL,
      message: `email ${email} belongs to HubSpot contact ${existing}; ${mine} (key ${p.key}). pqlsync never makes a second contact: merge the two in HubSpot, or correct the email in the product`,
    };
  },
  notFound: (p, identity) =>
    identity === EMAIL
      ? { property: EMAIL, message: `no HubSpot contact has the email ${p.key}` }
      : // An update-only sync by the product key (the handoff's owners): the contact is made by the
        // sync that creates contacts, never here; the row is retried next run.
        { property: identity, message: `no HubSpot contact has ${identity} ${p.key} yet: the contacts sync has not delivered this person (retried next run; never created here)` },
};

/**
 * Contacts that existed before pqlsync, by the row's email (primary or secondary): one batch read
 * by email per 100 rows. A contact already stamped with another key is another person's: refused.
 */
async function findContactsByEmail(ctx: SendContext, prepared: Prepared[]): Promise<{ found: Map<string, string>; failed: Map<string, string>; refused: Map<string, ItemResult> }> {
  const found = new Map<string, string>();
  const failed = new Map<string, string>();
  const refused = new Map<string, ItemResult>();
  const withEmail = prepared.filter((p) => normaliseEmail(p.properties[EMAIL] ?? ''));
  const emailOf = (p: Prepared) => normaliseEmail(p.properties[EMAIL])!;
  const result = await readRecords(ctx, 'contacts', withEmail.map(emailOf), [EMAIL, 'hs_additional_emails', ctx.identity], EMAIL);
  if (!result.ok) {
    for (const p of withEmail) failed.set(p.key, result.message);
    return { found, failed, refused };
  }
  // A read by a secondary email answers the contact with its primary one: match both.
  const byEmail = new Map<string, { id: string; key: string | null }>();
  for (const values of result.all) {
    const id = String(values.hs_object_id);
    const emails = [values[EMAIL], ...String(values.hs_additional_emails ?? '').split(';')].filter(Boolean).map((e) => String(e).toLowerCase());
    for (const e of emails) byEmail.set(e, { id, key: values[ctx.identity] ?? null });
  }
  for (const p of withEmail) {
    const match = byEmail.get(emailOf(p));
    if (!match) continue;
    if (match.key && match.key !== p.key) {
      refused.set(p.key, {
        ok: false,
        category: 'EMAIL_CONFLICT',
        property: EMAIL,
        message: `email ${emailOf(p)} belongs to HubSpot contact ${match.id}, which pqlsync keys as ${match.key}, not ${p.key}; merge the people in the product or correct the email`,
      });
    } else {
      found.set(p.key, match.id);
    }
  }
  return { found, failed, refused };
}
