-- Payments billing received against its invoices, one row each, with the invoice's product
-- line. Store and web sales are paid at the till and at checkout: their payment is the sale
-- (fct_purchase_lines).
with payments as (
    select * from {{ ref('fct_payments') }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
),

final as (
    select
        p.payment_id::text as payment_id,
        p.invoice_id::text as invoice_id,
        {{ date_key('p.paid_date') }} as date_key,
        p.paid_date::date as paid_date,
        'finance'::text as channel,
        i.product_line::text as product_line,
        i.customer_id::text as customer_id,
        p.amount::numeric(12, 2) as amount,
        p.method::text as method
    from payments as p
    left join invoices as i using (invoice_id)
)

select * from final
