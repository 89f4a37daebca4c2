count(*) filter (where e.event_name = 'login')
