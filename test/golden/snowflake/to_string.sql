cast(u.user_id as varchar)
