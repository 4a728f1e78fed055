-- One row per invoice or credit note: its latest version.
with source as (
    select * from {{ source('raw_finance', 'invoices') }}
),

latest as (
    select distinct on (invoice_id) *
    from source
    order by invoice_id, updated_at desc
),

final as (
    select
        invoice_id,
        upper(account_id) as account_id,
        issued_on,
        due_on,
        product_line,
        amount_excl_vat,
        vat_amount,
        amount_excl_vat + vat_amount as amount_incl_vat,
        currency::text as currency,
        status,
        updated_at,
        _business_date,
        _loaded_at
    from latest
)

select * from final
