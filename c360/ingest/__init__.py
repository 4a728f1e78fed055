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
  quarantine rows are replaced, under the same ledger id, in one transaction.

Speed (`make bench-ingest`: one day beside a plain COPY of the same rows into an
UNLOGGED table without indexes). Python's share is small: a delimited file's
quote-free lines are checked and turned into COPY text in bulk (`delimited`), the
next file is prepared while one is stored, and each file's COPY streams. What is
left is mostly the raw layer's own cost in PostgreSQL, which the benchmark's
"floor" line measures: the metadata columns (about half again the plain COPY's
work for POS lines), WAL, and the indexes. The _batch_id indexes are BRIN, so
they cost little; web's primary key on event_id (random UUIDs, kept once) is one
btree insert per event plus one look-up per event before the COPY, and those two
alone cost more than the plain COPY of the events. No load turns
synchronous_commit off: a file commits once, so a durable commit costs one WAL
flush per file, which does not show in the figures.

Known limit: when a re-delivered web file drops an event that another file also
delivered, and this file's copy was the one kept, the event leaves the raw layer
until that other file is loaded again.
"""
