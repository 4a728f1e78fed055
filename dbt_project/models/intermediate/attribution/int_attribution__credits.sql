-- Every purchase of int_attribution__purchases credited to the customer's web touches
-- before it in the lookback window (var attribution_lookback_days; a touch exactly that
-- long before still counts) by three attribution models: first_touch, last_touch and position_based (40 % to the first,
-- 40 % to the last, 20 % spread over those between; one touch gets all, two half each).
-- A purchase without a touch in the window is credited once per model, to no touch, so
-- each model's credits add up to the purchases' revenue.
-- Credits are rounded down to the cent; the last credited touch gets what rounding left,
-- so a purchase's credits sum to its revenue exactly.
with purchases as (
    select * from {{ ref('int_attribution__purchases') }}
),

touches as (
    select * from {{ ref('int_attribution__touches') }}
),

touched as (
    select
        p.purchase_id,
        t.touch_id,
        row_number() over (partition by p.purchase_id order by t.touched_at, t.touch_id)
            as touch_position,
        count(*) over (partition by p.purchase_id) as touch_count
    from purchases as p
    inner join touches as t
        on t.customer_id = p.customer_id
       and t.touched_at < p.purchased_at
       and t.touched_at >= p.purchased_at - make_interval(days => {{ attribution_lookback_days() }})
),

models as (
    select attribution_model
    from (values ('first_touch'), ('last_touch'), ('position_based')) as m (attribution_model)
),

shares as (
    select
        t.*,
        m.attribution_model,
        case m.attribution_model
            when 'first_touch' then (t.touch_position = 1)::int::numeric
            when 'last_touch' then (t.touch_position = t.touch_count)::int::numeric
            when 'position_based' then case
                when t.touch_count = 1 then 1.0
                when t.touch_count = 2 then 0.5
                when t.touch_position in (1, t.touch_count) then 0.4
                else 0.2 / (t.touch_count - 2)
            end
        end as credit_share
    from touched as t
    cross join models as m
),

rounded as (
    select
        s.*,
        p.revenue,
        floor(p.revenue * s.credit_share * 100) / 100 as rounded_credit,
        s.touch_position = max(s.touch_position) over (partition by s.purchase_id, s.attribution_model)
            as takes_remainder
    from shares as s
    inner join purchases as p on p.purchase_id = s.purchase_id
    where s.credit_share > 0
),

credited as (
    select
        purchase_id,
        attribution_model,
        touch_id,
        touch_position,
        touch_count,
        credit_share,
        case
            when takes_remainder
                then revenue - sum(rounded_credit) over (partition by purchase_id, attribution_model)
                     + rounded_credit
            else rounded_credit
        end as credit
    from rounded
),

untouched as (
    select p.purchase_id, m.attribution_model, null as touch_id, null::bigint as touch_position,
           0::bigint as touch_count, 1.0 as credit_share, p.revenue as credit
    from purchases as p
    cross join models as m
    where not exists (select from touched as t where t.purchase_id = p.purchase_id)
),

final as (
    select
        c.purchase_id::text as purchase_id,
        p.customer_id::text as customer_id,
        p.channel::text as purchase_channel,
        p.product_line::text as purchased_product_line,
        p.purchased_at::timestamptz as purchased_at,
        p.purchase_date::date as purchase_date,
        p.revenue::numeric(12, 2) as revenue,
        c.attribution_model::text as attribution_model,
        c.touch_id::text as touch_id,
        c.touch_position::integer as touch_position,
        c.touch_count::integer as touch_count,
        t.touched_at::timestamptz as touched_at,
        t.session_id::text as session_id,
        t.page_path::text as page_path,
        t.page_title::text as page_title,
        t.product_line::text as content_product_line,
        t.utm_source::text as utm_source,
        t.utm_medium::text as utm_medium,
        t.utm_campaign::text as utm_campaign,
        t.referrer_domain::text as referrer_domain,
        c.credit_share::numeric as credit_share,
        c.credit::numeric(12, 2) as credit
    from (select * from credited union all select * from untouched) as c
    inner join purchases as p on p.purchase_id = c.purchase_id
    left join touches as t on t.touch_id = c.touch_id
)

select * from final
