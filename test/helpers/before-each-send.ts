/** Destinations that act around each page their writers send: for tests that act between pages, and the bench's timing. */
import type { Destination, Outcome } from '../../connectors/destination.ts';

/** The destination, each page of its writers sent through `around` (which calls `send` once). */
export function aroundEachSend(inner: Destination, around: (send: () => Promise<Outcome[]>) => Promise<Outcome[]>): Destination {
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
        send: (changes) => around(() => writer.send(changes)),
      };
    },
  };
}

/** The destination, `hook` awaited before each page its writers send. */
export function beforeEachSend(inner: Destination, hook: () => unknown): Destination {
  return aroundEachSend(inner, async (send) => {
    await hook();
    return send();
  });
}
