/*
materialized: table
unique_key: industry
description: >
  Industries of the ideal customer profile (lower case), worth icp_industry_points in the fit layer.
tests:
  unique: [industry]
  not_null: [industry]
*/
select 'software' as industry
union all select 'fintech'
union all select 'e-commerce'
union all select 'media'
