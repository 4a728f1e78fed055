-- Payments received by billing, one row each, with the customer of the invoiced account.
-- Store and web sales are paid at the till and at checkout: their payment is the sale.
with xref as (
    select * from {{ ref('int_identity__xref') }}
),

payments as (
    select * from {{ ref('stg_finance__payments') }}
),

invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

final as (
    select
        p.payment_id::text as payment_id,
        p.invoice_id::text as invoice_id,
        x.customer_id::text as customer_id,
        p.paid_at::timestamptz as paid_at,
        {{ business_day('p.paid_at') }} as paid_date,
        p.amount::numeric(12, 2) as amount,
        p.method::text as method
    from payments as p
    left join invoices as i using (invoice_id)
    left join xref as x on x.source_system = 'finance' and x.source_key = i.account_id
)

select * from final
