COALESCE(LOGICAL_OR(e.event_name = 'paywall_hit'), FALSE)
