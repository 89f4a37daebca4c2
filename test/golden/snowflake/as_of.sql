cast('2026-03-01 12:34:56.789' as timestamp_ntz)
