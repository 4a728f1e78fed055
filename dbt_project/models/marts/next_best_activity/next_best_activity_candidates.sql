-- Every activity declared in activities.yml (the `activities:` list of this model's meta)
-- that a profiled customer qualifies for tonight, before cooldown and choice
-- (next_best_activity_history). A customer's activity is evaluated over customer_360,
-- their service state and their preferred channel; a product line's over those and the
-- line's propensity, preferred channel and research. Rules that make this safe:
-- an activity that needs marketing consent only reaches customers who gave it; an offer
-- never reaches a customer who qualifies for a service activity (service comes first);
-- an activity whose channel is unknown for the customer is not given. Erased and
-- restricted customers are not in customer_360, so they get nothing.
{%- set activities = declared_activities() %}
with customers as (
    select * from {{ ref('customer_360') }}
),

service as (
    select * from {{ ref('customer_service_state') }}
),

preferred as (
    select * from {{ ref('customer_preferred_channel') }}
),

propensity as (
    select * from {{ ref('customer_propensity') }}
),

evidence as (
    select * from {{ ref('int_channels__evidence') }}
),

-- the customer's channel over all lines: that of the line with the most evidence
customer_channel as (
    select distinct on (customer_id) customer_id, preferred_channel
    from preferred
    order by customer_id, evidence_count desc, confidence desc, product_line
),

research as (
    select customer_id, product_line, max(evidence_date) as last_research_date
    from evidence
    where evidence_kind in ('web_research', 'store_appointment', 'advice_call') and product_line is not null
    group by customer_id, product_line
),

customer_context as (
    select
        c.*,
        coalesce(s.has_open_complaint, false) as has_open_complaint,
        s.open_complaint_date,
        s.open_complaint_channel,
        coalesce(s.overdue_invoice_count, 0) as overdue_invoice_count,
        coalesce(s.overdue_amount, 0) as overdue_amount,
        s.days_overdue,
        cc.preferred_channel
    from customers as c
    left join service as s using (customer_id)
    left join customer_channel as cc using (customer_id)
),

lines as (
    select customer_id, product_line from preferred
    union
    select customer_id, product_line from propensity
),

line_context as (
    select
        c.*,
        l.product_line,
        p.propensity,
        p.decile as propensity_decile,
        pc.preferred_channel as line_preferred_channel,
        pc.confidence as channel_confidence,
        coalesce(pc.evidence_count, 0) as channel_evidence_count,
        c.business_date - r.last_research_date as days_since_line_research
    from lines as l
    join customer_context as c using (customer_id)
    left join propensity as p using (customer_id, product_line)
    left join preferred as pc using (customer_id, product_line)
    left join research as r using (customer_id, product_line)
),

{% for a in activities %}
activity__{{ a.name }} as (
    select
        customer_id,
        business_date,
        '{{ a.name }}' as activity,
        '{{ a.kind }}' as kind,
        {{ a.priority }} as priority,
        {% if a.scope == 'product_line' -%}
        product_line,
        propensity,
        {%- set channel = 'line_' ~ activity_channel(a.channel) if a.channel == 'preferred' else activity_channel(a.channel) %}
        {%- else -%}
        null::text as product_line,
        null::double precision as propensity,
        {%- set channel = activity_channel(a.channel) %}
        {%- endif %}
        {{ channel }} as channel,
        ({{ a.reason }}) as reason,
        {{ a.get('requires_marketing_consent', true) is not false }} as requires_marketing_consent,
        {{ a.get('cooldown_days', 0) }} as cooldown_days
    from {{ 'line_context' if a.scope == 'product_line' else 'customer_context' }}
    where coalesce(({{ a.condition }}), false)
      and {{ channel }} is not null
    {%- if a.get('requires_marketing_consent', true) is not false %}
      and marketing_consent
    {%- endif %}
),

{% endfor %}
qualified as (
    {%- for a in activities %}
    select * from activity__{{ a.name }}
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select null::text, null::date, null::text, null::text, null::integer, null::text,
           null::double precision, null::text, null::text, null::boolean, null::integer
    where false
    {%- endfor %}
),

in_service as (
    select distinct customer_id from qualified where kind = 'service'
),

final as (
    select
        q.customer_id::text as customer_id,
        q.business_date::date as business_date,
        q.activity::text as activity,
        q.kind::text as kind,
        q.priority::integer as priority,
        q.product_line::text as product_line,
        q.propensity::double precision as propensity,
        q.channel::text as channel,
        q.reason::text as reason,
        q.requires_marketing_consent::boolean as requires_marketing_consent,
        q.cooldown_days::integer as cooldown_days
    from qualified as q
    where q.kind = 'service' or q.customer_id not in (select customer_id from in_service)
)

select * from final
