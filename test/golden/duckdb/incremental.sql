-- full rebuild (no range: everything up to as_of);

select user_id, feature, count(*) as events, min(t) as first_at, max(t) as last_at, coalesce(bool_or(kind = 'paid'), false) as converted
from "raw"."events"
where (t <= timestamp '2026-11-01 06:30:00.000')
group by user_id, feature;

-- folded range;

select user_id, feature, count(*) as events, min(t) as first_at, max(t) as last_at, coalesce(bool_or(kind = 'paid'), false) as converted
from "raw"."events"
where (t > timestamp '2026-10-29 06:00:00.000' and t <= timestamp '2026-10-30 06:30:00.000')
group by user_id, feature;

-- fold: kept rows of the touched keys merged with the fresh rows;

create or replace table "pqlsync_models"."event_totals__delta" as
select
  u."user_id",
  u."feature",
  sum(u."events") as "events",
  min(u."first_at") as "first_at",
  max(u."last_at") as "last_at",
  coalesce(bool_or(u."converted"), false) as "converted"
from (
  select "user_id", "feature", "events", "first_at", "last_at", "converted" from (
select * from "pqlsync_models"."event_totals__kept" k where exists (select 1 from "pqlsync_models"."event_totals__fresh" f where f."user_id" is not distinct from k."user_id" and f."feature" is not distinct from k."feature")
) r
  union all
  select "user_id", "feature", "events", "first_at", "last_at", "converted" from "pqlsync_models"."event_totals__fresh"
) u
group by u."user_id", u."feature";

-- refill: the model rows of every key the fresh or recent rows touch;

create or replace table "pqlsync_models"."event_totals__refill" as
select
  u."user_id",
  u."feature",
  sum(u."events") as "events",
  min(u."first_at") as "first_at",
  max(u."last_at") as "last_at",
  coalesce(bool_or(u."converted"), false) as "converted"
from (
  select "user_id", "feature", "events", "first_at", "last_at", "converted" from (
select * from "pqlsync_models"."event_totals__kept" k where exists (select 1 from "pqlsync_models"."event_totals__fresh" f where f."user_id" is not distinct from k."user_id" and f."feature" is not distinct from k."feature") or exists (select 1 from "pqlsync_models"."event_totals__recent" r where r."user_id" is not distinct from k."user_id" and r."feature" is not distinct from k."feature")
) r
  union all
  select "user_id", "feature", "events", "first_at", "last_at", "converted" from "pqlsync_models"."event_totals__fresh"
  union all
  select "user_id", "feature", "events", "first_at", "last_at", "converted" from "pqlsync_models"."event_totals__recent"
) u
group by u."user_id", u."feature";

-- in the transaction;

delete from "pqlsync_models"."event_totals__kept" t where exists (select 1 from "pqlsync_models"."event_totals__delta" s where s."user_id" is not distinct from t."user_id" and s."feature" is not distinct from t."feature");

insert into "pqlsync_models"."event_totals__kept" ("user_id", "feature", "events", "first_at", "last_at", "converted")
select * from "pqlsync_models"."event_totals__delta";

delete from "pqlsync_models"."event_totals" t where exists (select 1 from "pqlsync_models"."event_totals__refill" s where s."user_id" is not distinct from t."user_id" and s."feature" is not distinct from t."feature");

-- a full rebuild fills the model from the kept rows and the recent SELECT;

insert into "pqlsync_models"."event_totals" ("user_id", "feature", "events", "first_at", "last_at", "converted")
select
  u."user_id",
  u."feature",
  sum(u."events") as "events",
  min(u."first_at") as "first_at",
  max(u."last_at") as "last_at",
  coalesce(bool_or(u."converted"), false) as "converted"
from (
  select "user_id", "feature", "events", "first_at", "last_at", "converted" from "pqlsync_models"."event_totals__kept"
  union all
  select "user_id", "feature", "events", "first_at", "last_at", "converted" from (
select 1 as recent
) r
) u
group by u."user_id", u."feature"
