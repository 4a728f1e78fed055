{#- The touchpoint points model of docs/contracts.md: points by the depth of the
    exchange. Event types not listed (page views, logins, orders, unknown types) earn 0;
    an order's revenue counts instead. -#}
{% macro engagement_points(event_type) -%}
{%- set points = {
    'newsletter_signup': 5,
    'account_created': 5,
    'webinar_registration': 10,
    'expert_chat': 20,
    'appointment_booked': 100,
    'product_configured': 10,
} -%}
case {{ event_type }}
    {%- for type, value in points.items() %}
    when '{{ type }}' then {{ value }}
    {%- endfor %}
    else 0
end
{%- endmacro %}

{#- A timestamptz as the calendar date in Europe/Amsterdam, the time zone of every
    business date (docs/contracts.md). -#}
{% macro business_day(ts) -%}
({{ ts }} at time zone 'Europe/Amsterdam')::date
{%- endmacro %}

{#- A weight that halves every `half_life` days of age: 1 today, 0.5 after one half-life. -#}
{% macro decay(age_days, half_life) -%}
power(0.5, ({{ age_days }})::numeric / {{ half_life }})
{%- endmacro %}
