CAST(u.user_id AS STRING)
