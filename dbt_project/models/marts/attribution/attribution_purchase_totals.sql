-- The purchases attribution shares out, per month, summed straight from
-- int_attribution__purchases: the totals each attribution model's conversion tables must
-- add up to (the gate's attribution suite). No customer in it, so the privacy step's
-- erasure of tonight's per-customer rows leaves it as the conversion tables were built.
with purchases as (
    select * from {{ ref('int_attribution__purchases') }}
),

final as (
    select
        date_trunc('month', purchase_date)::date as purchase_month,
        count(*)::bigint as purchases,
        sum(revenue)::numeric(14, 2) as revenue,
        count(*) filter (where channel = 'store')::bigint as store_purchases
    from purchases
    group by 1
)

select * from final
