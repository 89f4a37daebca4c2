/*
materialized: table
description: >
  The rules that move a trial's deal through the PLG pipeline, in one row the data team edits
  (the 50-seat threshold itself is scoring_points.sales_assisted_seats, shared with the
  motion). A trial's deal is sales-assisted when its account has that many seats, when its
  activation is still red this many days or fewer before the trial ends, or when a hot trigger
  fired; amounts are list price per seat per month times months (an annual contract value).
tests:
  not_null: [red_near_end_days, amount_months, pro_seat_price, business_seat_price, enterprise_seat_price]
*/
select
  -- Red activation this close to the trial's end (days) asks for a human.
  3 as red_near_end_days,
  -- Amount = seats × list price per seat per month × months.
  12 as amount_months,
  10.0 as pro_seat_price,
  18.0 as business_seat_price,
  32.0 as enterprise_seat_price
