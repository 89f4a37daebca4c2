/**
 * Deterministic fault injection. Each rule counts the requests it matches;
 * `onRequests` picks among those by 1-based index, `probability` draws from a
 * seeded PRNG, `maxTimes` caps how often it fires. The same seed and the same
 * sequence of requests give the same faults, so a flaky-network test is
 * reproducible.
 */
import { createPrng } from '../../shared/prng.ts';
import type { FaultConfig, FaultKind, FaultRule } from './types.ts';

export { createPrng };

interface RuleState {
  rule: FaultRule;
  matched: number;
  fired: number;
}

export class FaultInjector {
  private readonly rules: RuleState[];
  private readonly random: () => number;

  constructor(config: FaultConfig | undefined) {
    this.rules = (config?.rules ?? []).map((rule) => ({ rule, matched: 0, fired: 0 }));
    this.random = createPrng(config?.seed ?? 1);
  }

  /**
   * The fault for this request, if any. Every rule whose path filter matches
   * counts the request (and draws, when probabilistic) even if an earlier rule
   * wins, so one rule's indices do not shift when another is added.
   */
  pick(path: string): FaultKind | undefined {
    let chosen: RuleState | undefined;
    for (const state of this.rules) {
      const { rule } = state;
      if (rule.pathIncludes !== undefined && !path.includes(rule.pathIncludes)) continue;
      state.matched++;
      const isCandidate =
        (rule.onRequests === undefined || rule.onRequests.includes(state.matched)) &&
        (rule.maxTimes === undefined || state.fired < rule.maxTimes);
      const passesDraw = rule.probability === undefined || this.random() < rule.probability;
      if (isCandidate && passesDraw && !chosen) chosen = state;
    }
    if (!chosen) return undefined;
    chosen.fired++;
    return chosen.rule.fault;
  }
}
