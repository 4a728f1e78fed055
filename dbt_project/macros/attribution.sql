{#- The days before a purchase in which a web touch earns credit for it: var
    attribution_lookback_days (dbt_project.yml's default; orchestration passes
    C360_ATTRIBUTION_LOOKBACK_DAYS, c360/config.py). Checked before it reaches SQL. -#}
{% macro attribution_lookback_days() -%}
{%- set value = var('attribution_lookback_days') | string -%}
{%- if execute and not modules.re.fullmatch('[1-9][0-9]{0,3}', value) -%}
    {{ exceptions.raise_compiler_error(
        "var attribution_lookback_days must be a whole number of days from 1 to 9999 (got "
        ~ value ~ "): how far before a purchase a web touch still earns credit for it"
    ) }}
{%- endif -%}
{{ value }}
{%- endmacro %}


{#- The published conversion tables: int_attribution__credits summed per attribution
    model, purchase month and the given columns. `touch_columns` maps each output column
    to the credits' column of the touch: a purchase without a touch in the window shows
    '(no web touch)' there, a touch without the value '(none)'. `purchase_columns` maps
    columns of the purchase itself ('(none)' when missing). -#}
{% macro attribution_conversions(credits, touch_columns, purchase_columns={}) %}
with credits as (
    select * from {{ credits }}
),

labelled as (
    select
        attribution_model,
        date_trunc('month', purchase_date)::date as purchase_month,
        {%- for output, column in touch_columns.items() %}
        case when touch_id is null then '(no web touch)'
             else coalesce({{ column }}, '(none)') end as {{ output }},
        {%- endfor %}
        {%- for output, column in purchase_columns.items() %}
        coalesce({{ column }}, '(none)') as {{ output }},
        {%- endfor %}
        purchase_id,
        purchase_channel,
        credit_share,
        credit
    from credits
),

final as (
    select
        attribution_model::text as attribution_model,
        purchase_month::date as purchase_month,
        {%- for output in (touch_columns.keys() | list) + (purchase_columns.keys() | list) %}
        {{ output }}::text as {{ output }},
        {%- endfor %}
        count(distinct purchase_id)::bigint as purchases,
        round(sum(credit_share), 4)::numeric(14, 4) as attributed_purchases,
        sum(credit)::numeric(14, 2) as attributed_revenue,
        count(distinct purchase_id) filter (where purchase_channel = 'store')::bigint as store_purchases,
        coalesce(sum(credit) filter (where purchase_channel = 'store'), 0)::numeric(14, 2)
            as store_attributed_revenue
    from labelled
    group by {{ range(1, 3 + (touch_columns | length) + (purchase_columns | length)) | join(', ') }}
)

select * from final
{% endmacro %}
