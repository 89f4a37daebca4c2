-- quote
"user_id" "order" "Mixed""Case"

-- table
"pqlsync_models"."user_scores"

-- types
string: text
float: double precision
integer: bigint
boolean: boolean
timestamp: timestamp

-- timestampLiteral
timestamp '2026-03-01 00:00:00.000'

-- createSchema
create schema if not exists "pqlsync"

-- createTableAs table
drop table if exists "pqlsync_models"."user_scores" cascade;
create table "pqlsync_models"."user_scores" as
select 1 as x

-- createTableAs view
drop view if exists "pqlsync_models"."user_scores" cascade;
create view "pqlsync_models"."user_scores" as
select 1 as x
