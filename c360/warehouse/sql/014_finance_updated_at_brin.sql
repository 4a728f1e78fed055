-- The finance extract streams straight into raw_finance only when raw holds no
-- version above the watermark (after a watermark reset it can). Versions arrive
-- in updated_at order, so a BRIN index answers that question from a few pages
-- and costs the load next to nothing. Safe to apply again.
create index if not exists accounts_updated_at_brin on raw_finance.accounts using brin (updated_at);
create index if not exists invoices_updated_at_brin on raw_finance.invoices using brin (updated_at);
create index if not exists payments_updated_at_brin on raw_finance.payments using brin (updated_at);
