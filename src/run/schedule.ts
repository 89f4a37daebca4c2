/**
 * `pqlsync run --every "<cron>"`: a plain long-lived process that runs on a schedule.
 * Runs never overlap: the next time is computed when a run ends, so a run longer than the
 * interval skips the times it overran. SIGTERM (the signal) stops the wait at once, or lets
 * the running sync finish its current page and checkpoint; then the loop ends.
 */
import { Cron } from 'croner';
import { ConfigError } from '../../contracts/errors.ts';
import type { Logger } from '../util/logger.ts';

/** Parses a cron expression (5 fields, or 6 with seconds first; croner's syntax) or throws ConfigError. */
export function parseSchedule(expression: string, timezone?: string): Cron {
  try {
    // paused: croner is used only to compute the next times; this loop runs the job.
    return new Cron(expression, { paused: true, timezone });
  } catch (error) {
    throw new ConfigError(
      `--every "${expression}" is not a cron expression (${error instanceof Error ? error.message : String(error)}): ` +
        `e.g. "0 * * * *" (hourly) or "*/15 * * * *" (every 15 minutes)`,
    );
  }
}

export interface ScheduleOptions {
  expression: string;
  timezone?: string;
  signal?: AbortSignal;
  log: Logger;
  /**
   * Exit codes after which the loop stops instead of waiting for the next time: failures
   * that another attempt cannot fix (a wrong config, a rejected token).
   */
  stopOn?: number[];
}

/**
 * Runs `tick` at each time of the schedule until the signal aborts. Answers the exit code of
 * the run that was under way when the signal came (0 if it came while waiting), or the code
 * of a run that hit a `stopOn` code.
 */
export async function runEvery(options: ScheduleOptions, tick: () => Promise<number>): Promise<number> {
  const cron = parseSchedule(options.expression, options.timezone);
  const { signal, log } = options;
  for (;;) {
    if (signal?.aborted) return 0;
    const next = cron.nextRun();
    if (!next) {
      log.info(`The schedule "${options.expression}" has no next time; stopping.`, { event: 'schedule_end' });
      return 0;
    }
    log.info(`Next run at ${next.toISOString()}`, { event: 'schedule_wait', next: next.toISOString() });
    await sleepUntil(next, signal);
    if (signal?.aborted) {
      log.info('Stopped while waiting; nothing was running.', { event: 'schedule_stopped' });
      return 0;
    }
    const code = await tick();
    if (signal?.aborted) {
      log.info('Stopped after the run under way checkpointed.', { event: 'schedule_stopped', exit_code: code });
      return code;
    }
    if (options.stopOn?.includes(code)) {
      log.error(`Stopping the schedule: the run ended with exit code ${code}, which another run cannot fix.`, {
        event: 'schedule_stopped',
        exit_code: code,
      });
      return code;
    }
  }
}

/** Node fires a timer longer than 2^31 - 1 ms (24.8 days) after 1 ms, with only a warning. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Resolves at `at` (a monthly or yearly schedule waits longer than one timer can), or on abort. */
function sleepUntil(at: Date, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const wait = () => {
      const left = at.getTime() - Date.now();
      if (left <= 0) return done();
      timer = setTimeout(wait, Math.min(left, LONGEST_TIMER_MS));
    };
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
    wait();
  });
}
