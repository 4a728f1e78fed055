-- The raw tables' _batch_id indexes are BRIN (010_raw.sql). A warehouse created
-- before that still has the btree indexes of the earlier 010_raw.sql; they are
-- dropped here (010 has created the BRIN ones by now). Safe to apply again.
drop index if exists raw_contact_center.interactions_batch_idx;
drop index if exists raw_web.events_batch_idx;
drop index if exists raw_store.pos_lines_batch_idx;
drop index if exists raw_store.loyalty_members_batch_idx;
drop index if exists raw_privacy.requests_batch_idx;
