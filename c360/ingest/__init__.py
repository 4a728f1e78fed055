"""Loaders that land one business date of each silo in the warehouse's raw layer.

One module per silo (contact_center, web, store, privacy, finance), each with a
`load_business_date` (files) or `extract_business_date` (finance) that returns a
`report.SiloLoadReport`; `files`, `ledger`, `checks` and `delimited` are the
shared core. Every loader bootstraps the warehouse first, so an empty database works.

What the ledger (ops.load_ledger, one row per file or extracted table and date) says:

- rows_read = rows_loaded + rows_quarantined, always. A blank line is no record.
- rows_duplicate (added by 011_ingest.sql) counts, among rows_loaded, the rows that
  were already in the raw layer and kept once: web events delivered again, finance
  versions taken again after a watermark reset. rows_loaded - rows_duplicate rows
  of the batch are in the raw table.
- status 'loaded': the file was read; its refused rows are in ops.quarantine with
  line number, raw text and reason. status 'quarantined': the file broke its
  contract (header, gzip, UTF-8) and nothing of it was loaded; one ops.quarantine
  row with line_number NULL holds the reason; rows_read = rows_quarantined = the
  records the file holds when they can be counted (0 for an unreadable file).
- The same bytes again: nothing is written, and the report says 'unchanged' (or
  'quarantined' again for a refused file, so a retry still fails its contract
  check). Other bytes under the same name: the earlier delivery's raw rows and
  quarantine rows are replaced, under the same ledger id. A date's files load in
  one transaction.

Speed (`make bench-ingest`: one day beside a plain COPY of the same rows into an
UNLOGGED table without indexes). What storing costs PostgreSQL is kept near a
plain COPY's: the file silos' raw tables are partitioned by business date, and
a date loaded for the first time goes into a partition made in the load's
transaction (`partitions`): COPY ... FREEZE, no WAL on the embedded cluster
(wal_level = minimal), the load metadata that a file's rows share as the
partition's column defaults while it is not attached, so COPY carries only the
delivered fields and line numbers, and web's key (event_id and date, compared
byte by byte) built once when the partition is attached instead of row by row;
no other index is built (none on _batch_id: warehouse/sql/010_raw.sql). Finance's
extract goes the same way (the source's binary COPY relayed into the date's new
partition, the load metadata as column defaults; raw_finance's key built at attach,
no index on updated_at: finance.py). Web looks an event id up only in the
partitions that can hold an earlier copy (from the day before the file's earliest
occurred_at on). What is left is Python's: a delimited file's
quote-free lines are checked and turned into COPY text in bulk (`delimited`),
a web file's lines are walked by one loop that numba compiles, which writes the
COPY rows of those it can accept without Python objects per value (`web_rows`),
the others parsed by orjson and checked field by field,
and the next file is prepared while one is stored. That work costs more
CPU per row than PostgreSQL's own parsing in a plain COPY, so where the cores
are busy the loaders are bound by Python: the benchmark prints the figures. No
load turns synchronous_commit off: a date commits once.

Known limits: when a re-delivered web file drops an event that another file also
delivered, and this file's copy was the one kept, the event leaves the raw layer
until that other file is loaded again. An event whose occurred_at lies more than
a day after the date whose files first delivered it (a clock far ahead) is not
found by a later date's look-up, so a copy delivered on a later date is kept too.
"""
