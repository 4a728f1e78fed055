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
