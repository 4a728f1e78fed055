-- raw_web.events' key is a unique index on (event_id collate "C", _business_date)
-- (010_raw.sql). A warehouse made before that has the primary key on the same
-- columns in the database's collation, whose build at every date's ATTACH sorts
-- with strcoll: it goes here, as 010 has made the unique index by now. The
-- column keeps its collation, so dbt's views on it stay. Safe to apply again.
alter table raw_web.events drop constraint if exists events_pkey;
