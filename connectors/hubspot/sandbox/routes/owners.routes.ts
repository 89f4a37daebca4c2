/**
 * `GET /crm/v3/owners` (paged by `after`, at most 500 a page, `archived` and `email` filters)
 * and `GET /crm/v3/owners/{ownerId}`: read-only, as in HubSpot (owners are the portal's users).
 * An owner has `id` (what `hubspot_owner_id` holds), `userId`, `email`, names, `archived` and
 * its `teams`.
 */
import { ApiError, validationError } from '../api-error.ts';
import type { Route } from '../router.ts';
import type { OwnerState } from '../store.ts';

const MAX_PAGE = 500;

function viewOwner(owner: OwnerState) {
  return {
    id: owner.id,
    email: owner.email,
    type: 'PERSON',
    firstName: owner.firstName,
    lastName: owner.lastName,
    userId: owner.userId,
    userIdIncludingInactive: owner.userId,
    createdAt: owner.createdAt,
    updatedAt: owner.updatedAt,
    archived: owner.archived,
    teams: owner.teams.map((t) => ({ ...t })),
  };
}

export const ownerRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/crm/v3/owners',
    limit: 'window',
    handle: ({ query, store }) => {
      const limit = Number(query.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw validationError(`limit must be between 1 and ${MAX_PAGE}, not ${query.get('limit')}`);
      const archived = query.get('archived') === 'true';
      const email = query.get('email')?.toLowerCase();
      const all = [...store.owners.values()]
        .filter((o) => o.archived === archived && (!email || o.email.toLowerCase() === email))
        .sort((a, b) => Number(a.id) - Number(b.id));
      const after = query.get('after');
      const start = after ? all.findIndex((o) => Number(o.id) > Number(after)) : 0;
      const page = start < 0 ? [] : all.slice(start, start + limit);
      const more = start >= 0 && start + limit < all.length;
      return {
        status: 200,
        body: { results: page.map(viewOwner), ...(more ? { paging: { next: { after: page[page.length - 1].id } } } : {}) },
      };
    },
  },
  {
    method: 'GET',
    pattern: '/crm/v3/owners/:ownerId',
    limit: 'window',
    handle: ({ params, query, store }) => {
      const owner = store.owners.get(params.ownerId);
      if (!owner || owner.archived !== (query.get('archived') === 'true')) throw new ApiError(404, 'OBJECT_NOT_FOUND', `No owner ${params.ownerId}`);
      return { status: 200, body: viewOwner(owner) };
    },
  },
];
