/**
 * The human plan (`pqlsync plan` and `backfill`'s, without --json): a sample row whose values did
 * not change says why it is sent (a mapping change, a backfill); a backfill, which the guardrails
 * do not stop, shows no guardrail warning.
 */
import { describe, expect, it } from 'vitest';
import { renderPlanMarkdown } from '../../src/cli/plan-markdown.ts';
import { reportBackfillPlan, reportPlan } from '../../src/cli/report.ts';
import type { PreparedBackfill } from '../../src/run/backfill.ts';
import type { SyncPlan } from '../../src/run/sync.ts';
import { createLogger } from '../../src/util/logger.ts';
import { memoryLogger } from '../helpers/project.ts';

function plan(mappingChanges: SyncPlan['mappingChanges']): SyncPlan {
  const diff = { rows: 150, new: 0, changed: 150, retrying: 0, unchanged: 0, removed: 0, nullKeys: 0, remapped: [] } as unknown as SyncPlan['diff'];
  return {
    sync: 'companies',
    object: 'companies',
    diff,
    toSend: 150,
    onRemoved: 'keep',
    guardrails: { changedShare: 0, tierShift: null, violations: [] },
    changedProperties: [],
    mappingChanges,
    sample: [{ key: 'acme.com', kind: 'changed', values: { score: 63 }, before: { score: '63' }, changed: [] }],
    removedSample: [],
    workload: { byId: 150, byIdentity: 0, lookups: 0 } as unknown as SyncPlan['workload'],
    priority: {} as SyncPlan['priority'],
  };
}

function humanLines(p: SyncPlan, backfill?: PreparedBackfill): string[] {
  const out = memoryLogger();
  const log = createLogger({ json: false, secrets: [], out: out.sink, err: out.sink });
  if (backfill) reportBackfillPlan(log, backfill, p);
  else reportPlan(log, p);
  return out.lines.join('').split('\n');
}

const tripped = (p: SyncPlan): SyncPlan => ({ ...p, guardrails: { ...p.guardrails, violations: ['16.8% of the 1993 delivered rows would change (limit 15.0%)'] } });

describe('plan report', () => {
  it('says a row with the same values is sent under the new mapping', () => {
    const lines = humanLines(plan([{ reason: 'property renamed score → pqlsync_score', rows: 150 }]));
    expect(lines).toContain('  property renamed score → pqlsync_score: 150 rows (sent again, to where the mapping now says)');
    expect(lines.find((l) => l.includes('acme.com'))).toMatch(/acme\.com {2}\(same values, sent under the new mapping\)$/);
  });

  it('without a mapping change, says only that the values are the same', () => {
    expect(humanLines(plan([])).find((l) => l.includes('acme.com'))).toMatch(/acme\.com {2}\(same values\)$/);
  });

  it('a plan that trips a guardrail warns', () => {
    expect(humanLines(tripped(plan([]))).some((l) => l.includes('guardrail: 16.8%'))).toBe(true);
  });

  it("a backfill's plan: no guardrail warning (a backfill is not guarded), same values said to be sent again", () => {
    const prepared = { selection: "where pql_tier = 'hot'", total: 150, sent: 0, resumed: false, unknownKeys: 0 } as unknown as PreparedBackfill;
    const lines = humanLines(tripped(plan([])), prepared);
    expect(lines[0]).toMatch(/^Backfill companies → HubSpot companies \(where pql_tier = 'hot'\): 150 rows selected; will send 150/);
    expect(lines.some((l) => l.includes('guardrail'))).toBe(false);
    expect(lines.find((l) => l.includes('acme.com'))).toMatch(/acme\.com {2}\(same values, sent again by the backfill\)$/);
  });

  it('a long text shows where it changed, and a time as the snapshot writes it', () => {
    const before = 'invited 3 teammates; tried premium features once; looked at billing; logged in 11 times in 14 days';
    const after = 'invited 3 teammates; tried premium features once; looked at billing; logged in 9 times in 14 days';
    const p = plan([]);
    p.sample = [
      {
        key: 'usr_1',
        kind: 'changed',
        values: { reasons: after, last_active_at: new Date('2026-11-01T08:40:15Z') },
        before: { reasons: before, last_active_at: '2026-10-29 03:21:31' },
        changed: ['reasons', 'last_active_at'],
      },
    ];
    const line = humanLines(p).find((l) => l.includes('usr_1'))!;
    // The markdown for a pull request, the same way (its cells are shorter).
    const markdown = renderPlanMarkdown([p]);
    expect(markdown).toContain('| usr_1 | reasons | …logged in 11 times in 14 days | …logged in 9 times in 14 days |');
    expect(markdown).toContain('| usr_1 | last_active_at | 2026-10-29 03:21:31 | 2026-11-01 08:40:15 |');
    expect(line).toContain('reasons: …"logged in 11 times in 14 days" → …"logged in 9 times in 14 days"');
    expect(line).toContain('last_active_at: "2026-10-29 03:21:31" → "2026-11-01 08:40:15"');
  });
});
