-- What service owes each customer on the business date: open complaints (the latest
-- complaint in the last open_issue_window_days ended unresolved), with the channel the
-- latest came through in the activities' vocabulary (a chat is the website's), and
-- invoices past their due date without a payment by then.
with contacts as (
    select * from {{ ref('int_facts__contacts') }}
),

purchases as (
    select * from {{ ref('int_facts__purchases') }}
),

invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

business_date as (
    select {{ business_date() }} as business_date
),

latest_complaint as (
    select distinct on (c.customer_id)
        c.customer_id,
        c.contact_date,
        c.channel,
        c.is_resolved,
        c.contact_date > d.business_date - {{ var('open_issue_window_days') }} as is_recent
    from contacts as c
    cross join business_date as d
    where c.customer_id is not null and c.is_complaint and c.contact_date <= d.business_date
    order by c.customer_id, c.started_at desc, c.interaction_id desc
),

open_complaints as (
    select
        customer_id,
        contact_date as open_complaint_date,
        case channel when 'chat' then 'web' else channel end as open_complaint_channel
    from latest_complaint
    where not is_resolved and is_recent
),

overdue as (
    select
        p.customer_id,
        count(*) as overdue_invoice_count,
        sum(p.amount) as overdue_amount,
        max(d.business_date - i.due_on) as days_overdue
    from purchases as p
    join invoices as i on i.invoice_id = p.order_ref
    cross join business_date as d
    where p.channel = 'finance' and p.customer_id is not null and p.amount > 0
      and p.purchase_date <= d.business_date and i.due_on < d.business_date
      and not exists (
          select from payments as pay
          where pay.invoice_id = i.invoice_id and pay.paid_date <= d.business_date
      )
    group by p.customer_id
),

final as (
    select
        coalesce(c.customer_id, o.customer_id)::text as customer_id,
        (c.customer_id is not null)::boolean as has_open_complaint,
        c.open_complaint_date::date as open_complaint_date,
        c.open_complaint_channel::text as open_complaint_channel,
        coalesce(o.overdue_invoice_count, 0)::integer as overdue_invoice_count,
        coalesce(o.overdue_amount, 0)::numeric(14, 2) as overdue_amount,
        o.days_overdue::integer as days_overdue
    from open_complaints as c
    full join overdue as o using (customer_id)
)

select * from final
