/*
materialized: table
unique_key: keyword
description: >
  Words that mark a decision-maker's job title (matched case-insensitively anywhere in the
  title), worth senior_title_points in the fit layer.
tests:
  unique: [keyword]
  not_null: [keyword]
*/
select 'founder' as keyword
union all select 'ceo'
union all select 'cto'
union all select 'chief'
union all select 'vp'
union all select 'vice president'
union all select 'head of'
union all select 'director'
union all select 'manager'
union all select 'owner'
