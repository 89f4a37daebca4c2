/** The HubSpot destination connector. The sandbox lives in ./sandbox and is not exported here. */
export { createHubSpotDestination, HubSpotDestination, type HubSpotDestinationOptions, type HubSpotDestinationStats } from './hubspot.destination.ts';
export { DailyLimitError } from './errors.ts';
export { HUBSPOT_LIMITS } from './limits.ts';

import { ConfigError } from '../../contracts/errors.ts';
import type { DestinationEntry } from '../registry.ts';
import { createHubSpotDestination } from './hubspot.destination.ts';
import { estimateHubSpotRequests } from './estimate.ts';

/**
 * The registry's entry: settings from pqlsync.yml, secrets from the environment
 * (HUBSPOT_ACCESS_TOKEN; HUBSPOT_BASE_PATH points at another origin such as the sandbox).
 */
export const hubspotEntry: DestinationEntry = {
  async open(config, context) {
    const accessToken = context.env.HUBSPOT_ACCESS_TOKEN;
    if (!accessToken) {
      throw new ConfigError('HUBSPOT_ACCESS_TOKEN is not set: create a HubSpot private app with CRM scopes and export its access token');
    }
    return createHubSpotDestination({
      accessToken,
      basePath: context.env.HUBSPOT_BASE_PATH || undefined,
      groupName: config.property_group.name,
      groupLabel: config.property_group.label,
      requestsPer10s: config.requests_per_10s,
      requestsPerDay: config.requests_per_day,
      log: context.log,
    });
  },
  estimateRequests: estimateHubSpotRequests,
};
