"""Per silo, from ops.load_ledger: freshness, volume against recent days, parse rate.

The same two suites validate every silo, each through its own validation
definition, so an alert reaches the silo's owner.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.ingest.contracts import all_contracts
from c360.quality.checks import Check, parameter
from c360.quality.contract import BUSINESS_DATE_SQL
from c360.quality.suites.common import required
from c360.quality.thresholds import Thresholds

FRESHNESS_SUITE = "silo_freshness"
VOLUME_SUITE = "silo_volume_and_parse_rate"


def _freshness(silo: str) -> Check:
    # One row even when the silo never delivered: then the latest date is null.
    return Check(
        name=f"{silo}__freshness", owner=silo, suite=FRESHNESS_SUITE,
        query=f"""select '{silo} last loaded ' || coalesce(max(business_date)::text, 'never') as row_key,
                         max(business_date) as latest_business_date
                  from ops.load_ledger
                  where source_system = '{silo}' and status = 'loaded'""",
        expectations=[
            required("latest_business_date"),
            gxe.ExpectColumnValuesToBeBetween(
                column="latest_business_date", min_value=parameter("business_date"),
                description="the silo's latest loaded business date is the one the gate runs for",
            ),
        ],
    )


def _volume(silo: str, t: Thresholds) -> Check:
    # Days are compared with the same weekday of recent weeks (stores close on
    # Sunday, the web is quiet then). The first business date holds the initial
    # load (finance: its whole history), so it is no baseline; a baseline of a
    # few rows is noise, so no ratio then. Ratios are float8: GX warns about every
    # numeric it serialises.
    return Check(
        name=f"{silo}__volume", owner=silo, suite=VOLUME_SUITE,
        query=f"""with days as (
                      select business_date, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
                          business_date = min(business_date) over () as initial_load
                      from ops.load_ledger
                      where source_system = '{silo}'
                      group by business_date
                  ),
                  baselines as (
                      select *, avg(case when not initial_load then rows_read end) over (
                          partition by extract(isodow from business_date) order by business_date
                          rows between {t.recent_weeks} preceding and 1 preceding
                      ) as baseline
                      from days
                  )
                  select '{silo} ' || business_date || ': ' || rows_loaded || ' of ' || rows_read
                          || ' rows loaded' || coalesce(', ' || round(rows_read / baseline, 2)
                          || ' times the usual volume', '') as row_key,
                      business_date, rows_read, rows_loaded,
                      (rows_loaded::numeric / nullif(rows_read, 0))::float8 as parse_rate,
                      (case when baseline >= {t.min_baseline_rows} then rows_read / baseline end)::float8
                          as volume_ratio
                  from baselines
                  where business_date = {BUSINESS_DATE_SQL}""",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="parse_rate", min_value=parameter("min_parse_rate"), max_value=1,
                description="rows loaded over rows read: the rest went to quarantine",
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="volume_ratio", min_value=parameter("min_volume_ratio"),
                max_value=parameter("max_volume_ratio"),
                description="rows delivered over the mean of the same weekday in recent weeks",
            ),
        ],
    )


def checks(t: Thresholds) -> list[Check]:
    silos = [c.silo for c in all_contracts()]
    return [c for silo in silos for c in (_freshness(silo), _volume(silo, t))]
