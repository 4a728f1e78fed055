-- The raw tables are partitioned by business date (010_raw.sql). A
-- warehouse made before that had plain tables, which 010 renamed to
-- <table>_unpartitioned: their rows move here into one partition per date, named
-- as the loader names them (c360/ingest/partitions.py), and the old table goes.
-- Views on it (dbt's staging views) go with it; the next `dbt build` makes them
-- again on the partitioned table. Nothing to do on a later run.
do $$
declare
    legacy record;
    day date;
    parent text;
begin
    for legacy in
        select c.oid::regclass as name, n.nspname, left(c.relname, -length('_unpartitioned')) as base
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and (n.nspname, c.relname) in (
            ('raw_contact_center', 'interactions_unpartitioned'), ('raw_web', 'events_unpartitioned'),
            ('raw_store', 'pos_lines_unpartitioned'), ('raw_store', 'loyalty_members_unpartitioned'),
            ('raw_privacy', 'requests_unpartitioned'), ('raw_finance', 'accounts_unpartitioned'),
            ('raw_finance', 'invoices_unpartitioned'), ('raw_finance', 'payments_unpartitioned'))
    loop
        parent := format('%I.%I', legacy.nspname, legacy.base);
        for day in execute format('select distinct _business_date from %s', legacy.name) loop
            execute format('create table if not exists %I.%I partition of %s for values in (%L)',
                           legacy.nspname, legacy.base || '_' || to_char(day, 'YYYYMMDD'), parent, day);
        end loop;
        execute format('insert into %s select * from %s', parent, legacy.name);
        raise notice 'c360: moved % into date partitions of %', legacy.name, parent;
        execute format('drop table %s cascade', legacy.name);
    end loop;
end
$$;
