-- quote
`user_id` `order` `Mixed"Case`

-- table
`pqlsync_models`.`user_scores`

-- types
string: STRING
float: FLOAT64
integer: INT64
boolean: BOOL
timestamp: TIMESTAMP

-- timestampLiteral
TIMESTAMP '2026-03-01 00:00:00.000'

-- createSchema
CREATE SCHEMA IF NOT EXISTS `pqlsync`

-- createTableAs table
CREATE OR REPLACE TABLE `pqlsync_models`.`user_scores` AS
select 1 as x

-- createTableAs view
CREATE OR REPLACE VIEW `pqlsync_models`.`user_scores` AS
select 1 as x
