-- One row per payment: its latest version.
with source as (
    select * from {{ source('raw_finance', 'payments') }}
),

latest as (
    select distinct on (payment_id) *
    from source
    order by payment_id, updated_at desc
),

final as (
    select
        payment_id,
        invoice_id,
        paid_at,
        amount,
        method,
        updated_at,
        _business_date,
        _loaded_at
    from latest
)

select * from final
