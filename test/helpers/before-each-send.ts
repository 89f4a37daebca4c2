/** A destination that awaits `hook` before each page any of its writers sends: for tests that act between pages. */
import type { Destination } from '../../connectors/destination.ts';

export function beforeEachSend(inner: Destination, hook: () => unknown): Destination {
  return {
    get stats() {
      return inner.stats;
    },
    ensureProperties: (syncs) => inner.ensureProperties(syncs),
    accountId: () => inner.accountId(),
    associate: (kind, pairs) => inner.associate(kind, pairs),
    dissociate: (kind, pairs) => inner.dissociate(kind, pairs),
    dailyBudget: () => inner.dailyBudget?.() ?? null,
    writer(sync) {
      const writer = inner.writer(sync);
      return {
        ensureProperties: () => writer.ensureProperties(),
        createsThrough: () => writer.createsThrough?.() ?? null,
        send: async (changes) => {
          await hook();
          return writer.send(changes);
        },
      };
    },
  };
}
