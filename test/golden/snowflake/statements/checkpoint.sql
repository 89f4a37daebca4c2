drop table if exists "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3";

create table "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" (record_key varchar, ok boolean, record_id varchar, row_hash varchar, tier varchar, kind varchar, category varchar, property varchar, message varchar);

delete from "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" where true;

insert into "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3" (record_key, ok, record_id, row_hash, tier, kind, category, property, message) values (?, ?, ?, ?, ?, ?, ?, ?, ?) -- × 2 rows;

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
