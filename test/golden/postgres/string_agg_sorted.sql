array_to_string(array_agg(distinct e.feature order by e.feature) filter (where e.feature is not null), ', ')
