/**
 * `GET /account-info/v3/details`: the portal's id, time zone and currency (docs/hubspot.md,
 * "Which portal"). pqlsync reads it once per run to know which portal its state describes.
 */
import type { Route } from '../router.ts';

export const accountRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/account-info/v3/details',
    limit: 'window',
    handle: ({ store }) => ({
      status: 200,
      body: {
        portalId: store.settings.portalId,
        accountType: 'STANDARD',
        timeZone: 'UTC',
        companyCurrency: 'USD',
        additionalCurrencies: [],
        utcOffset: '+00:00',
        utcOffsetMilliseconds: 0,
        uiDomain: 'app.hubspot.com',
        dataHostingLocation: 'na1',
      },
    }),
  },
];
