string_agg(distinct e.feature, ', ' order by e.feature)
