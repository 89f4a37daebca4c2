/** Terminal progress only on a terminal; the small parsers of backfill and --every. */
import { describe, expect, it } from 'vitest';
import { sendProgress } from '../../src/cli/progress.ts';
import { renderPlanMarkdown } from '../../src/cli/plan-markdown.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { checkPredicate, parseKeys, parseSince } from '../../src/run/backfill.ts';
import { parseSchedule, runEvery } from '../../src/run/schedule.ts';
import type { SyncPlan } from '../../src/run/sync.ts';
import { createLogger } from '../../src/util/logger.ts';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, s: Object.assign({ write: (c: string) => (chunks.push(c), true) }, { isTTY }) as unknown as NodeJS.WritableStream };
}

describe('progress', () => {
  it('shows records sent / total, rate and ETA on a terminal', () => {
    const err = stream(true);
    const log = createLogger({ json: false, secrets: [], out: stream(false).s, err: err.s });
    sendProgress(log)({ sync: 'contact_sync', sent: 200, total: 1000, failed: 1 });
    expect(err.chunks.join('')).toMatch(/contact_sync: 200\/1000 sent, 1 failed, \d+\/s, ETA \d+s/);
  });

  it('shows nothing with --json, nor when the output is not a terminal', () => {
    for (const [json, tty] of [[true, true], [false, false]] as const) {
      const out = stream(tty);
      const err = stream(tty);
      const log = createLogger({ json, secrets: [], out: out.s, err: err.s });
      sendProgress(log)({ sync: 's', sent: 1, total: 2, failed: 0 });
      log.progressDone();
      expect([...out.chunks, ...err.chunks].join('')).toBe('');
    }
  });
});

describe('backfill selections', () => {
  it('keys: one per line, trimmed, each once; blank lines and # comments skipped', () => {
    expect(parseKeys('# a comment\n a@x.io \r\nb@x.io\n\na@x.io\n')).toEqual(['a@x.io', 'b@x.io']);
  });
  it('--where refuses a second statement and comments', () => {
    expect(checkPredicate(" pql_tier = 'hot' ")).toBe("pql_tier = 'hot'");
    for (const bad of ['', 'a = 1; delete from x', 'a = 1 -- x', 'a = 1 /* x */']) expect(() => checkPredicate(bad)).toThrow(ConfigError);
  });
  it('--since takes a date or a timestamp', () => {
    expect(parseSince('2026-10-01')).toBe('2026-10-01T00:00:00.000Z');
    expect(() => parseSince('last tuesday')).toThrow(ConfigError);
  });
});

describe('--every', () => {
  it('parses 5- and 6-field cron expressions and refuses others with a config error', () => {
    expect(parseSchedule('*/15 * * * *').nextRun()).toBeInstanceOf(Date);
    expect(parseSchedule('* * * * * *').nextRun()).toBeInstanceOf(Date);
    expect(() => parseSchedule('every tuesday')).toThrow(ConfigError);
  });

  it('runs at each time until stopped, never two at once, and stops on codes another run cannot fix', async () => {
    const log = createLogger({ json: true, secrets: [], out: stream(false).s, err: stream(false).s });
    let running = 0;
    let runs = 0;
    const code = await runEvery({ expression: '* * * * * *', log, stopOn: [2, 6] }, async () => {
      running++;
      expect(running).toBe(1);
      await new Promise((r) => setTimeout(r, 1100));
      running--;
      return ++runs === 2 ? 6 : 0;
    });
    expect(code).toBe(6);
    expect(runs).toBe(2);
  }, 10_000);

  it('a stop while waiting ends the loop with 0', async () => {
    const log = createLogger({ json: true, secrets: [], out: stream(false).s, err: stream(false).s });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    let runs = 0;
    // The next February 29 is more than 24.8 days away (one timer's longest wait) on most days.
    const code = await runEvery({ expression: '0 0 29 2 *', log, signal: controller.signal }, async () => {
      runs++;
      return 5;
    });
    expect(code).toBe(0);
    expect(runs).toBe(0);
  });
});

describe('plan as Markdown', () => {
  it('escapes table cells and says when nothing would change', () => {
    const plan: SyncPlan = {
      sync: 'contact_sync',
      object: 'contacts',
      diff: { rows: 2, new: 0, changed: 1, retrying: 0, unchanged: 1, heldBack: 0, remapped: [], removed: 0, nullKeys: 0 },
      toSend: 1,
      onRemoved: 'keep',
      guardrails: { changedShare: 0.5, tierShift: null, violations: [] },
      changedProperties: [{ column: 'pql_reason', property: 'pql_reason', rows: 1 }],
      mappingChanges: [],
      sample: [{ key: 'a@x.io', kind: 'changed', values: { pql_reason: 'a | b' }, before: { pql_reason: 'old\nline' }, changed: ['pql_reason'] }],
      removedSample: [],
      workload: { new: 0, known: 1, cleared: 0, firstSync: false },
      priority: { pqls: 0, tiers: 0, scores: 0, counters: 1 },
    };
    const md = renderPlanMarkdown([plan]);
    expect(md).toContain('| a@x.io | pql_reason | old line | a \\| b |');
    expect(renderPlanMarkdown([{ ...plan, toSend: 0, sample: [], changedProperties: [] }])).toContain('No HubSpot record would change.');
  });
});
