(case when cast(u.seats_text as text) ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$' then cast(cast(u.seats_text as text) as double precision) end)
