(a.as_of + make_interval(days => cast(-14 as integer)))
