count_if(e.event_name = 'login')
