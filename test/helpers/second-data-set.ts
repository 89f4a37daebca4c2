/**
 * The second data set that proves `evaluate --suggest` learns (test/integration/
 * evaluate-suggest-learns.test.ts, and `npm run bench -- --evaluate`): the demo generator with
 * conversions drawn from these weights instead of the latent intent behind the behaviour.
 *
 * Unlike the shipped points, conversion here follows lifetime signals: an integration
 * connected (log-odds +3.5), onboarding completed (+3), the activation milestone (+1), and
 * nothing else: not usage in the last weeks, not firmographic fit, not inactivity. A converting
 * user converts at any time after signup (an exponential wait of 60 days on average), active or
 * not. The shipped points (usage, fit and decay for most of the score) rank these users poorly;
 * a fit of every point can learn them.
 */
import type { ConversionWeights } from '../../src/demo/generate-demo-data.ts';

export const SECOND_DATA_SET: ConversionWeights = {
  intercept: -6.5,
  timing: 'any_time',
  weights: { integration: 3.5, onboarded: 3, activated: 1 },
};
