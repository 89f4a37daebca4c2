-- quote
"USER_ID" "ORDER" "Mixed""Case"

-- table
"PQLSYNC_MODELS"."USER_SCORES"

-- types
string: varchar
float: double
integer: number(38,0)
boolean: boolean
timestamp: timestamp_ntz

-- timestampLiteral
cast('2026-03-01 00:00:00.000' as timestamp_ntz)

-- createSchema
create schema if not exists "PQLSYNC"

-- createTableAs table
create or replace table "PQLSYNC_MODELS"."USER_SCORES" as
select 1 as x

-- createTableAs view
create or replace view "PQLSYNC_MODELS"."USER_SCORES" as
select 1 as x
