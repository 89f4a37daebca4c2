cast(floor((epoch(a.as_of) - epoch(e.first_seen_at)) / 86400) as bigint)
