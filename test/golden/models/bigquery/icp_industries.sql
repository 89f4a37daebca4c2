select 'software' as industry
union all select 'fintech'
union all select 'e-commerce'
union all select 'media'
