coalesce(boolor_agg(e.event_name = 'paywall_hit'), false)
