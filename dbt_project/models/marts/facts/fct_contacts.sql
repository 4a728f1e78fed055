-- Contact-center interactions with their customer (int_facts__contacts, which the
-- 360 metrics read as well).
with contacts as (
    select * from {{ ref('int_facts__contacts') }}
),

final as (
    select * from contacts
)

select * from final
