"""Data-subject requests (contracts/privacy.yml): erasure, restriction, access.

dbt matches each request to one golden customer (marts.privacy_request_matches);
this package carries the decisions out, outside dbt, because erasure reaches
relations dbt does not rebuild (raw, quarantine, history, the persisted identity
map, published). Two calls a night, both idempotent:

- `enforce_suppressions(settings, business_date)` after ingest, before dbt:
  rows of persons erased earlier that arrived again (a late delivery, a
  re-loaded file, a re-extract) are erased before anything is built from them;
- `apply_privacy_requests(settings, business_date)` after dbt, before the
  quality gate and publishing: access exports, restrictions, erasures, and the
  report of unmatched or ambiguous requests to the privacy owner.
"""

from c360.privacy.nightly import apply_privacy_requests
from c360.privacy.suppression import enforce_suppressions

__all__ = ["apply_privacy_requests", "enforce_suppressions"]
