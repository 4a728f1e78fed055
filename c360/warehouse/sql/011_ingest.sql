-- Additions for the loaders (c360/ingest/); contract columns of 001/010 are untouched.

-- Web events and finance versions are delivered at least once: a row already in the
-- raw layer is counted as loaded (the balance rows_read = rows_loaded +
-- rows_quarantined holds) and, of those, as a duplicate that was kept once.
alter table ops.load_ledger add column if not exists rows_duplicate bigint not null default 0;
do $$
begin
    if not exists (select 1 from pg_constraint where conname = 'load_ledger_duplicates_within_loaded') then
        alter table ops.load_ledger add constraint load_ledger_duplicates_within_loaded
            check (rows_duplicate between 0 and rows_loaded);
    end if;
end
$$;

-- True when year-month-day is a day of the Gregorian calendar that PostgreSQL can
-- hold; the loaders call it after a regex has checked that the parts are digits,
-- so staging can cast every loaded date without failing.
create or replace function ops.is_calendar_date(y int, m int, d int) returns boolean
language sql immutable parallel safe
return y between 1 and 9999 and m between 1 and 12 and d >= 1 and d <= case
    when m = 2 then case when (y % 4 = 0 and y % 100 <> 0) or y % 400 = 0 then 29 else 28 end
    when m in (4, 6, 9, 11) then 30
    else 31
end;
