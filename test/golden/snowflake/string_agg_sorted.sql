(case when count(e.feature) = 0 then null else listagg(distinct e.feature, ', ') within group (order by e.feature) end)
