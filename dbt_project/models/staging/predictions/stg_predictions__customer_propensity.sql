-- Propensity scores as the build's scoring task wrote them (c360/prediction/scoring.py).
with source as (
    select * from {{ source('predictions', 'customer_propensity') }}
),

final as (
    select
        business_date,
        customer_id,
        product_line,
        propensity,
        decile,
        model_version
    from source
)

select * from final
