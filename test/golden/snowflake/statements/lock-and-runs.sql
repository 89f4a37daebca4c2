select run_id from "PQLSYNC"."LOCKS" where sync_name = ? and expires_at < ?;

delete from "PQLSYNC"."LOCKS" where sync_name = ? and expires_at < ?;

select * from "PQLSYNC"."LOCKS" where sync_name = ?;

insert into "PQLSYNC"."LOCKS" (sync_name, run_id, host, pid, acquired_at, expires_at) values (?, ?, ?, ?, ?, ?);

select * from "PQLSYNC"."LOCKS" where sync_name = ?;

update "PQLSYNC"."LOCKS" set expires_at = ? where sync_name = ? and run_id = ?;

delete from "PQLSYNC"."LOCKS" where sync_name = ? and run_id = ?;

insert into "PQLSYNC"."RUNS" (run_id, command, sync_name, started_at, status) values (?, ?, ?, ?, ?);

update "PQLSYNC"."RUNS" set finished_at = ?, status = ?, n_rows = ?, n_new = ?, n_changed = ?, n_unchanged = ?,
              n_removed = ?, n_sent = ?, n_failed = ?, requests = ?, message = ?
            where run_id = ? and sync_name = ?;

select run_id from "PQLSYNC"."RUNS" where sync_name = ? and status = 'running' and run_id <> ?;

select * from "PQLSYNC"."RUNS" order by started_at desc, sync_name limit 10;

select sync_name, record_key, category, property, message, attempts, first_failed_at, last_failed_at
       from "PQLSYNC"."ROW_ERRORS" order by sync_name, record_key limit 50;

select tier, count(*) as n from "PQLSYNC"."SYNC_STATE" where sync_name = ? group by tier;

select cast("PQL_TIER" as varchar) as tier, count(*) as n from "PQLSYNC_MODELS"."CONTACT_SYNC" group by "PQL_TIER";
