-- One row per receipt line, typed; sold_at in the store's own time zone.
with source as (
    select * from {{ source('raw_store', 'pos_lines') }}
),

deduplicated as (
    select distinct on (store_code, receipt_id, line_no) *
    from source
    order by store_code, receipt_id, line_no, _business_date desc, _loaded_at desc
),

renamed as (
    select
        store_code || ':' || receipt_id || ':' || line_no as pos_line_id,
        receipt_id,
        line_no::int as line_no,
        store_code,
        left(store_code, 2) as country_code,
        {{ local_timestamp('sold_at', 'YYYY-MM-DD HH24:MI:SS', "case when store_code like 'BE-%' then 'Europe/Brussels' else 'Europe/Amsterdam' end") }} as sold_at,
        sku,
        product_line,
        quantity::int as quantity,
        unit_price::numeric(12, 2) as unit_price,
        discount::numeric(12, 2) as discount,
        quantity::int * unit_price::numeric(12, 2) - discount::numeric(12, 2) as line_amount,
        nullif(btrim(loyalty_card), '') as loyalty_card,
        payment_method,
        _business_date,
        _loaded_at
    from deduplicated
),

final as (
    select * from renamed
)

select * from final
