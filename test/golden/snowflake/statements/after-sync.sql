select sum(case when s."PQL_SCORE" is distinct from cast(c."PQL_SCORE" as varchar) then 1 else 0 end) as "P0", sum(case when s."PQL_TIER" is distinct from cast(c."PQL_TIER" as varchar) then 1 else 0 end) as "P1", sum(case when s."PRODUCT_SCORE" is distinct from cast(c."PRODUCT_SCORE" as varchar) then 1 else 0 end) as "P2", sum(case when s."FIT_SCORE" is distinct from cast(c."FIT_SCORE" as varchar) then 1 else 0 end) as "P3", sum(case when s."ACTIVATION_LEVEL" is distinct from cast(c."ACTIVATION_LEVEL" as varchar) then 1 else 0 end) as "P4", sum(case when s."HOT_TRIGGER" is distinct from cast(c."HOT_TRIGGER" as varchar) then 1 else 0 end) as "P5", sum(case when s."PQL_REASONS" is distinct from cast(c."PQL_REASONS" as varchar) then 1 else 0 end) as "P6", sum(case when s."ACTIVATED" is distinct from cast(c."ACTIVATED" as varchar) then 1 else 0 end) as "P7", sum(case when s."ACTIVATED_AT" is distinct from cast(c."ACTIVATED_AT" as varchar) then 1 else 0 end) as "P8", sum(case when s."SIGNUP_DATE" is distinct from cast(c."SIGNUP_DATE" as varchar) then 1 else 0 end) as "P9", sum(case when s."LAST_ACTIVE_AT" is distinct from cast(c."LAST_ACTIVE_AT" as varchar) then 1 else 0 end) as "P10", sum(case when s."LOGINS_14D" is distinct from cast(c."LOGINS_14D" as varchar) then 1 else 0 end) as "P11", sum(case when s."DAYS_ACTIVE_30D" is distinct from cast(c."DAYS_ACTIVE_30D" as varchar) then 1 else 0 end) as "P12", sum(case when s."CORE_FEATURES_USED" is distinct from cast(c."CORE_FEATURES_USED" as varchar) then 1 else 0 end) as "P13", sum(case when s."INVITES_TOTAL" is distinct from cast(c."INVITES_TOTAL" as varchar) then 1 else 0 end) as "P14", sum(case when s."PAYWALL_HITS_30D" is distinct from cast(c."PAYWALL_HITS_30D" as varchar) then 1 else 0 end) as "P15", sum(case when s."ACCOUNT_MOTION" is distinct from cast(c."ACCOUNT_MOTION" as varchar) then 1 else 0 end) as "P16", sum(case when s."ACCOUNT_ID" is distinct from cast(c."ACCOUNT_ID" as varchar) then 1 else 0 end) as "P17", sum(case when s."USER_ID" is distinct from cast(c."USER_ID" as varchar) then 1 else 0 end) as "P18", sum(case when s."LEAD_STAGE" is distinct from cast(c."LEAD_STAGE" as varchar) then 1 else 0 end) as "P19" from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" c
     join "PQLSYNC"."DELIVERED__CONTACTS" s on s.record_key = c."PQLSYNC__KEY"
     where c."PQLSYNC__KIND" = 'changed';

delete from "PQLSYNC"."SYNC_STATE" where sync_name = ? and record_key in (select "PQLSYNC__KEY" from "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3");

delete from "PQLSYNC"."DELIVERED__CONTACTS" where record_key in (select "PQLSYNC__KEY" from "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3");

delete from "PQLSYNC"."ROW_ERRORS" where sync_name = ? and record_key not in (
              select "PQLSYNC__KEY" from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" where "PQLSYNC__KEY" in (select record_key from "PQLSYNC"."ROW_ERRORS" where sync_name = ?));

drop table if exists "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3";
