-- The purchases attribution credits: every store and web purchase of an identified
-- customer up to the business date, one order's lines of one product line each. Returns
-- are not purchases, and billing's invoices (finance) are charges of a contract, not a
-- decision content leads to.
with business_date as (
    select {{ business_date() }} as business_date
),

purchase_lines as (
    select * from {{ ref('int_facts__purchases') }}
),

purchases as (
    select
        p.channel || ':' || p.order_ref || ':' || coalesce(p.product_line, '') as purchase_id,
        p.customer_id,
        p.channel,
        p.product_line,
        min(p.purchased_at) as purchased_at,
        min(p.purchase_date) as purchase_date,
        sum(p.amount) as revenue
    from purchase_lines as p
    cross join business_date as b
    where p.customer_id is not null
      and p.channel in ('store', 'web')
      and not p.is_return
      and p.purchase_date <= b.business_date
    group by p.channel, p.order_ref, p.product_line, p.customer_id
),

final as (
    select
        purchase_id::text as purchase_id,
        customer_id::text as customer_id,
        channel::text as channel,
        product_line::text as product_line,
        purchased_at::timestamptz as purchased_at,
        purchase_date::date as purchase_date,
        revenue::numeric(12, 2) as revenue
    from purchases
)

select * from final
