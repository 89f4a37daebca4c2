import { ConfigError } from '../../src/errors.ts';
import type { DestinationEntry } from '../registry.ts';
import { createHubSpotDestination } from './hubspot.destination.ts';

/**
 * HubSpot from the environment: HUBSPOT_ACCESS_TOKEN (a private app token) and,
 * for the bundled sandbox or a proxy, HUBSPOT_BASE_PATH. Nothing secret in pqlsync.yml.
 */
export const hubspotEntry: DestinationEntry = {
  async open(config, { env, log }) {
    const accessToken = env.HUBSPOT_ACCESS_TOKEN;
    if (!accessToken) {
      throw new ConfigError(
        'HUBSPOT_ACCESS_TOKEN is not set: create a private app in HubSpot (Settings → Integrations → Private apps) ' +
          'with the crm.objects.contacts/companies read+write and crm.schemas read+write scopes, and export its token. ' +
          'To try pqlsync without HubSpot, run `pqlsync demo`.',
      );
    }
    return createHubSpotDestination({
      accessToken,
      basePath: env.HUBSPOT_BASE_PATH || undefined,
      groupName: config.property_group.name,
      groupLabel: config.property_group.label,
      requestsPer10s: config.requests_per_10s,
      requestsPerDay: config.requests_per_day,
      log,
    });
  },
};
