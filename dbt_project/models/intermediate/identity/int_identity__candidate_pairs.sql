-- Candidate pairs: records sharing at least one block, each pair once
-- (record_a < record_b), with the blocks that brought them together.
with blocking_keys as (
    select * from {{ ref('int_identity__blocking_keys') }}
),

records as (
    select * from {{ ref('int_identity__records') }}
),

-- A record that holds only a name is compared with every record whose surname
-- sounds the same and whose given name starts with the same letter, so that a
-- misspelt or abbreviated name can still find the one customer it belongs to.
name_only_pairs as (
    select least(n.record_id, r.record_id) as record_a, greatest(n.record_id, r.record_id) as record_b,
        'name_only_sound' as block_type
    from records as n
    join records as r
        on dmetaphone(r.surname_folded) = dmetaphone(n.surname_folded)
        and r.given_initial = n.given_initial
        and r.record_id <> n.record_id
    where n.is_name_only
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
    union all
    select * from name_only_pairs
),

final as (
    select
        record_a,
        record_b,
        string_agg(distinct block_type, ',' order by block_type) as blocks
    from paired
    group by record_a, record_b
)

select * from final
