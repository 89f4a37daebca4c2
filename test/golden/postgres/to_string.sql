cast(u.user_id as text)
