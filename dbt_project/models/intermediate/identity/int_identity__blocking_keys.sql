{#- Blocking: the keys under which two records are worth comparing. Only records
    that share a block become a candidate pair, so the work grows with block
    sizes, never with all pairs.

    Incremental: a night keys only the records that are new or whose identity
    changed (record_hash), replacing their rows. Every record keeps one
    'record' row, so an unchanged record is known even without blocks; a record
    no silo delivers any more leaves a 'removed' row behind. Rows arrive with
    is_paired false; int_identity__candidate_pairs pairs them, then sets it. -#}
{{ incremental_per_record(post_hook=[
    "create index if not exists {{ this.name }}_block_idx on {{ this }} (block_type, block_value)",
]) }}

with records as not materialized (
    select * from {{ ref('int_identity__records') }}
),

record_keys as not materialized (
    select * from {{ ref('int_identity__record_keys') }}
),

changed as (
    select r.*
    from records as r
    {% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as k
        where k.record_id = r.record_id and k.block_type = 'record' and k.record_hash = r.record_hash
    )
    {% endif %}
),

blocks as (
    select record_id, 'record' as block_type, record_id as block_value
    from changed
    union all
    -- a shared identifier: e-mail, phone, account, card, web account
    select k.record_id, 'key', k.key_type || ':' || k.key_value
    from record_keys as k
    join changed as c using (record_id)
    union all
    -- same address: catches typos in names and missing identifiers
    select record_id, 'address', postal_code || ':' || house_number
    from changed where postal_code is not null and house_number is not null
    union all
    -- surname by sound and birth date: catches moves and typos in the surname
    select record_id, 'surname_birth_date', dmetaphone(surname_folded) || ':' || date_of_birth
    from changed where surname_folded is not null and date_of_birth is not null
    union all
    -- given name by sound and birth date: catches a slip in the surname, a
    -- married name, and a move, all at once
    select record_id, 'given_birth_date', dmetaphone(given_first_folded) || ':' || date_of_birth
    from changed where given_first_folded is not null and date_of_birth is not null
    union all
    -- surname by sound within a postal code: web visitors give no house number
    select record_id, 'surname_postal_code', dmetaphone(surname_folded) || ':' || postal_code
    from changed where surname_folded is not null and postal_code is not null
    union all
    -- the two name words in either order: catches swapped first and last names
    select record_id, 'name', least(given_first_folded, surname_folded) || ':' || greatest(given_first_folded, surname_folded)
    from changed where given_first_folded is not null and surname_folded is not null
    union all
    -- surname by sound and initial: where a record that holds only a name
    -- meets the records its misspelt or abbreviated name may belong to; the
    -- surname's last word too, since a caller's long name may be split
    -- elsewhere ('Demi Bruijne | van der Veen', 'Demi | Bruijne van der Veen')
    select distinct record_id, 'name_only_sound', dmetaphone(surname_word) || ':' || given_initial
    from changed, unnest(array[surname_folded, surname_last_word_folded]) as surname_word
    where surname_word is not null and given_initial is not null
    union all
    -- the letters of the e-mail of a record without a surname, and the ways
    -- an address spells a full name: where a visitor known by an e-mail
    -- meets the customers whose name it spells
    select record_id, 'email_spelling', {{ email_letters('changed') }}
    from changed where surname_folded is null and {{ email_letters('changed') }} is not null
    union all
    select distinct record_id, 'name_spelling', spelling
    from changed, unnest({{ name_spellings('changed') }}) as spelling
    where spelling is not null
),

{% if is_incremental() %}
removed as (
    select k.record_id, null::text as record_hash, 'removed' as block_type, k.record_id as block_value,
        false as is_name_only
    from {{ this }} as k
    where k.block_type = 'record'
        and not exists (select 1 from records as r where r.record_id = k.record_id)
),
{% endif %}

final as (
    select b.record_id, c.record_hash, b.block_type, b.block_value, c.is_name_only, false as is_paired
    from blocks as b
    join changed as c using (record_id)
    {% if is_incremental() %}
    union all
    select record_id, record_hash, block_type, block_value, is_name_only, false from removed
    {% endif %}
)

select * from final
