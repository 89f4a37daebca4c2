cast(floor((extract(epoch from a.as_of) - extract(epoch from e.first_seen_at)) / 86400) as bigint)
