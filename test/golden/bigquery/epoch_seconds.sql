UNIX_SECONDS(e.occurred_at)
