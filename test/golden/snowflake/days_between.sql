cast(floor(cast(datediff('microsecond', e.first_seen_at, a.as_of) as double) / 86400000000) as bigint)
