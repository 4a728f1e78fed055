-- Billing's invoices and credit notes, one row per invoice in its latest version: what
-- finance charges for contracts and subscriptions, on channel finance. The customer of the
-- invoiced account only where customer_360 profiles them, so the key joins.
with invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

xref as (
    select * from {{ ref('int_identity__xref') }}
),

profiled as (
    select customer_id from {{ ref('customer_360') }}
),

final as (
    select
        i.invoice_id::text as invoice_id,
        {{ date_key('i.issued_on') }} as date_key,
        i.issued_on::date as issued_date,
        {{ date_key('i.due_on') }} as due_date_key,
        i.due_on::date as due_date,
        'finance'::text as channel,
        i.product_line::text as product_line,
        p.customer_id::text as customer_id,
        i.amount_excl_vat::numeric(12, 2) as amount_excl_vat,
        i.vat_amount::numeric(12, 2) as vat_amount,
        i.amount_incl_vat::numeric(12, 2) as amount_incl_vat,
        i.currency::text as currency,
        i.status::text as status,
        (i.amount_incl_vat < 0)::boolean as is_credit_note
    from invoices as i
    left join xref as x on x.source_system = 'finance' and x.source_key = i.account_id
    left join profiled as p on p.customer_id = x.customer_id
)

select * from final
