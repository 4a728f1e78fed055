-- The requests the privacy step has carried out, one row each, with the customer it
-- matched them to: a decision once made sticks.
with source as (
    select * from {{ source('privacy_ops', 'privacy_request_log') }}
),

final as (
    select
        request_id,
        request_type,
        outcome,
        customer_id,
        matched_on,
        business_date,
        handled_at
    from source
)

select * from final
