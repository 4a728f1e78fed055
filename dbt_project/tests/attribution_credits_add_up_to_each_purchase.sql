-- Each attribution model shares out every purchase exactly: its credits of the purchase add
-- up to the purchase's revenue, to the cent (the last credited touch takes what rounding
-- left). Fails with the purchase and model that do not.
select p.purchase_id, m.attribution_model, p.revenue, sum(c.credit) as credited
from {{ ref('int_attribution__purchases') }} as p
cross join (values ('first_touch'), ('last_touch'), ('position_based')) as m (attribution_model)
left join {{ ref('int_attribution__credits') }} as c
    on c.purchase_id = p.purchase_id and c.attribution_model = m.attribution_model
group by p.purchase_id, m.attribution_model, p.revenue
having sum(c.credit) is distinct from p.revenue
