create schema if not exists "PQLSYNC";

create table if not exists "PQLSYNC"."SYNC_STATE" (
      sync_name varchar, record_key varchar, row_hash varchar, record_id varchar, tier varchar, run_id varchar, synced_at timestamp_ntz);

create table if not exists "PQLSYNC"."RUNS" (
      run_id varchar, command varchar, sync_name varchar, started_at timestamp_ntz, finished_at timestamp_ntz, status varchar,
      n_rows number(38,0), n_new number(38,0), n_changed number(38,0), n_unchanged number(38,0), n_removed number(38,0), n_sent number(38,0), n_failed number(38,0),
      requests number(38,0), message varchar);

create table if not exists "PQLSYNC"."ROW_ERRORS" (
      sync_name varchar, record_key varchar, run_id varchar, category varchar, property varchar, message varchar,
      attempts number(38,0), first_failed_at timestamp_ntz, last_failed_at timestamp_ntz);

create table if not exists "PQLSYNC"."LOCKS" (
      sync_name varchar, run_id varchar, host varchar, pid number(38,0), acquired_at timestamp_ntz, expires_at timestamp_ntz);

create table if not exists "PQLSYNC"."RUN_LOG" (
      run_id varchar, command varchar, account_id varchar, started_at timestamp_ntz, finished_at timestamp_ntz, status varchar, exit_code number(38,0), message varchar);

create table if not exists "PQLSYNC"."DESTINATION_ACCOUNT" (account_id varchar, bound_at timestamp_ntz, run_id varchar);

create table if not exists "PQLSYNC"."SYNC_MAPPINGS" (sync_name varchar, fingerprint varchar, mapping varchar, first_run_id varchar, first_seen_at timestamp_ntz);

create table if not exists "PQLSYNC"."CREATE_INTENTS" (sync_name varchar, record_key varchar, parent_id varchar, run_id varchar, intended_at timestamp_ntz);

create table if not exists "PQLSYNC"."DRY_RUNS" (run_id varchar, command varchar, syncs varchar, host varchar, pid number(38,0), started_at timestamp_ntz);
