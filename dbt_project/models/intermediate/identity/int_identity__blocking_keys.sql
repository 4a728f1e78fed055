-- Blocking: the keys under which two records are worth comparing. Only records
-- that share a block become a candidate pair, so the work grows with block
-- sizes, never with all pairs.
with records as (
    select * from {{ ref('int_identity__records') }}
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

blocks as (
    -- a shared identifier: e-mail, phone, account, card, web account
    select record_id, 'key' as block_type, key_type || ':' || key_value as block_value
    from record_keys
    union all
    -- same address: catches typos in names and missing identifiers
    select record_id, 'address', postal_code || ':' || house_number
    from records where postal_code is not null and house_number is not null
    union all
    -- surname by sound and birth date: catches moves and typos in the surname
    select record_id, 'surname_birth_date', dmetaphone(surname_folded) || ':' || date_of_birth
    from records where surname_folded is not null and date_of_birth is not null
    union all
    -- surname by sound within a postal code: web visitors give no house number
    select record_id, 'surname_postal_code', dmetaphone(surname_folded) || ':' || postal_code
    from records where surname_folded is not null and postal_code is not null
    union all
    -- the two name words in either order: catches swapped first and last names
    select record_id, 'name', least(given_first_folded, surname_folded) || ':' || greatest(given_first_folded, surname_folded)
    from records where given_first_folded is not null and surname_folded is not null
),

sized as (
    select *, count(*) over (partition by block_type, block_value) as block_size
    from blocks
),

final as (
    select record_id, block_type, block_value, block_size
    from sized
    -- a block this large is a common name or a shared key, not evidence
    where block_size between 2 and {{ var('identity_max_block_size', 100) }}
)

select * from final
