-- The finance extract streams straight into raw_finance only when raw holds no
-- version above the watermark (after a watermark reset it can). It asks only the
-- partitions of the watermark's date and later (finance.py says why), so no index
-- on updated_at is needed; the BRIN indexes an earlier version made here cost a
-- scan of every new partition when it is attached, and are dropped. Safe to apply again.
drop index if exists raw_finance.accounts_updated_at_brin;
drop index if exists raw_finance.invoices_updated_at_brin;
drop index if exists raw_finance.payments_updated_at_brin;
