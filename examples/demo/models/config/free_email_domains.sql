/*
materialized: table
unique_key: domain
description: >
  Free-mail and personal email domains. Users on these domains are people, never a company:
  they get no company row, no domain roll-up and no domain adoption trigger. Add domains here.
tests:
  unique: [domain]
  not_null: [domain]
*/
select 'gmail.com' as domain
union all select 'googlemail.com'
union all select 'yahoo.com'
union all select 'yahoo.co.uk'
union all select 'ymail.com'
union all select 'outlook.com'
union all select 'hotmail.com'
union all select 'hotmail.co.uk'
union all select 'live.com'
union all select 'msn.com'
union all select 'icloud.com'
union all select 'me.com'
union all select 'mac.com'
union all select 'aol.com'
union all select 'proton.me'
union all select 'protonmail.com'
union all select 'gmx.de'
union all select 'gmx.net'
union all select 'web.de'
union all select 'mail.com'
union all select 'yandex.ru'
union all select 'qq.com'
union all select '163.com'
union all select 'zoho.com'
