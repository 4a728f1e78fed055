-- Store and web purchases, one row per order line: a receipt line in a store (a return a
-- negative line), a web order (one product line each). Billing's invoices are in
-- fct_invoices. The customer only where customer_360 profiles them, so the key joins.
with purchases as (
    select * from {{ ref('int_facts__purchases') }}
),

profiled as (
    select customer_id from {{ ref('customer_360') }}
),

final as (
    select
        f.purchase_line_id::text as purchase_line_id,
        f.order_ref::text as order_ref,
        {{ date_key('f.purchase_date') }} as date_key,
        f.purchase_date::date as purchase_date,
        f.purchased_at::timestamptz as purchased_at,
        f.channel::text as channel,
        case when f.channel = 'store' then split_part(f.order_ref, ':', 1) end::text as store_code,
        f.product_line::text as product_line,
        p.customer_id::text as customer_id,
        f.quantity::integer as quantity,
        f.amount::numeric(12, 2) as amount,
        f.currency::text as currency,
        f.is_return::boolean as is_return
    from purchases as f
    left join profiled as p on p.customer_id = f.customer_id
    where f.channel in ('store', 'web')
)

select * from final
