(a.as_of + to_days(cast(-14 as integer)))
