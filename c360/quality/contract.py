"""The warehouse relations and columns the gate reads, named once.

They follow the published tables' dbt model contracts (dbt_project/models/marts/) and the dbt
models that build them; when a model renames a column, only this file changes
(then re-declare: `python -m c360.quality.declare`).
"""

from __future__ import annotations

# Candidates that dbt builds and the gate validates before publishing.
DIM_CUSTOMER = "marts.dim_customer"
CUSTOMER_XREF = "marts.customer_xref"
CUSTOMER_360 = "marts.customer_360"
CUSTOMER_SEGMENTS = "marts.customer_segments"
NEXT_BEST_ACTIVITY = "marts.next_best_activity"

# Every identity-bearing source record once, normalized (dbt's identity resolution
# reads it too): what the runaway-merge checks compare within a customer.
INT_IDENTITY_RECORDS = "intermediate.int_identity__records"

# What BI sees; the drift check compares with its last publication.
PUBLISHED_CUSTOMER_360 = "published.customer_360"

# Columns of marts.dim_customer.
CUSTOMER_ID = "customer_id"
EMAIL = "email"
PHONE = "phone"
COUNTRY = "country_code"
DATE_OF_BIRTH = "date_of_birth"
MARKETING_CONSENT = "marketing_consent"
IS_ERASED = "is_erased"
IS_RESTRICTED = "is_restricted"

# Columns of marts.customer_xref and marts.customer_segments.
SOURCE_SYSTEM = "source_system"
SOURCE_KEY = "source_key"
SEGMENT = "segment"
ACTIVITY = "activity"

# Columns of intermediate.int_identity__records (also source_system, source_key,
# date_of_birth): the formal names the first given name stands for, folded and
# apart by spaces (Bob -> 'robert', Nel -> 'cornelia petronella'; NULL for an
# initial), all given names folded, the surname
# folded without and with its prefix, and the normalized address keys.
GIVEN_NAME_CANONICAL = "given_canonical"
GIVEN_NAMES_FOLDED = "given_name_folded"
SURNAME_FOLDED = "surname_folded"
SURNAME_WITH_PREFIX_FOLDED = "surname_with_prefix_folded"
POSTAL_CODE = "postal_code"
HOUSE_NUMBER = "house_number"

# The business date a gate run checks, as SQL: GX cannot pass parameters to a
# query asset, so the gate sets it on its connection (context.open_context).
# Without it (another tool opening the context) the daily queries select nothing.
BUSINESS_DATE_SETTING = "c360.business_date"
BUSINESS_DATE_SQL = f"current_setting('{BUSINESS_DATE_SETTING}', true)::date"

# Every checked row carries this column: what an owner needs to find the row
# (file and line, a key), never personal data.
ROW_KEY = "row_key"

# An e-mail that parses as one; the staging models normalise, the gate only judges.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# A phone in E.164 from the Netherlands or Belgium, as the golden record holds it.
E164_NL_BE_PATTERN = r"^\+3[12][0-9]{8,9}$"
