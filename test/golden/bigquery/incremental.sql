-- full rebuild (no range: everything up to as_of);

select user_id, feature, count(*) as events, min(t) as first_at, max(t) as last_at, COALESCE(LOGICAL_OR(kind = 'paid'), FALSE) as converted
from `raw`.`events`
where (t <= TIMESTAMP '2026-11-01 06:30:00.000')
group by user_id, feature;

-- folded range;

select user_id, feature, count(*) as events, min(t) as first_at, max(t) as last_at, COALESCE(LOGICAL_OR(kind = 'paid'), FALSE) as converted
from `raw`.`events`
where (t > TIMESTAMP '2026-10-29 06:00:00.000' and t <= TIMESTAMP '2026-10-30 06:30:00.000')
group by user_id, feature;

-- fold: kept rows of the touched keys merged with the fresh rows;

CREATE OR REPLACE TABLE `pqlsync_models`.`event_totals__delta` AS
select
  u.`user_id`,
  u.`feature`,
  sum(u.`events`) as `events`,
  min(u.`first_at`) as `first_at`,
  max(u.`last_at`) as `last_at`,
  COALESCE(LOGICAL_OR(u.`converted`), FALSE) as `converted`
from (
  select `user_id`, `feature`, `events`, `first_at`, `last_at`, `converted` from (
select * from `pqlsync_models`.`event_totals__kept` k where exists (select 1 from `pqlsync_models`.`event_totals__fresh` f where coalesce(CAST(f.`user_id` AS STRING), '') = coalesce(CAST(k.`user_id` AS STRING), '') and (f.`user_id` is null) = (k.`user_id` is null) and coalesce(CAST(f.`feature` AS STRING), '') = coalesce(CAST(k.`feature` AS STRING), '') and (f.`feature` is null) = (k.`feature` is null))
) r
  union all
  select `user_id`, `feature`, `events`, `first_at`, `last_at`, `converted` from `pqlsync_models`.`event_totals__fresh`
) u
group by u.`user_id`, u.`feature`;

-- refill: the model rows of every key the fresh or recent rows touch;

CREATE OR REPLACE TABLE `pqlsync_models`.`event_totals__refill` AS
select
  u.`user_id`,
  u.`feature`,
  sum(u.`events`) as `events`,
  min(u.`first_at`) as `first_at`,
  max(u.`last_at`) as `last_at`,
  COALESCE(LOGICAL_OR(u.`converted`), FALSE) as `converted`
from (
  select `user_id`, `feature`, `events`, `first_at`, `last_at`, `converted` from (
select * from `pqlsync_models`.`event_totals__kept` k where exists (select 1 from `pqlsync_models`.`event_totals__fresh` f where coalesce(CAST(f.`user_id` AS STRING), '') = coalesce(CAST(k.`user_id` AS STRING), '') and (f.`user_id` is null) = (k.`user_id` is null) and coalesce(CAST(f.`feature` AS STRING), '') = coalesce(CAST(k.`feature` AS STRING), '') and (f.`feature` is null) = (k.`feature` is null)) or exists (select 1 from `pqlsync_models`.`event_totals__recent` r where coalesce(CAST(r.`user_id` AS STRING), '') = coalesce(CAST(k.`user_id` AS STRING), '') and (r.`user_id` is null) = (k.`user_id` is null) and coalesce(CAST(r.`feature` AS STRING), '') = coalesce(CAST(k.`feature` AS STRING), '') and (r.`feature` is null) = (k.`feature` is null))
) r
  union all
  select `user_id`, `feature`, `events`, `first_at`, `last_at`, `converted` from `pqlsync_models`.`event_totals__fresh`
  union all
  select `user_id`, `feature`, `events`, `first_at`, `last_at`, `converted` from `pqlsync_models`.`event_totals__recent`
) u
group by u.`user_id`, u.`feature`;

-- in the transaction;

delete from `pqlsync_models`.`event_totals__kept` t where exists (select 1 from `pqlsync_models`.`event_totals__delta` s where coalesce(CAST(s.`user_id` AS STRING), '') = coalesce(CAST(t.`user_id` AS STRING), '') and (s.`user_id` is null) = (t.`user_id` is null) and coalesce(CAST(s.`feature` AS STRING), '') = coalesce(CAST(t.`feature` AS STRING), '') and (s.`feature` is null) = (t.`feature` is null));

insert into `pqlsync_models`.`event_totals__kept` (`user_id`, `feature`, `events`, `first_at`, `last_at`, `converted`)
select * from `pqlsync_models`.`event_totals__delta`;

delete from `pqlsync_models`.`event_totals` t where exists (select 1 from `pqlsync_models`.`event_totals__refill` s where coalesce(CAST(s.`user_id` AS STRING), '') = coalesce(CAST(t.`user_id` AS STRING), '') and (s.`user_id` is null) = (t.`user_id` is null) and coalesce(CAST(s.`feature` AS STRING), '') = coalesce(CAST(t.`feature` AS STRING), '') and (s.`feature` is null) = (t.`feature` is null));

-- a full rebuild fills the model from the kept rows and the recent SELECT;

insert into `pqlsync_models`.`event_totals` (`user_id`, `feature`, `events`, `first_at`, `last_at`, `converted`)
select
  u.`user_id`,
  u.`feature`,
  sum(u.`events`) as `events`,
  min(u.`first_at`) as `first_at`,
  max(u.`last_at`) as `last_at`,
  COALESCE(LOGICAL_OR(u.`converted`), FALSE) as `converted`
from (
  select `user_id`, `feature`, `events`, `first_at`, `last_at`, `converted` from `pqlsync_models`.`event_totals__kept`
  union all
  select `user_id`, `feature`, `events`, `first_at`, `last_at`, `converted` from (
select 1 as recent
) r
) u
group by u.`user_id`, u.`feature`
