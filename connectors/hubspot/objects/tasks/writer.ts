/**
 * Tasks: the first insert-once object. Each row of a tasks sync is an event keyed by
 * (record, trigger, episode); its key is written to the pqlsync-owned unique-value property
 * `pqlsync_task_key` and the task is upserted by it, so a create repeated after a lost answer,
 * or after a kill between HubSpot's create and pqlsync's checkpoint, updates the task the first
 * attempt made instead of making a second. The runner never re-sends a delivered key (sync
 * mode `insert_once`), so a task a rep completed or edited is left alone. Tasks are never searched.
 */
import type { ObjectWriter } from '../write-template.ts';

export const tasksWriter: ObjectWriter = {
  object: 'tasks',
  // Insert-once: every row goes through the identity upsert, which is idempotent.
  updatesById: false,
  normaliseKey(raw) {
    const key = raw.trim();
    return key !== '' ? { key } : { category: 'MISSING_VALUE', property: null, message: 'the task key is empty' };
  },
  notFound: (p) => ({ property: 'pqlsync_task_key', message: `no HubSpot task has the key ${p.key}` }),
};
