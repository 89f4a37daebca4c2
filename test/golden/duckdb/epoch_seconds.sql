cast(floor(epoch(e.occurred_at)) as bigint)
