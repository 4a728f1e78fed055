-- The stores as the store silo knows them: a code COUNTRY-CITY-NUMBER (NL-AMS-01) that names
-- the country and the city's code, the time zone its tills keep, and the days it traded.
-- A store an appointment names but that never sold anything yet is listed too.
with pos_lines as (
    select * from {{ ref('stg_store__pos_lines') }}
),

sessions as (
    select * from {{ ref('fct_web_sessions') }}
),

codes as (
    select store_code, {{ business_day('sold_at') }} as trading_date from pos_lines
    union all
    select store_code, null from sessions where store_code is not null
),

final as (
    select
        store_code::text as store_code,
        split_part(store_code, '-', 2)::text as city_code,
        split_part(store_code, '-', 1)::text as country_code,
        (case when store_code like 'BE-%' then 'Europe/Brussels' else 'Europe/Amsterdam' end)::text
            as time_zone,
        min(trading_date)::date as first_trading_date,
        max(trading_date)::date as last_trading_date
    from codes
    group by store_code
)

select * from final
