COUNTIF(e.event_name = 'login')
