create table "PQLSYNC"."DELIVERED__CONTACTS" ("RECORD_KEY" varchar, "EMAIL" varchar, "PQL_SCORE" varchar, "PQL_TIER" varchar, "PRODUCT_SCORE" varchar, "FIT_SCORE" varchar, "ACTIVATION_LEVEL" varchar, "HOT_TRIGGER" varchar, "PQL_REASONS" varchar, "ACTIVATED" varchar, "ACTIVATED_AT" varchar, "SIGNUP_DATE" varchar, "LAST_ACTIVE_AT" varchar, "LOGINS_14D" varchar, "DAYS_ACTIVE_30D" varchar, "CORE_FEATURES_USED" varchar, "INVITES_TOTAL" varchar, "PAYWALL_HITS_30D" varchar, "ACCOUNT_MOTION" varchar, "ACCOUNT_ID" varchar, "USER_ID" varchar, "LEAD_STAGE" varchar);

begin;

delete from "PQLSYNC"."DELIVERED__CONTACTS" where record_key in (select record_key from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" where ok = true and kind <> 'new');

insert into "PQLSYNC"."DELIVERED__CONTACTS" (record_key, "EMAIL", "PQL_SCORE", "PQL_TIER", "PRODUCT_SCORE", "FIT_SCORE", "ACTIVATION_LEVEL", "HOT_TRIGGER", "PQL_REASONS", "ACTIVATED", "ACTIVATED_AT", "SIGNUP_DATE", "LAST_ACTIVE_AT", "LOGINS_14D", "DAYS_ACTIVE_30D", "CORE_FEATURES_USED", "INVITES_TOTAL", "PAYWALL_HITS_30D", "ACCOUNT_MOTION", "ACCOUNT_ID", "USER_ID", "LEAD_STAGE")
       select c."PQLSYNC__KEY", cast(c."EMAIL" as varchar), cast(c."PQL_SCORE" as varchar), cast(c."PQL_TIER" as varchar), cast(c."PRODUCT_SCORE" as varchar), cast(c."FIT_SCORE" as varchar), cast(c."ACTIVATION_LEVEL" as varchar), cast(c."HOT_TRIGGER" as varchar), cast(c."PQL_REASONS" as varchar), cast(c."ACTIVATED" as varchar), cast(c."ACTIVATED_AT" as varchar), cast(c."SIGNUP_DATE" as varchar), cast(c."LAST_ACTIVE_AT" as varchar), cast(c."LOGINS_14D" as varchar), cast(c."DAYS_ACTIVE_30D" as varchar), cast(c."CORE_FEATURES_USED" as varchar), cast(c."INVITES_TOTAL" as varchar), cast(c."PAYWALL_HITS_30D" as varchar), cast(c."ACCOUNT_MOTION" as varchar), cast(c."ACCOUNT_ID" as varchar), cast(c."USER_ID" as varchar), cast(c."LEAD_STAGE" as varchar)
       from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" c
       where c."PQLSYNC__KEY" in (select record_key from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" where ok = true and kind <> 'clear');

commit;

select sum(case when s."EMAIL" is distinct from cast(c."EMAIL" as varchar) then 1 else 0 end) as "P0", sum(case when s."PQL_SCORE" is distinct from cast(c."PQL_SCORE" as varchar) then 1 else 0 end) as "P1", sum(case when s."PQL_TIER" is distinct from cast(c."PQL_TIER" as varchar) then 1 else 0 end) as "P2", sum(case when s."PRODUCT_SCORE" is distinct from cast(c."PRODUCT_SCORE" as varchar) then 1 else 0 end) as "P3", sum(case when s."FIT_SCORE" is distinct from cast(c."FIT_SCORE" as varchar) then 1 else 0 end) as "P4", sum(case when s."ACTIVATION_LEVEL" is distinct from cast(c."ACTIVATION_LEVEL" as varchar) then 1 else 0 end) as "P5", sum(case when s."HOT_TRIGGER" is distinct from cast(c."HOT_TRIGGER" as varchar) then 1 else 0 end) as "P6", sum(case when s."PQL_REASONS" is distinct from cast(c."PQL_REASONS" as varchar) then 1 else 0 end) as "P7", sum(case when s."ACTIVATED" is distinct from cast(c."ACTIVATED" as varchar) then 1 else 0 end) as "P8", sum(case when s."ACTIVATED_AT" is distinct from cast(c."ACTIVATED_AT" as varchar) then 1 else 0 end) as "P9", sum(case when s."SIGNUP_DATE" is distinct from cast(c."SIGNUP_DATE" as varchar) then 1 else 0 end) as "P10", sum(case when s."LAST_ACTIVE_AT" is distinct from cast(c."LAST_ACTIVE_AT" as varchar) then 1 else 0 end) as "P11", sum(case when s."LOGINS_14D" is distinct from cast(c."LOGINS_14D" as varchar) then 1 else 0 end) as "P12", sum(case when s."DAYS_ACTIVE_30D" is distinct from cast(c."DAYS_ACTIVE_30D" as varchar) then 1 else 0 end) as "P13", sum(case when s."CORE_FEATURES_USED" is distinct from cast(c."CORE_FEATURES_USED" as varchar) then 1 else 0 end) as "P14", sum(case when s."INVITES_TOTAL" is distinct from cast(c."INVITES_TOTAL" as varchar) then 1 else 0 end) as "P15", sum(case when s."PAYWALL_HITS_30D" is distinct from cast(c."PAYWALL_HITS_30D" as varchar) then 1 else 0 end) as "P16", sum(case when s."ACCOUNT_MOTION" is distinct from cast(c."ACCOUNT_MOTION" as varchar) then 1 else 0 end) as "P17", sum(case when s."ACCOUNT_ID" is distinct from cast(c."ACCOUNT_ID" as varchar) then 1 else 0 end) as "P18", sum(case when s."USER_ID" is distinct from cast(c."USER_ID" as varchar) then 1 else 0 end) as "P19", sum(case when s."LEAD_STAGE" is distinct from cast(c."LEAD_STAGE" as varchar) then 1 else 0 end) as "P20" from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" c
     join "PQLSYNC"."DELIVERED__CONTACTS" s on s.record_key = c."PQLSYNC__KEY"
     where c."PQLSYNC__KIND" = 'changed';

delete from "PQLSYNC"."DELIVERED__CONTACTS" where record_key in (select "PQLSYNC__KEY" from "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3");

delete from "PQLSYNC"."SYNC_STATE" where sync_name = ? and record_key in (select "PQLSYNC__KEY" from "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3");

delete from "PQLSYNC"."ROW_ERRORS" where sync_name = ? and record_key not in (
              select "PQLSYNC__KEY" from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" where "PQLSYNC__KEY" in (select record_key from "PQLSYNC"."ROW_ERRORS" where sync_name = ?));

drop table if exists "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3";
