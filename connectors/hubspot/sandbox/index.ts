/**
 * A local HubSpot CRM API for the demo and the tests: the official
 * `@hubspot/api-client` talks to it unmodified, with only its basePath
 * changed. docs/hubspot.md describes the behaviour it reproduces.
 */
export { startSandbox } from './server.ts';
export { SANDBOX_PORTAL_ID } from './object-types.ts';
export type {
  FaultConfig,
  FaultRule,
  Sandbox,
  SandboxOptions,
} from './types.ts';
