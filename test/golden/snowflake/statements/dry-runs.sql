insert into "PQLSYNC"."DRY_RUNS" (run_id, command, syncs, host, pid, started_at) values (?, ?, ?, ?, ?, ?);

delete from "PQLSYNC"."DRY_RUNS" where run_id = ?;

select run_id, command, syncs, host, pid, started_at < ? as expired from "PQLSYNC"."DRY_RUNS";

drop table if exists "PQLSYNC"."HANDOFF_CANDIDATES__142300_A1B2C3";

drop table if exists "PQLSYNC"."HANDOFF_KEPT__142300_A1B2C3";

drop table if exists "PQLSYNC"."HANDOFF_SLOTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."HANDOFF_REKEY__142300_A1B2C3";

drop table if exists "PQLSYNC"."HANDOFF_REKEY_STATE__142300_A1B2C3";

drop table if exists "PQLSYNC"."CHANGES__CONTACTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."REMOVED__CONTACTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."OUTCOMES__CONTACTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."BACKFILL__CONTACTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."BACKFILL_KEYS__CONTACTS__142300_A1B2C3";

drop table if exists "PQLSYNC"."RESOLVED__CONTACTS_COMPANIES__142300_A1B2C3";

drop table if exists "PQLSYNC"."PAIRS__CONTACTS_COMPANIES__142300_A1B2C3";

drop table if exists "PQLSYNC"."UNPAIRED__CONTACTS_COMPANIES__142300_A1B2C3";

delete from "PQLSYNC"."DRY_RUNS" where run_id = ?;
