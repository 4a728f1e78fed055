-- The raw tables have no index on _batch_id (010_raw.sql says why). A warehouse
-- made by an earlier version has one per file table: a btree, or later a BRIN
-- index; both are dropped here. Safe to apply again.
drop index if exists raw_contact_center.interactions_batch_idx;
drop index if exists raw_web.events_batch_idx;
drop index if exists raw_store.pos_lines_batch_idx;
drop index if exists raw_store.loyalty_members_batch_idx;
drop index if exists raw_privacy.requests_batch_idx;
drop index if exists raw_contact_center.interactions_batch_brin;
drop index if exists raw_web.events_batch_brin;
drop index if exists raw_store.pos_lines_batch_brin;
drop index if exists raw_store.loyalty_members_batch_brin;
drop index if exists raw_privacy.requests_batch_brin;
