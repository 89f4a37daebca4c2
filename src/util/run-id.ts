import { randomBytes } from 'node:crypto';

/** A run's id: its start time (UTC, to the second) and six random hex digits, e.g. 20261127T142300Z-a1b2c3. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}
