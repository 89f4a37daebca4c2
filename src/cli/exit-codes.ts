import {
  AuthError,
  ConfigError,
  DestinationError,
  GuardrailError,
  LockHeldError,
  ModelError,
  WarehouseError,
} from '../../contracts/errors.ts';

/**
 * Exit codes a scheduler can act on: the one source of truth. `pqlsync --help` prints them from
 * here, and a test holds README.md's table ("Exit codes") to this list.
 */
export const EXIT_CODES = [
  { name: 'ok', short: 'ok', code: 0, meaning: 'everything delivered', action: 'nothing' },
  { name: 'internal', short: 'internal error', code: 1, meaning: 'internal error (a bug)', action: 'alert' },
  {
    name: 'config',
    short: 'config',
    code: 2,
    meaning: 'configuration or command-line error: pqlsync.yml, an option, a folder or permission, a reserved property name, state that belongs to another portal, a model not built yet, a warehouse driver not installed',
    action: 'fix what the message names; do not retry',
  },
  { name: 'model', short: 'model or model test', code: 3, meaning: 'a model failed to compile or build, or a model test failed', action: 'fix the model; do not retry' },
  { name: 'warehouse', short: 'warehouse', code: 4, meaning: 'the warehouse refused or failed a statement', action: 'retry later' },
  {
    name: 'destination',
    short: 'HubSpot',
    code: 5,
    meaning: 'HubSpot failed as a whole (unreachable, retries exhausted, daily limit)',
    action: 'retry later; the next run continues where this one stopped',
  },
  { name: 'auth', short: 'HubSpot auth', code: 6, meaning: 'HubSpot rejected the token (401) or its scopes (403)', action: 'fix the credentials; do not retry' },
  { name: 'rowsFailed', short: 'rows failed (recorded, retried next run)', code: 7, meaning: 'the run finished but some rows were rejected; they are in row errors and retried next run', action: 'warn' },
  { name: 'lockHeld', short: 'lock held', code: 8, meaning: 'another run of the same sync holds the lock', action: 'skip (or pass `--wait <seconds>`)' },
  { name: 'guardrail', short: 'guardrail stopped the sync', code: 9, meaning: 'the guardrails stopped a suspicious change before sending', action: 'review the model change, then `--force`' },
  { name: 'doctor', short: 'doctor found a problem', code: 10, meaning: '`pqlsync doctor` found a problem (each failed check says what and how to fix it)', action: 'fix what it names; do not retry' },
  {
    name: 'deferred',
    short: 'deferred under the daily budget (next run sends the rest)',
    code: 11,
    meaning: "the portal's daily budget, less the reserve for its other apps, did not cover the run: the most important changes were sent, the rest wait",
    action: 'run again after the daily limit resets (midnight in the portal\'s time zone)',
  },
  {
    name: 'interrupted',
    short: 'interrupted with rows unsent (rerun sends them)',
    code: 130,
    meaning: 'stopped by Ctrl-C or SIGTERM before every row was sent; what HubSpot acknowledged is in state',
    action: 'run again: the next run sends the rest',
  },
] as const;

type ExitName = (typeof EXIT_CODES)[number]['name'];

/** Exit codes by name (`EXIT.config` is 2). */
export const EXIT = Object.fromEntries(EXIT_CODES.map((e) => [e.name, e.code])) as { readonly [K in ExitName]: Extract<(typeof EXIT_CODES)[number], { name: K }>['code'] };

/** The exit codes in one line, for `--help`. */
export function exitCodesLine(): string {
  return `Exit codes: ${EXIT_CODES.map((e) => `${e.code} ${e.short}`).join(', ')}.`;
}

/** README's table of exit codes, as it must read. */
export function exitCodesMarkdown(): string {
  return [
    '| code | meaning | what a scheduler should do |',
    '| --- | --- | --- |',
    ...EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} | ${e.action} |`),
  ].join('\n');
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return EXIT.config;
  if (error instanceof ModelError) return EXIT.model;
  if (error instanceof WarehouseError) return EXIT.warehouse;
  if (error instanceof AuthError) return EXIT.auth;
  if (error instanceof DestinationError) return EXIT.destination;
  if (error instanceof LockHeldError) return EXIT.lockHeld;
  if (error instanceof GuardrailError) return EXIT.guardrail;
  return EXIT.internal;
}
