-- Accepted links: the candidate pairs a matching rule accepts, with that rule.
with pair_scores as (
    select * from {{ ref('int_identity__pair_scores') }}
),

final as (
    select record_a, record_b, rule, rule_level, score
    from pair_scores
    where rule is not null
)

select * from final
