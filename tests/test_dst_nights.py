"""The nights the clocks change load, build, pass the gate and publish.

On 2026-03-29 Amsterdam's day has 23 hours (02:00 becomes 03:00), on
2026-10-25 25 hours (03:00 becomes 02:00 again). A silo's local times in the
hour that does not exist or that happens twice must load, and the night must
be built, gated and published like any other. Three simulated days around each
date (300 persons) go through the real loaders; a contact-center export on the
date itself adds contacts in that very hour; then `c360 dbt build` of the whole
project with the date as its business date, the quality gate and publishing.
"""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from c360.config import load_settings
from c360.ingest.contract_files import file_silo
from c360.orchestration.publishing import PUBLISHED_TABLES
from c360.publishing.publish import publish
from c360.quality.gate import run_gate
from c360.warehouse.bootstrap import bootstrap
from tests.dbt_helpers import dbt_build, dbt_env, simulate_and_load
from tests.ingest_helpers import write_delimited

contact_center = file_silo("contact_center")
INTERACTIONS = contact_center.dataset("interactions")

pytestmark = pytest.mark.timeout(600)

CLOCK_CHANGES = {
    date(2026, 3, 29): ("29-03-2026 02:30:00", "an hour that does not exist"),
    date(2026, 10, 25): ("25-10-2026 02:30:00", "an hour that happens twice"),
}


def contact(n: int, started_at: str) -> list[str]:
    return [f"CC-DST-{n}", started_at, "phone", "inbound", "", "Anna de Vries", "0612345678", "",
            "billing", "120", "30", "Y", "Y", "", "A1"]


@pytest.mark.parametrize("night", sorted(CLOCK_CHANGES), ids=str)
def test_the_night_the_clocks_change_is_built_gated_and_published(night, c360_env, tmp_path):
    warehouse, finance = c360_env["C360_WAREHOUSE_DSN"], c360_env["C360_FINANCE_DSN"]
    bootstrap(warehouse)
    simulate_and_load(warehouse, finance, tmp_path / "sim", people=300, days=3,
                      start=night - timedelta(days=1), seed=29)
    # a second export of the date's contacts, in the hour the clocks change
    local_time, _ = CLOCK_CHANGES[night]
    extra = tmp_path / "extra"
    write_delimited(extra / f"contact_center/{night}/interactions.csv", INTERACTIONS.columns,
                    [contact(1, local_time), contact(2, local_time.replace("02:30", "01:59"))],
                    delimiter=";", line_end="\r\n")
    [loaded] = contact_center.load_business_date(warehouse, extra, night).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (2, 2, 0)

    with psycopg.connect(warehouse) as conn:
        unbalanced = conn.execute(
            "select source_name from ops.load_ledger where rows_read <> rows_loaded + rows_quarantined"
        ).fetchall()
        web_dates = conn.execute(
            "select distinct _business_date from raw_web.events order by 1").fetchall()
    assert unbalanced == []
    assert (night,) in web_dates

    dbt_build(dbt_env(warehouse, tmp_path / "home"), night, "--exclude", "test_type:unit")
    with psycopg.connect(warehouse) as conn:
        as_of = conn.execute("select distinct business_date from marts.customer_360").fetchone()
        started = conn.execute(
            "select started_at at time zone 'Europe/Amsterdam' from staging.stg_contact_center__interactions "
            "where interaction_id = 'CC-DST-1'").fetchone()
    assert as_of == (night,)
    assert started[0].date() == night, f"{CLOCK_CHANGES[night][1]} left its day: {started[0]}"

    result = run_gate(load_settings(), night, alert=False, run_by="pytest")
    assert result.success, result.summary()
    published = publish(warehouse, PUBLISHED_TABLES, "marts", night)
    rows = {p.relation: p.row_count for p in published}
    assert rows["published.customer_360"] > 0 and rows["published.customer_segments"] > 0
