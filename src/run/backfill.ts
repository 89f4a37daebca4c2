/**
 * Backfills: re-send a sync's rows whatever state says, all of them or a subset. The selection
 * and its progress are state (src/state/backfill-store.ts); here are the command's inputs and
 * the sync options that send a prepared backfill through the normal send loop.
 */
import type { SyncConfig } from '../config/schema.ts';
import { ConfigError } from '../../contracts/errors.ts';
import type { PreparedBackfill } from '../state/backfill-store.ts';
import { planSync, type SyncContext, type SyncOptions, type SyncPlan } from './sync.ts';

export {
  checkPredicate,
  discardBackfill,
  prepareBackfill,
  releaseBackfill,
  unfinishedBackfills,
  type BackfillRequest,
  type BackfillSelection,
  type PreparedBackfill,
} from '../state/backfill-store.ts';

/** Keys from the text of a keys file: one per line, trimmed; blank lines and # comments skipped; each once. */
export function parseKeys(text: string): string[] {
  const keys = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return [...new Set(keys)];
}

export function parseSince(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new ConfigError(`--since '${value}' is not a date or timestamp (e.g. 2026-10-01 or 2026-10-01T12:00:00Z)`);
  return date.toISOString();
}

/** What the backfill would send now: the selected keys not yet sent, whatever state says. Sends nothing. */
export async function planBackfill(ctx: SyncContext, sync: SyncConfig, prepared: PreparedBackfill, sampleSize = 5): Promise<SyncPlan> {
  return planSync(ctx, sync, { sampleSize, backfill: prepared });
}

/**
 * The options that make runSync send a backfill: only its selection's unsent keys, each
 * checkpoint marking its keys as sent (delivered or failed: failed keys are in row errors,
 * which the next sync retries).
 */
export function backfillSyncOptions(prepared: PreparedBackfill): Pick<SyncOptions, 'backfill' | 'force'> {
  // A backfill is asked for and confirmed: the guardrails, meant for unattended model changes, do not apply.
  return { backfill: prepared, force: true };
}
