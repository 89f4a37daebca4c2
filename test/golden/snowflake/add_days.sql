dateadd('day', cast(-14 as integer), a.as_of)
