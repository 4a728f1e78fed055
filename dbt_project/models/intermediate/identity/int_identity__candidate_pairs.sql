-- Candidate pairs: records sharing at least one block, each pair once
-- (record_a < record_b), with the blocks that brought them together.
with blocking_keys as (
    select * from {{ ref('int_identity__blocking_keys') }}
),

paired as (
    select
        a.record_id as record_a,
        b.record_id as record_b,
        a.block_type
    from blocking_keys as a
    join blocking_keys as b
        on a.block_type = b.block_type
        and a.block_value = b.block_value
        and a.record_id < b.record_id
),

final as (
    select
        record_a,
        record_b,
        array_agg(distinct block_type order by block_type) as blocks
    from paired
    group by record_a, record_b
)

select * from final
