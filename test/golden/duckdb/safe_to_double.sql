try_cast(u.seats_text as double)
