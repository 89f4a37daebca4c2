date_part(epoch_second, e.occurred_at)
