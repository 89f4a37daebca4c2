-- quote
"user_id" "order" "Mixed""Case"

-- table
"pqlsync_models"."user_scores"

-- types
string: varchar
float: double
integer: bigint
boolean: boolean
timestamp: timestamp

-- timestampLiteral
timestamp '2026-03-01 00:00:00.000'

-- createSchema
create schema if not exists "pqlsync"

-- createTableAs table
create or replace table "pqlsync_models"."user_scores" as
select 1 as x

-- createTableAs view
create or replace view "pqlsync_models"."user_scores" as
select 1 as x
