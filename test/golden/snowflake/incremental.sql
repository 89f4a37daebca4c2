-- full rebuild (no range: everything up to as_of);

select user_id, feature, count(*) as events, min(t) as first_at, max(t) as last_at, coalesce(boolor_agg(kind = 'paid'), false) as converted
from "RAW"."EVENTS"
where (t <= cast('2026-11-01 06:30:00.000' as timestamp_ntz))
group by user_id, feature;

-- folded range;

select user_id, feature, count(*) as events, min(t) as first_at, max(t) as last_at, coalesce(boolor_agg(kind = 'paid'), false) as converted
from "RAW"."EVENTS"
where (t > cast('2026-10-29 06:00:00.000' as timestamp_ntz) and t <= cast('2026-10-30 06:30:00.000' as timestamp_ntz))
group by user_id, feature;

-- fold: kept rows of the touched keys merged with the fresh rows;

create or replace table "PQLSYNC_MODELS"."EVENT_TOTALS__DELTA" as
select
  u."USER_ID",
  u."FEATURE",
  sum(u."EVENTS") as "EVENTS",
  min(u."FIRST_AT") as "FIRST_AT",
  max(u."LAST_AT") as "LAST_AT",
  coalesce(boolor_agg(u."CONVERTED"), false) as "CONVERTED"
from (
  select "USER_ID", "FEATURE", "EVENTS", "FIRST_AT", "LAST_AT", "CONVERTED" from (
select * from "PQLSYNC_MODELS"."EVENT_TOTALS__KEPT" k where exists (select 1 from "PQLSYNC_MODELS"."EVENT_TOTALS__FRESH" f where coalesce(cast(f."USER_ID" as varchar), '') = coalesce(cast(k."USER_ID" as varchar), '') and (f."USER_ID" is null) = (k."USER_ID" is null) and coalesce(cast(f."FEATURE" as varchar), '') = coalesce(cast(k."FEATURE" as varchar), '') and (f."FEATURE" is null) = (k."FEATURE" is null))
) r
  union all
  select "USER_ID", "FEATURE", "EVENTS", "FIRST_AT", "LAST_AT", "CONVERTED" from "PQLSYNC_MODELS"."EVENT_TOTALS__FRESH"
) u
group by u."USER_ID", u."FEATURE";

-- refill: the model rows of every key the fresh or recent rows touch;

create or replace table "PQLSYNC_MODELS"."EVENT_TOTALS__REFILL" as
select
  u."USER_ID",
  u."FEATURE",
  sum(u."EVENTS") as "EVENTS",
  min(u."FIRST_AT") as "FIRST_AT",
  max(u."LAST_AT") as "LAST_AT",
  coalesce(boolor_agg(u."CONVERTED"), false) as "CONVERTED"
from (
  select "USER_ID", "FEATURE", "EVENTS", "FIRST_AT", "LAST_AT", "CONVERTED" from (
select * from "PQLSYNC_MODELS"."EVENT_TOTALS__KEPT" k where exists (select 1 from "PQLSYNC_MODELS"."EVENT_TOTALS__FRESH" f where coalesce(cast(f."USER_ID" as varchar), '') = coalesce(cast(k."USER_ID" as varchar), '') and (f."USER_ID" is null) = (k."USER_ID" is null) and coalesce(cast(f."FEATURE" as varchar), '') = coalesce(cast(k."FEATURE" as varchar), '') and (f."FEATURE" is null) = (k."FEATURE" is null)) or exists (select 1 from "PQLSYNC_MODELS"."EVENT_TOTALS__RECENT" r where coalesce(cast(r."USER_ID" as varchar), '') = coalesce(cast(k."USER_ID" as varchar), '') and (r."USER_ID" is null) = (k."USER_ID" is null) and coalesce(cast(r."FEATURE" as varchar), '') = coalesce(cast(k."FEATURE" as varchar), '') and (r."FEATURE" is null) = (k."FEATURE" is null))
) r
  union all
  select "USER_ID", "FEATURE", "EVENTS", "FIRST_AT", "LAST_AT", "CONVERTED" from "PQLSYNC_MODELS"."EVENT_TOTALS__FRESH"
  union all
  select "USER_ID", "FEATURE", "EVENTS", "FIRST_AT", "LAST_AT", "CONVERTED" from "PQLSYNC_MODELS"."EVENT_TOTALS__RECENT"
) u
group by u."USER_ID", u."FEATURE";

-- in the transaction;

delete from "PQLSYNC_MODELS"."EVENT_TOTALS__KEPT" t where exists (select 1 from "PQLSYNC_MODELS"."EVENT_TOTALS__DELTA" s where coalesce(cast(s."USER_ID" as varchar), '') = coalesce(cast(t."USER_ID" as varchar), '') and (s."USER_ID" is null) = (t."USER_ID" is null) and coalesce(cast(s."FEATURE" as varchar), '') = coalesce(cast(t."FEATURE" as varchar), '') and (s."FEATURE" is null) = (t."FEATURE" is null));

insert into "PQLSYNC_MODELS"."EVENT_TOTALS__KEPT" ("USER_ID", "FEATURE", "EVENTS", "FIRST_AT", "LAST_AT", "CONVERTED")
select * from "PQLSYNC_MODELS"."EVENT_TOTALS__DELTA";

delete from "PQLSYNC_MODELS"."EVENT_TOTALS" t where exists (select 1 from "PQLSYNC_MODELS"."EVENT_TOTALS__REFILL" s where coalesce(cast(s."USER_ID" as varchar), '') = coalesce(cast(t."USER_ID" as varchar), '') and (s."USER_ID" is null) = (t."USER_ID" is null) and coalesce(cast(s."FEATURE" as varchar), '') = coalesce(cast(t."FEATURE" as varchar), '') and (s."FEATURE" is null) = (t."FEATURE" is null));

-- a full rebuild fills the model from the kept rows and the recent SELECT;

insert into "PQLSYNC_MODELS"."EVENT_TOTALS" ("USER_ID", "FEATURE", "EVENTS", "FIRST_AT", "LAST_AT", "CONVERTED")
select
  u."USER_ID",
  u."FEATURE",
  sum(u."EVENTS") as "EVENTS",
  min(u."FIRST_AT") as "FIRST_AT",
  max(u."LAST_AT") as "LAST_AT",
  coalesce(boolor_agg(u."CONVERTED"), false) as "CONVERTED"
from (
  select "USER_ID", "FEATURE", "EVENTS", "FIRST_AT", "LAST_AT", "CONVERTED" from "PQLSYNC_MODELS"."EVENT_TOTALS__KEPT"
  union all
  select "USER_ID", "FEATURE", "EVENTS", "FIRST_AT", "LAST_AT", "CONVERTED" from (
select 1 as recent
) r
) u
group by u."USER_ID", u."FEATURE"
