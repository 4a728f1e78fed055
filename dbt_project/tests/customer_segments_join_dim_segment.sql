-- Every segment customer_segments holds is one dim_segment describes, so BI can join a
-- membership to its description, owner and consent rule. Fails with the segment that is not.
select distinct s.segment
from {{ ref('customer_segments') }} as s
left join {{ ref('dim_segment') }} as d on d.segment = s.segment
where d.segment is null
