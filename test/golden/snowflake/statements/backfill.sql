create table if not exists "PQLSYNC"."BACKFILLS" (sync_name varchar, selection varchar, identity varchar, total number(38,0), started_at timestamp_ntz);

select selection, identity, total from "PQLSYNC"."BACKFILLS" where sync_name = ? order by started_at desc;

create or replace table "PQLSYNC"."BACKFILL__CONTACTS" as
select distinct cast(m."USER_ID" as varchar) as record_key, cast(null as timestamp_ntz) as sent_at
       from "PQLSYNC_MODELS"."CONTACT_SYNC" m where m."USER_ID" is not null and m."LAST_ACTIVE_AT" >= cast('2026-10-01 00:00:00.000' as timestamp_ntz);

select count(*) as n from "PQLSYNC"."BACKFILL__CONTACTS";

insert into "PQLSYNC"."BACKFILLS" (sync_name, selection, identity, total, started_at) values (?, ?, ?, ?, ?);
