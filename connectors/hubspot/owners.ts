/**
 * Owners: the portal's users records and tasks can be assigned to (`GET /crm/v3/owners`,
 * read-only, scope crm.objects.owners.read), and the owner HubSpot holds on contacts (batch read
 * by email, 100 a request). pqlsync routes records to owners itself (src/handoff); these are the
 * two reads it needs.
 */
import { DestinationError } from '../../contracts/errors.ts';
import type { HubSpotOwner } from './capabilities.ts';
import { chunk } from './batch-writer.ts';
import type { HubSpotApis } from './hubspot.client.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import type { RequestExecutor } from './retry.ts';

interface OwnersContext {
  apis: HubSpotApis;
  exec: RequestExecutor;
}

interface OwnerPage {
  results?: Array<{ id: string; userId?: number; email?: string; firstName?: string; lastName?: string; archived: boolean; teams?: Array<{ id: string; name: string; primary?: boolean }> }>;
  paging?: { next?: { after?: string } };
}

const OWNERS_PAGE = 500;

/** Every owner of the portal, active and archived (two listings: HubSpot lists them apart). */
export async function listOwners(ctx: OwnersContext): Promise<HubSpotOwner[]> {
  const owners: HubSpotOwner[] = [];
  for (const archived of [false, true]) {
    let after: string | undefined;
    do {
      const result = await ctx.exec.run<OwnerPage>('crm', `owners (${archived ? 'archived' : 'active'})`, (options) =>
        ctx.apis.owners.ownersApi.getPageWithHttpInfo(undefined, after, OWNERS_PAGE, archived, options),
      );
      if (!result.ok) throw new DestinationError(`reading the portal's owners: ${result.kind === 'exhausted' ? result.message : result.failure.message}`);
      for (const o of result.data.results ?? []) {
        owners.push({
          id: String(o.id),
          email: (o.email ?? '').toLowerCase(),
          name: `${o.firstName ?? ''} ${o.lastName ?? ''}`.trim(),
          archived: o.archived === true || archived,
          teams: (o.teams ?? []).map((t) => t.name),
          ...(o.userId !== undefined ? { userId: String(o.userId) } : {}),
        });
      }
      after = result.data.paging?.next?.after;
    } while (after);
  }
  return owners;
}

interface ReadResponse {
  results?: Array<{ id: string; properties?: Record<string, string | null> }>;
}

/**
 * The owner id each contact holds in HubSpot, by email. Emails without a contact (HubSpot
 * answers 207 with them as errors) or without an owner are absent from the map.
 */
export async function readContactOwners(ctx: OwnersContext, emails: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const batch of chunk(emails, HUBSPOT_LIMITS.batchSize)) {
    const result = await ctx.exec.run<ReadResponse>('crm', `contacts read owners (${batch.length})`, (options) =>
      ctx.apis.object('contacts').batchApi.readWithHttpInfo(
        { inputs: batch.map((id) => ({ id })), idProperty: 'email', properties: ['email', 'hubspot_owner_id'], propertiesWithHistory: [] },
        false,
        options,
      ),
    );
    if (!result.ok) {
      // Without HubSpot's answer pqlsync cannot know whether an owner exists: stop rather than risk replacing one.
      throw new DestinationError(`reading the owners of ${batch.length} contacts: ${result.kind === 'exhausted' ? result.message : result.failure.message}`);
    }
    for (const r of result.data.results ?? []) {
      const email = r.properties?.email?.toLowerCase();
      const owner = r.properties?.hubspot_owner_id;
      if (email && owner) out.set(email, String(owner));
    }
  }
  return out;
}
