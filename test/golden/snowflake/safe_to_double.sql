try_to_double(cast(u.seats_text as varchar))
