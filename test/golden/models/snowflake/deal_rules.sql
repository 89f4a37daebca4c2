select
  -- Red activation this close to the trial's end (days) asks for a human.
  3 as red_near_end_days,
  -- Amount = seats × list price per seat per month × months.
  12 as amount_months,
  10.0 as pro_seat_price,
  18.0 as business_seat_price,
  32.0 as enterprise_seat_price
