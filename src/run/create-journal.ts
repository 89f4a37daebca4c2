/**
 * The runner's half of exactly-once creates where the portal keeps no unique key (tasks;
 * docs/hubspot.md, "Tasks and unique values"): before a page of such a sync is sent, each change
 * learns its parent's record id (a task's contact, from the contacts sync's state, through the
 * association the sync declares) and whether an earlier attempt recorded its intent; then the
 * intents of this page's creates are recorded in the warehouse. Only then does the destination
 * create anything. A sync with a unique key goes through untouched.
 */
import type { Change, SyncWriter } from '../../connectors/destination.ts';
import { syncRelation, type SyncConfig } from '../config/schema.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { CreateIntents } from '../state/create-intents.ts';
import type { SyncContext } from './sync.ts';

export interface CreateJournal {
  /** Right before a page is sent (run/sync.ts): completes its changes and journals their creates. */
  beforeSend(changes: Change[]): Promise<Change[]>;
  /** After the sync: forgets the intents of keys now delivered (nothing when the sync journaled nothing). */
  settle(): Promise<void>;
}

export function createJournal(ctx: SyncContext, writer: SyncWriter, sync: SyncConfig): CreateJournal {
  const intents = new CreateIntents(ctx.warehouse, ctx.schemas.state);
  let settled = false;
  let journaled = false;
  const beforeSend = async (changes: Change[]): Promise<Change[]> => {
    const through = writer.createsThrough?.() ?? null;
    if (!through || changes.length === 0) return changes;
    const association = sync.associations?.find((a) => ctx.syncs.find((s) => s.name === a.to)?.object === through);
    if (!association) {
      throw new ConfigError(
        `Sync '${sync.name}' needs an association to a ${through} sync: this portal keeps no unique values on ${sync.object}, so pqlsync creates each one with its ${through.replace(/s$/, '')} and finds it back through it (docs/hubspot.md, "Tasks and unique values")`,
      );
    }
    // Intents of keys an earlier run delivered (killed before it settled): forgotten once a run.
    if (!settled) {
      await intents.forgetDelivered(sync.name);
      settled = true;
    }
    const source = { syncName: sync.name, parentSync: association.to, model: syncRelation(sync, ctx.schemas.models), keyColumn: sync.key, parentColumn: association.column };
    const entries = await intents.lookup(source, changes.map((c) => c.key));
    const completed = changes.map((c): Change => ({ ...c, journal: entries.get(c.key) ?? { parentId: null, attempted: false } }));
    // A change known by id is updated, not created; one without a parent waits: neither is intended.
    const fresh = completed.filter((c) => !c.recordId && c.journal!.parentId && !c.journal!.attempted);
    await intents.record(sync.name, ctx.runId, fresh.map((c) => ({ key: c.key, parentId: c.journal!.parentId! })));
    journaled = true;
    return completed;
  };
  return {
    beforeSend,
    async settle() {
      if (journaled) await intents.forgetDelivered(sync.name);
    },
  };
}
