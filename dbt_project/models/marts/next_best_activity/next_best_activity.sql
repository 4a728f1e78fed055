-- Tonight's next best activity per profiled customer: the business date's rows of
-- next_best_activity_history. Published as published.next_best_activity after the gate.
with history as (
    select * from {{ ref('next_best_activity_history') }}
),

final as (
    select *
    from history
    where business_date = {{ business_date() }}
)

select * from final
