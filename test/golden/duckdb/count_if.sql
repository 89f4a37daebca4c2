count_if(coalesce(e.event_name = 'login', false))
