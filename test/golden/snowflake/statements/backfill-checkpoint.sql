drop table if exists "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3";

create table "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" (record_key varchar, ok boolean, record_id varchar, row_hash varchar, tier varchar, kind varchar, category varchar, property varchar, message varchar);

delete from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" where true;

insert into "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" (record_key, ok, record_id, kind, category, property, message) values (?, ?, ?, ?, ?, ?, ?) -- × 1 rows;

update "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" set row_hash = c."PQLSYNC__HASH", tier = c."PQLSYNC__TIER", kind = c."PQLSYNC__KIND"
       from (select "PQLSYNC__KEY", "PQLSYNC__HASH", "PQLSYNC__TIER", "PQLSYNC__KIND" from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" where "PQLSYNC__KEY" in (select record_key from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3")) c
       where "OUTCOMES__CONTACTS__142300_A1B2C3".record_key = c."PQLSYNC__KEY";

begin;

update "PQLSYNC"."SYNC_STATE" set row_hash = f.row_hash, record_id = f.record_id, tier = f.tier, run_id = ?, synced_at = ?
           from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" f where f.ok = true and f.kind = 'changed' and "SYNC_STATE".sync_name = ? and "SYNC_STATE".record_key = f.record_key;

delete from "PQLSYNC"."SYNC_STATE" where sync_name = ? and record_key in (select record_key from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" where ok = true and kind in ('retry', 'clear'));

insert into "PQLSYNC"."SYNC_STATE" (sync_name, record_key, row_hash, record_id, tier, run_id, synced_at)
           select ?, record_key, row_hash, record_id, tier, ?, ? from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" where ok = true and kind in ('new', 'retry');

delete from "PQLSYNC"."ROW_ERRORS" where sync_name = ? and record_key in (select record_key from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" where ok = true);

update "PQLSYNC"."ROW_ERRORS" set run_id = ?, category = f.category, property = f.property, message = f.message,
             attempts = attempts + 1, last_failed_at = ?
           from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" f where f.ok = false and "ROW_ERRORS".sync_name = ? and "ROW_ERRORS".record_key = f.record_key;

insert into "PQLSYNC"."ROW_ERRORS" (sync_name, record_key, run_id, category, property, message, attempts, first_failed_at, last_failed_at)
           select ?, f.record_key, ?, f.category, f.property, f.message, 1, ?, ? from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" f
           where f.ok = false and not exists (select 1 from "PQLSYNC"."ROW_ERRORS" e where e.sync_name = ? and e.record_key = f.record_key);

commit;

begin;

delete from "PQLSYNC"."DELIVERED__CONTACTS" where record_key in (select record_key from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" where ok = true and kind <> 'new');

insert into "PQLSYNC"."DELIVERED__CONTACTS" (record_key, "EMAIL", "PQL_SCORE", "PQL_TIER", "PRODUCT_SCORE", "FIT_SCORE", "ACTIVATION_LEVEL", "HOT_TRIGGER", "PQL_REASONS", "ACTIVATED", "ACTIVATED_AT", "SIGNUP_DATE", "LAST_ACTIVE_AT", "LOGINS_14D", "DAYS_ACTIVE_30D", "CORE_FEATURES_USED", "INVITES_TOTAL", "PAYWALL_HITS_30D", "ACCOUNT_MOTION", "ACCOUNT_ID", "USER_ID", "LEAD_STAGE")
       select c."PQLSYNC__KEY", cast(c."EMAIL" as varchar), cast(c."PQL_SCORE" as varchar), cast(c."PQL_TIER" as varchar), cast(c."PRODUCT_SCORE" as varchar), cast(c."FIT_SCORE" as varchar), cast(c."ACTIVATION_LEVEL" as varchar), cast(c."HOT_TRIGGER" as varchar), cast(c."PQL_REASONS" as varchar), cast(c."ACTIVATED" as varchar), cast(c."ACTIVATED_AT" as varchar), cast(c."SIGNUP_DATE" as varchar), cast(c."LAST_ACTIVE_AT" as varchar), cast(c."LOGINS_14D" as varchar), cast(c."DAYS_ACTIVE_30D" as varchar), cast(c."CORE_FEATURES_USED" as varchar), cast(c."INVITES_TOTAL" as varchar), cast(c."PAYWALL_HITS_30D" as varchar), cast(c."ACCOUNT_MOTION" as varchar), cast(c."ACCOUNT_ID" as varchar), cast(c."USER_ID" as varchar), cast(c."LEAD_STAGE" as varchar)
       from "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3" c
       where c."PQLSYNC__KEY" in (select record_key from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" where ok = true and kind <> 'clear');

commit;

update "PQLSYNC"."BACKFILL__CONTACTS" set sent_at = ? where sent_at is null and record_key in (select record_key from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3");
