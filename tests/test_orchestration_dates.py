"""Which business date a task works on, for scheduled, backfilled and asset-triggered runs."""

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from c360.orchestration.failures import business_date

UTC = ZoneInfo("UTC")


def test_a_nightly_run_works_on_the_day_before_in_amsterdam():
    # 2026-11-03 02:30 Amsterdam is 01:30 UTC: the run for business date 2026-11-02
    context = {"logical_date": datetime(2026, 11, 3, 1, 30, tzinfo=UTC), "dag_run": None}
    assert business_date(context) == date(2026, 11, 2)


def test_an_asset_triggered_run_without_logical_date_uses_when_it_ran():
    run = SimpleNamespace(run_after=datetime(2026, 11, 3, 2, 45, tzinfo=UTC))
    assert business_date({"logical_date": None, "dag_run": run}) == date(2026, 11, 2)


def test_just_after_midnight_utc_in_summer_is_already_the_next_amsterdam_day():
    # 2026-07-01 23:30 UTC is 01:30 on 2 July in Amsterdam (UTC+2): business date 1 July
    context = {"logical_date": datetime(2026, 7, 1, 23, 30, tzinfo=UTC), "dag_run": None}
    assert business_date(context) == date(2026, 7, 1)


def test_dbt_gets_the_runs_business_date_whatever_was_loaded_later():
    from c360.orchestration.build import pass_business_date

    # a re-run of 2026-10-25 (the 25-hour night the clocks go back), asset-triggered the next night
    run = SimpleNamespace(run_after=datetime(2026, 10, 26, 2, 45, tzinfo=UTC))
    operator = SimpleNamespace(vars={"engagement_half_life_days": 30})
    pass_business_date({"logical_date": None, "dag_run": run}, operator)
    assert operator.vars == {"engagement_half_life_days": 30, "business_date": "2026-10-25"}
    operator = SimpleNamespace(vars=None)
    pass_business_date({"logical_date": datetime(2026, 3, 30, 0, 30, tzinfo=UTC), "dag_run": None}, operator)
    assert operator.vars == {"business_date": "2026-03-29"}
