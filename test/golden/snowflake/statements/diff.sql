select "USER_ID" as k, count(*) as n from "PQLSYNC_MODELS"."CONTACT_SYNC" where "USER_ID" is not null
     group by "USER_ID" having count(*) > 1 order by count(*) desc, "USER_ID" limit 5;

create or replace table "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" as
with cur as (select h."PQLSYNC__KEY", 'a952b3575c93:' || h."PQLSYNC__VALUES_HASH" as "PQLSYNC__HASH", h."PQLSYNC__VALUES_HASH"
    from (select cast(m."USER_ID" as varchar) as "PQLSYNC__KEY", md5(coalesce(replace(replace(cast(m."EMAIL" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PQL_SCORE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PQL_TIER" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PRODUCT_SCORE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."FIT_SCORE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACTIVATION_LEVEL" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."HOT_TRIGGER" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PQL_REASONS" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACTIVATED" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACTIVATED_AT" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."SIGNUP_DATE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."LAST_ACTIVE_AT" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."LOGINS_14D" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."DAYS_ACTIVE_30D" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."CORE_FEATURES_USED" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."INVITES_TOTAL" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PAYWALL_HITS_30D" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACCOUNT_MOTION" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACCOUNT_ID" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."USER_ID" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."LEAD_STAGE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N')) as "PQLSYNC__VALUES_HASH"
          from "PQLSYNC_MODELS"."CONTACT_SYNC" m where m."USER_ID" is not null) h),
    st as (select record_key, row_hash, record_id from "PQLSYNC"."SYNC_STATE" where sync_name = 'contacts'),
    moved as (select cur."PQLSYNC__KEY" from cur join st on st.record_key = cur."PQLSYNC__KEY" where st.row_hash <> cur."PQLSYNC__HASH" and st.row_hash <> cur."PQLSYNC__VALUES_HASH" and (st.row_hash like 'a952b3575c93:%' or st.row_hash not like '%:%')),
    quiet as (select s.record_key from moved mv
      join "PQLSYNC"."DELIVERED__CONTACTS" s on s.record_key = mv."PQLSYNC__KEY"
      join "PQLSYNC_MODELS"."CONTACT_SYNC" m on cast(m."USER_ID" as varchar) = mv."PQLSYNC__KEY"
      where not ((s."EMAIL" is distinct from cast(m."EMAIL" as varchar))
      or coalesce(abs(try_to_double(cast(cast(m."PQL_SCORE" as varchar) as varchar)) - try_to_double(cast(s."PQL_SCORE" as varchar))) >= 20, try_to_double(cast(cast(m."PQL_SCORE" as varchar) as varchar)) is distinct from try_to_double(cast(s."PQL_SCORE" as varchar)))
      or (s."PQL_TIER" is distinct from cast(m."PQL_TIER" as varchar))
      or coalesce(abs(try_to_double(cast(cast(m."PRODUCT_SCORE" as varchar) as varchar)) - try_to_double(cast(s."PRODUCT_SCORE" as varchar))) >= 20, try_to_double(cast(cast(m."PRODUCT_SCORE" as varchar) as varchar)) is distinct from try_to_double(cast(s."PRODUCT_SCORE" as varchar)))
      or coalesce(abs(try_to_double(cast(cast(m."FIT_SCORE" as varchar) as varchar)) - try_to_double(cast(s."FIT_SCORE" as varchar))) >= 5, try_to_double(cast(cast(m."FIT_SCORE" as varchar) as varchar)) is distinct from try_to_double(cast(s."FIT_SCORE" as varchar)))
      or (s."ACTIVATION_LEVEL" is distinct from cast(m."ACTIVATION_LEVEL" as varchar))
      or (s."HOT_TRIGGER" is distinct from cast(m."HOT_TRIGGER" as varchar))
      or (1 = 0)
      or (s."ACTIVATED" is distinct from cast(m."ACTIVATED" as varchar))
      or (s."ACTIVATED_AT" is distinct from cast(m."ACTIVATED_AT" as varchar))
      or (s."SIGNUP_DATE" is distinct from cast(m."SIGNUP_DATE" as varchar))
      or coalesce(abs(cast(floor(cast(datediff('microsecond', cast(s."LAST_ACTIVE_AT" as timestamp_ntz), cast(m."LAST_ACTIVE_AT" as timestamp_ntz)) as double) / 86400000000) as bigint)) >= 7, s."LAST_ACTIVE_AT" is distinct from cast(m."LAST_ACTIVE_AT" as varchar))
      or (1 = 0)
      or (1 = 0)
      or (1 = 0)
      or (s."INVITES_TOTAL" is distinct from cast(m."INVITES_TOTAL" as varchar))
      or ((case when try_to_double(cast(cast(m."PAYWALL_HITS_30D" as varchar) as varchar)) is null then null when try_to_double(cast(cast(m."PAYWALL_HITS_30D" as varchar) as varchar)) >= 10 then 3 when try_to_double(cast(cast(m."PAYWALL_HITS_30D" as varchar) as varchar)) >= 3 then 2 when try_to_double(cast(cast(m."PAYWALL_HITS_30D" as varchar) as varchar)) >= 1 then 1 else 0 end) is distinct from (case when try_to_double(cast(s."PAYWALL_HITS_30D" as varchar)) is null then null when try_to_double(cast(s."PAYWALL_HITS_30D" as varchar)) >= 10 then 3 when try_to_double(cast(s."PAYWALL_HITS_30D" as varchar)) >= 3 then 2 when try_to_double(cast(s."PAYWALL_HITS_30D" as varchar)) >= 1 then 1 else 0 end))
      or (s."ACCOUNT_MOTION" is distinct from cast(m."ACCOUNT_MOTION" as varchar))
      or (s."ACCOUNT_ID" is distinct from cast(m."ACCOUNT_ID" as varchar))
      or (s."USER_ID" is distinct from cast(m."USER_ID" as varchar))
      or (s."LEAD_STAGE" is distinct from cast(m."LEAD_STAGE" as varchar)))),
    err as (select distinct record_key from "PQLSYNC"."ROW_ERRORS" where sync_name = 'contacts'),
    p as (select cur."PQLSYNC__KEY", cur."PQLSYNC__HASH", st.record_id as "PQLSYNC__RECORD_ID",
        case when st.record_key is null then 'new'
             when (st.row_hash <> cur."PQLSYNC__HASH" and st.row_hash <> cur."PQLSYNC__VALUES_HASH" and cur."PQLSYNC__KEY" not in (select record_key from quiet)) then 'changed'
             else 'retry' end as "PQLSYNC__KIND"
      from cur left join st on st.record_key = cur."PQLSYNC__KEY"
      where (st.record_key is null or (st.row_hash <> cur."PQLSYNC__HASH" and st.row_hash <> cur."PQLSYNC__VALUES_HASH" and cur."PQLSYNC__KEY" not in (select record_key from quiet))
         or cur."PQLSYNC__KEY" in (select record_key from err)))
    select p."PQLSYNC__KEY", m."EMAIL", m."PQL_SCORE", m."PQL_TIER", m."PRODUCT_SCORE", m."FIT_SCORE", m."ACTIVATION_LEVEL", m."HOT_TRIGGER", m."PQL_REASONS", m."ACTIVATED", m."ACTIVATED_AT", m."SIGNUP_DATE", m."LAST_ACTIVE_AT", m."LOGINS_14D", m."DAYS_ACTIVE_30D", m."CORE_FEATURES_USED", m."INVITES_TOTAL", m."PAYWALL_HITS_30D", m."ACCOUNT_MOTION", m."ACCOUNT_ID", m."USER_ID", m."LEAD_STAGE", p."PQLSYNC__HASH", cast(m."PQL_TIER" as varchar) as "PQLSYNC__TIER", p."PQLSYNC__RECORD_ID", p."PQLSYNC__KIND"
    from p join "PQLSYNC_MODELS"."CONTACT_SYNC" m on cast(m."USER_ID" as varchar) = p."PQLSYNC__KEY";

with cur as (select h."PQLSYNC__KEY", 'a952b3575c93:' || h."PQLSYNC__VALUES_HASH" as "PQLSYNC__HASH", h."PQLSYNC__VALUES_HASH"
    from (select cast(m."USER_ID" as varchar) as "PQLSYNC__KEY", md5(coalesce(replace(replace(cast(m."EMAIL" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PQL_SCORE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PQL_TIER" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PRODUCT_SCORE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."FIT_SCORE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACTIVATION_LEVEL" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."HOT_TRIGGER" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PQL_REASONS" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACTIVATED" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACTIVATED_AT" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."SIGNUP_DATE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."LAST_ACTIVE_AT" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."LOGINS_14D" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."DAYS_ACTIVE_30D" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."CORE_FEATURES_USED" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."INVITES_TOTAL" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."PAYWALL_HITS_30D" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACCOUNT_MOTION" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."ACCOUNT_ID" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."USER_ID" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N') || '|' || coalesce(replace(replace(cast(m."LEAD_STAGE" as varchar), '\\', '\\\\'), '|', '\\|'), '\\N')) as "PQLSYNC__VALUES_HASH"
          from "PQLSYNC_MODELS"."CONTACT_SYNC" m where m."USER_ID" is not null) h),
            st as (select record_key, row_hash from "PQLSYNC"."SYNC_STATE" where sync_name = 'contacts'),
            moved as (select cur."PQLSYNC__KEY" from cur join st on st.record_key = cur."PQLSYNC__KEY" where st.row_hash <> cur."PQLSYNC__HASH" and st.row_hash <> cur."PQLSYNC__VALUES_HASH" and (st.row_hash like 'a952b3575c93:%' or st.row_hash not like '%:%')),
            quiet as (select s.record_key from moved mv
      join "PQLSYNC"."DELIVERED__CONTACTS" s on s.record_key = mv."PQLSYNC__KEY"
      join "PQLSYNC_MODELS"."CONTACT_SYNC" m on cast(m."USER_ID" as varchar) = mv."PQLSYNC__KEY"
      where not ((s."EMAIL" is distinct from cast(m."EMAIL" as varchar))
      or coalesce(abs(try_to_double(cast(cast(m."PQL_SCORE" as varchar) as varchar)) - try_to_double(cast(s."PQL_SCORE" as varchar))) >= 20, try_to_double(cast(cast(m."PQL_SCORE" as varchar) as varchar)) is distinct from try_to_double(cast(s."PQL_SCORE" as varchar)))
      or (s."PQL_TIER" is distinct from cast(m."PQL_TIER" as varchar))
      or coalesce(abs(try_to_double(cast(cast(m."PRODUCT_SCORE" as varchar) as varchar)) - try_to_double(cast(s."PRODUCT_SCORE" as varchar))) >= 20, try_to_double(cast(cast(m."PRODUCT_SCORE" as varchar) as varchar)) is distinct from try_to_double(cast(s."PRODUCT_SCORE" as varchar)))
      or coalesce(abs(try_to_double(cast(cast(m."FIT_SCORE" as varchar) as varchar)) - try_to_double(cast(s."FIT_SCORE" as varchar))) >= 5, try_to_double(cast(cast(m."FIT_SCORE" as varchar) as varchar)) is distinct from try_to_double(cast(s."FIT_SCORE" as varchar)))
      or (s."ACTIVATION_LEVEL" is distinct from cast(m."ACTIVATION_LEVEL" as varchar))
      or (s."HOT_TRIGGER" is distinct from cast(m."HOT_TRIGGER" as varchar))
      or (1 = 0)
      or (s."ACTIVATED" is distinct from cast(m."ACTIVATED" as varchar))
      or (s."ACTIVATED_AT" is distinct from cast(m."ACTIVATED_AT" as varchar))
      or (s."SIGNUP_DATE" is distinct from cast(m."SIGNUP_DATE" as varchar))
      or coalesce(abs(cast(floor(cast(datediff('microsecond', cast(s."LAST_ACTIVE_AT" as timestamp_ntz), cast(m."LAST_ACTIVE_AT" as timestamp_ntz)) as double) / 86400000000) as bigint)) >= 7, s."LAST_ACTIVE_AT" is distinct from cast(m."LAST_ACTIVE_AT" as varchar))
      or (1 = 0)
      or (1 = 0)
      or (1 = 0)
      or (s."INVITES_TOTAL" is distinct from cast(m."INVITES_TOTAL" as varchar))
      or ((case when try_to_double(cast(cast(m."PAYWALL_HITS_30D" as varchar) as varchar)) is null then null when try_to_double(cast(cast(m."PAYWALL_HITS_30D" as varchar) as varchar)) >= 10 then 3 when try_to_double(cast(cast(m."PAYWALL_HITS_30D" as varchar) as varchar)) >= 3 then 2 when try_to_double(cast(cast(m."PAYWALL_HITS_30D" as varchar) as varchar)) >= 1 then 1 else 0 end) is distinct from (case when try_to_double(cast(s."PAYWALL_HITS_30D" as varchar)) is null then null when try_to_double(cast(s."PAYWALL_HITS_30D" as varchar)) >= 10 then 3 when try_to_double(cast(s."PAYWALL_HITS_30D" as varchar)) >= 3 then 2 when try_to_double(cast(s."PAYWALL_HITS_30D" as varchar)) >= 1 then 1 else 0 end))
      or (s."ACCOUNT_MOTION" is distinct from cast(m."ACCOUNT_MOTION" as varchar))
      or (s."ACCOUNT_ID" is distinct from cast(m."ACCOUNT_ID" as varchar))
      or (s."USER_ID" is distinct from cast(m."USER_ID" as varchar))
      or (s."LEAD_STAGE" is distinct from cast(m."LEAD_STAGE" as varchar))))
            select count(*) as n from quiet where record_key not in (select "PQLSYNC__KEY" from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3");

select substr(st.row_hash, 1, 12) as fingerprint, count(*) as n
     from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" c join "PQLSYNC"."SYNC_STATE" st on st.sync_name = 'contacts' and st.record_key = c."PQLSYNC__KEY"
     where c."PQLSYNC__KIND" = 'changed' and st.row_hash like '%:%' and st.row_hash not like 'a952b3575c93:%'
     group by 1 order by 2 desc;

create or replace table "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3" as
select st.record_key as "PQLSYNC__KEY", st.record_id as "PQLSYNC__RECORD_ID"
    from "PQLSYNC"."SYNC_STATE" st
    where st.sync_name = 'contacts'
      and not exists (select 1 from "PQLSYNC_MODELS"."CONTACT_SYNC" m where cast(m."USER_ID" as varchar) = st.record_key);

select
      (select count(*) from "PQLSYNC_MODELS"."CONTACT_SYNC" m where m."USER_ID" is not null) as n_rows,
      (select count(*) from "PQLSYNC_MODELS"."CONTACT_SYNC" m where m."USER_ID" is null) as n_null_keys,
      (select count(*) from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" where "PQLSYNC__KIND" = 'new') as n_new,
      (select count(*) from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" where "PQLSYNC__KIND" = 'changed') as n_changed,
      (select count(*) from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" where "PQLSYNC__KIND" = 'retry') as n_retry,
      (select count(*) from "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3") as n_removed;
