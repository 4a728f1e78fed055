{#- Candidate pairs: records sharing at least one block, each pair once
    (record_a < record_b), with the blocks that brought them together. A block
    larger than var identity_max_block_size is a common name or address, not
    evidence, and pairs nobody. A shared identifier's block that large is kept:
    a loyal customer's e-mail or mobile gathers a call a week for years, and
    tonight's records must still meet it. Its records are compared with the
    block's first identity_max_block_size records only, which links one
    person's records through them without comparing all with all, and shows
    the rules a key many people share. A record that holds only a name is compared
    with every record whose surname sounds the same and whose given name starts
    with the same letter, so that a misspelt or abbreviated name can still find
    the one customer it belongs to.

    Incremental: a night pairs only the records int_identity__blocking_keys
    keyed since the last pairing (is_paired false). Their old pairs are deleted
    first (pre-hook), and the same rows are marked paired last (post-hook), so
    a night that fails in between pairs them again on the next run. Pairs of
    two unchanged records are kept as they were, even where a block has since
    grown past the size limit. -#}
{#- hooks are rendered when they run: the ref must stay inside their text -#}
{%- set bk = "{{ ref('int_identity__blocking_keys') }}" -%}
{%- set unpaired = "(select record_id from " ~ bk ~ " where not is_paired and block_type in ('record', 'removed'))" -%}
{{ config(
    materialized='incremental',
    unique_key=['record_a', 'record_b'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook=[
        "{% if is_incremental() %}delete from {{ this }} where record_a in " ~ unpaired ~ "{% endif %}",
        "{% if is_incremental() %}delete from {{ this }} where record_b in " ~ unpaired ~ "{% endif %}",
    ],
    post_hook=[
        "create index if not exists {{ this.name }}_pair_idx on {{ this }} (record_a, record_b)",
        "create index if not exists {{ this.name }}_b_idx on {{ this }} (record_b)",
        "delete from " ~ bk ~ " where block_type = 'removed'",
        "update " ~ bk ~ " set is_paired = true where not is_paired",
    ]
) }}

with blocking_keys as not materialized (
    select * from {{ ref('int_identity__blocking_keys') }}
    where block_type not in ('record', 'removed')
),

to_pair as not materialized (
    select * from blocking_keys
    {% if is_incremental() %}
    where not is_paired
    {% endif %}
),

touched_blocks as (
    select block_type, block_value, count(*) as block_size
    from blocking_keys
    where block_type not in ('name_only_sound', 'email_spelling', 'name_spelling')
    {% if is_incremental() %}
        and (block_type, block_value) in (select block_type, block_value from to_pair)
    {% endif %}
    group by block_type, block_value
),

-- the records a large identifier block's records are compared with
large_key_members as (
    select k.block_type, k.block_value, k.record_id
    from (
        select b.block_type, b.block_value, b.record_id,
            row_number() over (partition by b.block_type, b.block_value order by b.record_id) as member_rank
        from blocking_keys as b
        join touched_blocks as s using (block_type, block_value)
        where b.block_type = 'key' and s.block_size > {{ var('identity_max_block_size', 100) }}
    ) as k
    where k.member_rank <= {{ var('identity_max_block_size', 100) }}
),

-- a name-only sound block pairs a record that holds only a name with all its
-- members, and any other record with its name-only members: three branches, so
-- that a large block is never paired all with all; spelling blocks pair
-- across their two kinds only
paired as (
    select p.record_id, o.record_id as other_record_id, p.block_type
    from to_pair as p
    join touched_blocks as s using (block_type, block_value)
    join blocking_keys as o using (block_type, block_value)
    where p.block_type not in ('name_only_sound', 'email_spelling', 'name_spelling') and s.block_size <= {{ var('identity_max_block_size', 100) }}
    union all
    select p.record_id, o.record_id, p.block_type
    from to_pair as p
    join large_key_members as o using (block_type, block_value)
    union all
    select p.record_id, o.record_id, p.block_type
    from to_pair as p
    join blocking_keys as o using (block_type, block_value)
    where p.block_type = 'name_only_sound' and p.is_name_only
    union all
    select p.record_id, o.record_id, p.block_type
    from to_pair as p
    join blocking_keys as o using (block_type, block_value)
    where p.block_type = 'name_only_sound' and not p.is_name_only and o.is_name_only
    union all
    -- an e-mail's letters meet the names they spell, and a name the e-mails
    -- that spell it (never two names or two e-mails)
    select p.record_id, o.record_id, 'spelled_name'
    from to_pair as p
    join blocking_keys as o
        on o.block_type = case p.block_type when 'email_spelling' then 'name_spelling' else 'email_spelling' end
        and o.block_value = p.block_value
    where p.block_type in ('email_spelling', 'name_spelling')
),

ordered as (
    select
        least(record_id, other_record_id) as record_a,
        greatest(record_id, other_record_id) as record_b,
        block_type
    from paired
    where record_id <> other_record_id
),

final as (
    select
        record_a,
        record_b,
        string_agg(distinct block_type, ',' order by block_type) as blocks
    from ordered
    group by record_a, record_b
)

select * from final
