/**
 * Significance: which changes of a row are worth sending (docs/change-control.md). A mapping may
 * say that a number must move by `min_change` (absolute, or relative: '10%'), or cross one of its
 * `buckets`, and that a date or datetime must move by `min_change` whole days, or to another
 * `granularity` unit, before the
 * change is sent; a derived value (`send_alone: false`) is never a reason to send on its own. The comparison is with the value last *delivered* (the sync's delivered
 * snapshot, as text), never with yesterday's model: small moves add up, and are sent once they
 * matter. Any other property (a tier, stage, trigger, owner, enumeration, string or bool) is
 * significant on any change. Pure SQL generation: the diff runs it inside the warehouse.
 */
import type { Dialect } from '../../connectors/warehouse.ts';
import type { PropertyMapping, SyncConfig } from '../config/schema.ts';

/** Characters of a date or timestamp's text form ('YYYY-MM-DD HH:MI…', every dialect) that make each unit. */
const GRANULARITY_PREFIX: Record<NonNullable<PropertyMapping['granularity']>, number> = {
  year: 4,
  month: 7,
  day: 10,
  hour: 13,
  minute: 16,
};

/** Whether any property of the sync has a significance rule (else every change is sent, as before). */
export function hasSignificance(sync: Pick<SyncConfig, 'properties'>): boolean {
  return sync.properties.some((p) => p.min_change !== undefined || p.buckets !== undefined || p.granularity !== undefined || p.send_alone === false);
}

/**
 * A boolean SQL expression, never NULL: the current value `current` (the model column, any type)
 * moved significantly from `delivered` (the delivered snapshot's text). NULL to a value, or a
 * value to NULL, is always significant.
 */
export function significantChange(d: Dialect, p: PropertyMapping, current: string, delivered: string): string {
  const text = d.macros.to_string(current);
  // Goes along with the row's other changes, never alone.
  if (p.send_alone === false) return '(1 = 0)';
  if (p.min_change !== undefined && (p.type === 'date' || p.type === 'datetime')) {
    // Dates: whole days between the value delivered and the current one.
    const ts = d.types.timestamp;
    const days = `abs(${d.macros.days_between(`cast(${delivered} as ${ts})`, `cast(${current} as ${ts})`)})`;
    return `coalesce(${days} >= ${Number(p.min_change)}, ${delivered} is distinct from ${text})`;
  }
  if (p.granularity) {
    const n = GRANULARITY_PREFIX[p.granularity];
    return `(substr(${text}, 1, ${n}) is distinct from substr(${delivered}, 1, ${n}))`;
  }
  const now = d.macros.safe_to_double(text);
  const before = d.macros.safe_to_double(delivered);
  if (p.buckets) return `(${bucketOf(now, p.buckets)} is distinct from ${bucketOf(before, p.buckets)})`;
  if (p.min_change !== undefined) {
    const move = `abs(${now} - ${before})`;
    const enough =
      typeof p.min_change === 'number'
        ? `${move} >= ${p.min_change}`
        : `${move} > 0 and ${move} >= ${Number(p.min_change.slice(0, -1)) / 100} * abs(${before})`;
    return `coalesce(${enough}, ${now} is distinct from ${before})`;
  }
  return `(${delivered} is distinct from ${text})`;
}

/** The bucket a number falls in: 0 below the first bound, i + 1 at or above bound i; NULL stays NULL. */
function bucketOf(value: string, bounds: number[]): string {
  const arms = bounds.map((b, i) => ({ b, i })).reverse().map(({ b, i }) => `when ${value} >= ${b} then ${i + 1}`);
  return `(case when ${value} is null then null ${arms.join(' ')} else 0 end)`;
}

/**
 * A SELECT of the keys among `moved` (a relation with column `keyColumn`: keys whose row hash
 * differs from the one delivered) whose every change is insignificant: they stay unchanged, and
 * HubSpot keeps the value last delivered. `modelKey` is the model's key as text (over alias m);
 * the snapshot is aliased s. Keys without a snapshot row are never in it (sent as before).
 */
export function insignificantKeysSql(d: Dialect, sync: SyncConfig, sql: { moved: string; keyColumn: string; model: string; modelKey: string; delivered: string }): string {
  const q = d.quote;
  const any = sync.properties.map((p) => significantChange(d, p, `m.${q(p.column)}`, `s.${q(p.column)}`)).join('\n      or ');
  return `select s.record_key from ${sql.moved} mv
      join ${sql.delivered} s on s.record_key = mv.${q(sql.keyColumn)}
      join ${sql.model} m on ${sql.modelKey} = mv.${q(sql.keyColumn)}
      where not (${any})`;
}

/**
 * A property's class under a tight daily budget (docs/hubspot.md, "Daily budget"): its own
 * `priority`, else `score` for a number whose significance says how far it must move (min_change
 * or buckets: a score, a bucketed count), else `counter`. Predictable from the mapping alone.
 */
export function priorityOf(p: PropertyMapping): 'score' | 'counter' {
  return p.priority ?? (p.type === 'number' && (p.min_change !== undefined || p.buckets !== undefined) ? 'score' : 'counter');
}

/**
 * A boolean SQL expression, never NULL: some `score` property of the row (over alias c, the
 * changes table) moved significantly from the value last delivered (alias s, the delivered
 * snapshot, left-joined: a key without one never counts). A score marked send_alone: false still
 * counts: priority orders what is sent, it does not decide whether.
 */
export function scoreMovedSql(d: Dialect, sync: Pick<SyncConfig, 'properties'>): string {
  const q = d.quote;
  const scores = sync.properties.filter((p) => priorityOf(p) === 'score');
  if (scores.length === 0) return '(1 = 0)';
  const moved = scores.map((p) => significantChange(d, { ...p, send_alone: undefined }, `c.${q(p.column)}`, `s.${q(p.column)}`));
  return `(s.record_key is not null and (${moved.join(' or ')}))`;
}
