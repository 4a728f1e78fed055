"""Loaders that land one business date of each silo in the warehouse's raw layer.

One module per silo (contact_center, web, store, privacy, finance), each with a
`load_business_date` (files) or `extract_business_date` (finance) that returns a
`report.SiloLoadReport`; `files`, `ledger`, `checks` and `delimited` are the
shared core.
"""
