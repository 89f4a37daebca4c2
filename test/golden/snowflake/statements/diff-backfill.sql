select "USER_ID" as k, count(*) as n from "PQLSYNC_MODELS"."CONTACT_SYNC" where "USER_ID" is not null
     group by "USER_ID" having count(*) > 1 order by count(*) desc, "USER_ID" limit 5;

create or replace table "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" as
with cur as (select h."PQLSYNC__KEY", 'a952b3575c93:' || h."PQLSYNC__VALUES_HASH" as "PQLSYNC__HASH", h."PQLSYNC__VALUES_HASH"
    from (select cast(m."USER_ID" as varchar) as "PQLSYNC__KEY", md5(coalesce(replace(replace(cast(m."EMAIL" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PQL_SCORE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PQL_TIER" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PRODUCT_SCORE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."FIT_SCORE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACTIVATION_LEVEL" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."HOT_TRIGGER" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PQL_REASONS" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACTIVATED" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACTIVATED_AT" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."SIGNUP_DATE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."LAST_ACTIVE_AT" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."LOGINS_14D" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."DAYS_ACTIVE_30D" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."CORE_FEATURES_USED" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."INVITES_TOTAL" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PAYWALL_HITS_30D" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACCOUNT_MOTION" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACCOUNT_ID" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."USER_ID" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."LEAD_STAGE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N')) as "PQLSYNC__VALUES_HASH"
          from "PQLSYNC_MODELS"."CONTACT_SYNC" m where m."USER_ID" is not null) h),
    st as (select record_key, record_id from "PQLSYNC"."SYNC_STATE" where sync_name = 'contacts'),
    p as (select cur."PQLSYNC__KEY", cur."PQLSYNC__HASH", st.record_id as "PQLSYNC__RECORD_ID",
        case when st.record_key is null then 'new' else 'changed' end as "PQLSYNC__KIND"
      from cur left join st on st.record_key = cur."PQLSYNC__KEY"
      where 1 = 1 and cur."PQLSYNC__KEY" in (select record_key from "PQLSYNC"."BACKFILL__CONTACTS" where sent_at is null))
    select p."PQLSYNC__KEY", m."EMAIL", m."PQL_SCORE", m."PQL_TIER", m."PRODUCT_SCORE", m."FIT_SCORE", m."ACTIVATION_LEVEL", m."HOT_TRIGGER", m."PQL_REASONS", m."ACTIVATED", m."ACTIVATED_AT", m."SIGNUP_DATE", m."LAST_ACTIVE_AT", m."LOGINS_14D", m."DAYS_ACTIVE_30D", m."CORE_FEATURES_USED", m."INVITES_TOTAL", m."PAYWALL_HITS_30D", m."ACCOUNT_MOTION", m."ACCOUNT_ID", m."USER_ID", m."LEAD_STAGE", p."PQLSYNC__HASH", cast(m."PQL_TIER" as varchar) as "PQLSYNC__TIER", p."PQLSYNC__RECORD_ID", p."PQLSYNC__KIND"
    from p join "PQLSYNC_MODELS"."CONTACT_SYNC" m on cast(m."USER_ID" as varchar) = p."PQLSYNC__KEY";

create or replace table "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3" as
select st.record_key as "PQLSYNC__KEY", st.record_id as "PQLSYNC__RECORD_ID"
    from "PQLSYNC"."SYNC_STATE" st
    where st.sync_name = 'contacts'
      and 1 = 0;

select
      (select count(*) from "PQLSYNC_MODELS"."CONTACT_SYNC" m where m."USER_ID" is not null) as n_rows,
      (select count(*) from "PQLSYNC_MODELS"."CONTACT_SYNC" m where m."USER_ID" is null) as n_null_keys,
      (select count(*) from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" where "PQLSYNC__KIND" = 'new') as n_new,
      (select count(*) from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" where "PQLSYNC__KIND" = 'changed') as n_changed,
      (select count(*) from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" where "PQLSYNC__KIND" = 'retry') as n_retry,
      (select count(*) from "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3") as n_removed;
