-- The channel each customer turns to for each product line they showed any sign about,
-- as of the business date: the channel with the most weighted evidence
-- (int_channels__evidence), ties to the most recent. A person tends to one channel
-- across lines, so the customer's evidence on every line (and advice calls named to no
-- line) counts too, at a lower weight (var channel_pooled_weight). The confidence is
-- the winner's share of that evidence, shrunk toward an even split over the four
-- channels by var channel_prior_weight, so a single sign is never certain.
with evidence as (
    select * from {{ ref('int_channels__evidence') }}
),

lines as (
    select distinct customer_id, product_line
    from evidence
    where product_line is not null
),

own as (
    select customer_id, product_line, channel, sum(weight) as weight, count(*) as evidence_count,
           max(evidence_date) as last_evidence_date
    from evidence
    where product_line is not null
    group by customer_id, product_line, channel
),

pooled as (
    select customer_id, channel, sum(weight) as weight, max(evidence_date) as last_evidence_date
    from evidence
    group by customer_id, channel
),

scored as (
    select
        l.customer_id,
        l.product_line,
        p.channel,
        coalesce(o.weight, 0) + {{ var('channel_pooled_weight', 0.25) }} * p.weight as score,
        coalesce(o.evidence_count, 0) as evidence_count,
        greatest(o.last_evidence_date, p.last_evidence_date) as last_evidence_date
    from lines as l
    join pooled as p using (customer_id)
    left join own as o using (customer_id, product_line, channel)
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id, product_line
            order by score desc, last_evidence_date desc, channel
        ) as rank,
        sum(score) over (partition by customer_id, product_line) as total_score,
        sum(evidence_count) over (partition by customer_id, product_line) as line_evidence_count
    from scored
),

final as (
    select
        customer_id::text as customer_id,
        product_line::text as product_line,
        channel::text as preferred_channel,
        round(
            (score + {{ var('channel_prior_weight', 2) }} / 4.0)
            / (total_score + {{ var('channel_prior_weight', 2) }}), 3
        )::numeric(4, 3) as confidence,
        line_evidence_count::integer as evidence_count
    from ranked
    where rank = 1
)

select * from final
