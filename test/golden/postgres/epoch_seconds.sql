cast(floor(extract(epoch from e.occurred_at)) as bigint)
