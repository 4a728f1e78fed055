"""Loaders that land one business date of each silo in the warehouse's raw layer.

Every silo of delimited files (contact_center, store, privacy, and any other with
a contract) is loaded by `contract_files.load_business_date(silo, ...)`, made from
its contract (`contracts`); the web and finance have modules of their own. Each
returns a `report.SiloLoadReport`; `files`, `ledger`, `checks` and `delimited` are
the shared core. Every loader bootstraps the warehouse first, so an empty database works.

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

How a file is read and stored: `files` hashes it, consults the ledger and hands
its bytes to the silo's file kind. Delimited files are read by Python's csv
reader (`delimited`), web events by msgspec into a typed Struct (`web`); each
record is checked against the contract (`checks`: one regular expression per
record, the exact checks for the reason of a refusal) and the valid ones go to
PostgreSQL with psycopg's COPY. A large delivery is parsed by worker processes
(`parallel`: a standard process pool; a large delimited file in parts cut at
record boundaries) into COPY text, which the loading process writes in file order
in the date's one transaction while the workers parse the next; a small one is
parsed in the loading process. Rows of a date's fresh partition take their file's
load metadata from column defaults, so they carry fewer fields. Duplicate web events are resolved in SQL: a
file's events are copied into a temporary table, and one INSERT ... SELECT keeps
those whose event_id the raw layer does not hold yet. The raw tables are
partitioned by business date (`partitions`); a load makes the date's partition.
Finance streams the source's binary COPY into raw_finance. `make bench-ingest`
compares the loaders with a plain COPY of the same rows.

Known limits: when a re-delivered web file drops an event that another file also
delivered, and this file's copy was the one kept, the event leaves the raw layer
until that other file is loaded again. An event whose occurred_at lies more than
a day after the date whose files first delivered it (a clock far ahead) is not
found by a later date's look-up, so a copy delivered on a later date is kept too.
"""
