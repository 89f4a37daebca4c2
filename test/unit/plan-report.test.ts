/**
 * The human plan (`pqlsync plan` without --json): a sample row whose values did not change says
 * why it is sent when a mapping change is the reason.
 */
import { describe, expect, it } from 'vitest';
import { reportPlan } from '../../src/cli/report.ts';
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

function humanLines(p: SyncPlan): string[] {
  const out = memoryLogger();
  reportPlan(createLogger({ json: false, secrets: [], out: out.sink, err: out.sink }), p);
  return out.lines.join('').split('\n');
}

describe('plan report', () => {
  it('says a row with the same values is sent under the new mapping', () => {
    const lines = humanLines(plan([{ reason: 'property renamed score → pqlsync_score', rows: 150 }]));
    expect(lines).toContain('  property renamed score → pqlsync_score: 150 rows (sent again, to where the mapping now says)');
    expect(lines.find((l) => l.includes('acme.com'))).toMatch(/acme\.com {2}\(same values, sent under the new mapping\)$/);
  });

  it('without a mapping change, says only that the values are the same', () => {
    expect(humanLines(plan([])).find((l) => l.includes('acme.com'))).toMatch(/acme\.com {2}\(same values\)$/);
  });
});
