-- Each profiled customer's latest propensity per product line as of the business date:
-- the scores of the last date scored on or before it, for customers still profiled
-- (neither erased nor restricted since). Built after the build's scoring task (tag
-- scored); empty until a model is trained.
with scores as (
    select * from {{ ref('stg_predictions__customer_propensity') }}
),

customers as (
    select * from {{ ref('customer_360') }}
),

latest as (
    select max(business_date) as scored_for
    from scores
    where business_date <= {{ business_date() }}
),

final as (
    select
        s.customer_id::text as customer_id,
        s.product_line::text as product_line,
        s.business_date::date as scored_for,
        s.propensity::double precision as propensity,
        s.decile::smallint as decile,
        s.model_version::text as model_version
    from scores as s
    join latest as l on s.business_date = l.scored_for
    join customers as c on c.customer_id = s.customer_id
)

select * from final
