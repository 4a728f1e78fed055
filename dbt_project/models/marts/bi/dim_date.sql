-- One row per calendar day from the first day any published fact touches to the end of the
-- year after the business date (or the last fact day, if later): ISO week and year, month,
-- quarter, weekday and the public holidays of the Netherlands and Belgium by name, computed
-- from their rules (macro public_holiday_rules) so no list of dates needs keeping up.
{%- set facts = [
    ('fct_purchase_lines', 'purchase_date'),
    ('fct_contact_interactions', 'contact_date'),
    ('fct_web_sessions', 'session_date'),
    ('fct_invoices', 'issued_date'),
    ('fct_invoices', 'due_date'),
    ('fct_invoice_payments', 'paid_date'),
] %}
with fact_days as (
    {%- for model, column in facts %}
    select min({{ column }}) as first_day, max({{ column }}) as last_day from {{ ref(model) }}
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

bounds as (
    select
        coalesce(min(first_day), {{ business_date() }}) as first_day,
        greatest(
            max(last_day),
            make_date(extract(year from {{ business_date() }})::integer + 1, 12, 31)
        ) as last_day
    from fact_days
),

days as (
    select d::date as calendar_date
    from bounds, generate_series(first_day, last_day, interval '1 day') as d
),

years as (
    select distinct extract(year from calendar_date)::integer as calendar_year from days
),

holidays as (
    {%- for rule in public_holiday_rules() %}
    select '{{ rule["country"] }}' as country_code, {{ public_holiday_date(rule, 'calendar_year') }} as holiday_date,
           '{{ rule["name"] }}' as holiday_name, {{ loop.index }} as rule_order
    from years
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

-- two holidays can fall on one day (Ascension on Liberation Day): both names
holiday_names as (
    select
        holiday_date,
        string_agg(holiday_name, ' / ' order by rule_order) filter (where country_code = 'NL') as nl_holiday,
        string_agg(holiday_name, ' / ' order by rule_order) filter (where country_code = 'BE') as be_holiday
    from holidays
    group by holiday_date
),

final as (
    select
        {{ date_key('d.calendar_date') }} as date_key,
        d.calendar_date::date as calendar_date,
        extract(year from d.calendar_date)::integer as calendar_year,
        extract(quarter from d.calendar_date)::integer as calendar_quarter,
        extract(month from d.calendar_date)::integer as calendar_month,
        to_char(d.calendar_date, 'YYYY-MM')::text as year_month,
        to_char(d.calendar_date, 'FMMonth')::text as month_name,
        extract(day from d.calendar_date)::integer as day_of_month,
        extract(isoyear from d.calendar_date)::integer as iso_year,
        extract(week from d.calendar_date)::integer as iso_week,
        to_char(d.calendar_date, 'IYYY-"W"IW')::text as iso_year_week,
        extract(isodow from d.calendar_date)::integer as iso_weekday,
        to_char(d.calendar_date, 'FMDay')::text as weekday_name,
        (extract(isodow from d.calendar_date) >= 6)::boolean as is_weekend,
        h.nl_holiday::text as nl_holiday,
        h.be_holiday::text as be_holiday,
        (h.nl_holiday is not null)::boolean as is_nl_holiday,
        (h.be_holiday is not null)::boolean as is_be_holiday
    from days as d
    left join holiday_names as h on h.holiday_date = d.calendar_date
)

select * from final
