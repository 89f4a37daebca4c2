coalesce(bool_or(e.event_name = 'paywall_hit'), false)
