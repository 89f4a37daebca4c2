/**
 * The portal's daily budget as the last run saw it (this module owns the table `portal_budget`):
 * what HubSpot's last answer said was left of the portal's daily limit, and when. `plan` sends no
 * request, so this is the most it can know; it shows the time beside it, as the count resets at
 * midnight in the portal's time zone (docs/hubspot.md, "Daily budget").
 */
import type { Warehouse } from '../../connectors/warehouse.ts';

export const PORTAL_BUDGET = 'portal_budget';

export interface ObservedBudget {
  remaining: number;
  limit: number;
  observedAt: Date;
}

export class PortalBudgetStore {
  constructor(
    private readonly warehouse: Warehouse,
    readonly stateSchema: string,
  ) {}

  private get table(): string {
    return this.warehouse.dialect.table({ schema: this.stateSchema, name: PORTAL_BUDGET });
  }

  /** Keeps the latest observation only (one row); three statements, once a run. */
  async record(budget: { remaining: number; limit: number }, at: Date): Promise<void> {
    const { integer: i, timestamp: ts } = this.warehouse.dialect.types;
    await this.warehouse.execute(`create table if not exists ${this.table} (remaining ${i}, daily_limit ${i}, observed_at ${ts})`);
    // A WHERE clause: BigQuery refuses a DELETE without one.
    await this.warehouse.execute(`delete from ${this.table} where 1 = 1`);
    await this.warehouse.insertRows({ schema: this.stateSchema, name: PORTAL_BUDGET }, ['remaining', 'daily_limit', 'observed_at'], [[budget.remaining, budget.limit, at]]);
  }

  /** The last observation, or null when no run has seen one. */
  async read(): Promise<ObservedBudget | null> {
    if (!(await this.warehouse.describe({ schema: this.stateSchema, name: PORTAL_BUDGET }))) return null;
    const [row] = await this.warehouse.query(`select remaining, daily_limit, observed_at from ${this.table}`);
    if (!row) return null;
    const at = row.observed_at instanceof Date ? row.observed_at : new Date(String(row.observed_at));
    return { remaining: Number(row.remaining), limit: Number(row.daily_limit), observedAt: at };
  }
}
