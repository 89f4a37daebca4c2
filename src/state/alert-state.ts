/**
 * The alerts pqlsync sent (src/alerts), kept in the state schema (this module owns the table):
 * `alerts_sent`, one row per alert, by the fingerprint of its failure. A scheduler retrying the
 * same failure within the dedupe window finds it here and sends nothing; a fresh machine sees
 * the same table, as every run's state lives in the warehouse.
 */
import type { Warehouse } from '../../connectors/warehouse.ts';

export const ALERTS_SENT = 'alerts_sent';

export class AlertStore {
  constructor(
    private readonly warehouse: Warehouse,
    readonly stateSchema: string,
  ) {}

  private get table(): string {
    return this.warehouse.dialect.table({ schema: this.stateSchema, name: ALERTS_SENT });
  }

  async ensureTable(): Promise<void> {
    const { string: s, integer: i, timestamp: ts } = this.warehouse.dialect.types;
    await this.warehouse.execute(this.warehouse.dialect.createSchema(this.stateSchema));
    await this.warehouse.execute(`create table if not exists ${this.table} (fingerprint ${s}, run_id ${s}, command ${s}, exit_code ${i}, reason ${s}, sent_at ${ts})`);
  }

  /** Whether an alert with this fingerprint was sent at or after `since`. */
  async sentSince(fingerprint: string, since: Date): Promise<boolean> {
    const [row] = await this.warehouse.query({
      sql: `select count(*) as n from ${this.table} where fingerprint = ? and sent_at >= ${this.warehouse.dialect.timestampLiteral(since.toISOString())}`,
      values: [fingerprint],
    });
    return Number(row.n) > 0;
  }

  async recordSent(alert: { fingerprint: string; runId: string; command: string; exitCode: number; reason: string }, at: Date): Promise<void> {
    await this.warehouse.insertRows({ schema: this.stateSchema, name: ALERTS_SENT }, ['fingerprint', 'run_id', 'command', 'exit_code', 'reason', 'sent_at'], [
      [alert.fingerprint, alert.runId, alert.command, alert.exitCode, alert.reason, at],
    ]);
  }

  async count(): Promise<number> {
    if (!(await this.warehouse.describe({ schema: this.stateSchema, name: ALERTS_SENT }))) return 0;
    const [row] = await this.warehouse.query(`select count(*) as n from ${this.table}`);
    return Number(row.n);
  }
}
