"""Running the simulator: determinism, extending by more days, errors, the CLI."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.config import load_settings
from c360.local.simulator.runner import Request, Target, simulate
from c360.local.simulator.state import StateError

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = date(2026, 11, 27)
PEOPLE = 600
TABLES = {"accounts": "account_id", "invoices": "invoice_id", "payments": "payment_id"}


def unwrapped(output: str) -> str:
    """The CLI's message without the line breaks rich adds at the terminal width."""
    return " ".join(output.split())


def make_target(root: Path, dsn: str) -> Target:
    return Target(root / "landing", root / "truth", root / "simulation", dsn)


def fingerprint(target: Target) -> dict[str, object]:
    """Every landing file's bytes, the truth, and every billing row."""
    files = {str(p.relative_to(target.landing_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(target.landing_dir.rglob("*")) if p.is_file()}
    files["truth"] = (target.truth_dir / "identities.csv").read_text()
    files["interests"] = (target.truth_dir / "interests.csv").read_text()
    with psycopg.connect(target.finance_dsn) as conn:
        for table, key in TABLES.items():
            files[table] = conn.execute(f"select * from billing.{table} order by {key}").fetchall()
    return files


def versions(dsn: str) -> dict[tuple[str, str], datetime]:
    with psycopg.connect(dsn) as conn:
        return {(table, row[0]): row[1] for table, key in TABLES.items()
                for row in conn.execute(f"select {key}, updated_at from billing.{table}")}


@pytest.fixture(scope="module")
def all_at_once(pg, tmp_path_factory) -> dict[str, object]:
    pg.create_database("sim_once")
    target = make_target(tmp_path_factory.mktemp("once"), pg.dsn("sim_once"))
    simulate(Request(days=4, people=PEOPLE, start=START, seed=5), target)
    yield fingerprint(target)
    pg.drop_database("sim_once")


def test_same_seed_same_output_other_seed_other_output(tmp_path, new_database, all_at_once):
    again = make_target(tmp_path / "again", new_database("again"))
    simulate(Request(days=4, people=PEOPLE, start=START, seed=5), again)
    assert fingerprint(again) == all_at_once
    other = make_target(tmp_path / "other", new_database("other"))
    simulate(Request(days=4, people=PEOPLE, start=START, seed=6), other)
    assert fingerprint(other)["truth"] != all_at_once["truth"]


def test_extending_day_by_day_equals_simulating_all_days_at_once(tmp_path, new_database,
                                                                  all_at_once):
    target = make_target(tmp_path / "nightly", new_database("nightly"))
    simulate(Request(days=1, people=PEOPLE, start=START, seed=5), target)
    truth_before = (target.truth_dir / "identities.csv").read_text()
    changes = 0
    for night in range(1, 4):
        before = versions(target.finance_dsn)
        if night == 2:  # a run that died after writing truth rows leaves no trace
            with (target.truth_dir / "identities.csv").open("a") as f:
                f.write("web,half-written,P9999999\n")
        if night == 1:  # a run that died after the billing commit, before saving its state
            saved = {p: p.read_bytes() for p in target.state_dir.iterdir()}
            simulate(Request(days=1), target)
            for p in target.state_dir.iterdir():
                p.unlink()
            for p, content in saved.items():
                p.write_bytes(content)
        summary = simulate(Request(days=1), target)
        day = START + timedelta(days=night)
        assert summary.first_day == summary.last_day == day
        assert (target.landing_dir / "web" / day.isoformat() / "_SUCCESS").exists()
        # Billing changes of the night are stamped within its business day (Amsterdam).
        begin = datetime.combine(day, time(0), AMSTERDAM)
        changed = {k: v for k, v in versions(target.finance_dsn).items() if before.get(k) != v}
        changes += len(changed)
        assert all(begin <= v < begin + timedelta(days=1) for v in changed.values())
        truth_now = (target.truth_dir / "identities.csv").read_text()
        assert truth_now.startswith(truth_before) and len(truth_now) > len(truth_before)
        truth_before = truth_now
    assert changes > 10
    assert fingerprint(target) == all_at_once


def test_a_new_simulation_needs_size_start_and_seed(tmp_path, new_database):
    target = make_target(tmp_path, new_database("errors"))
    with pytest.raises(StateError, match="a new simulation needs --people, --start, --seed"):
        simulate(Request(days=1), target)
    with pytest.raises(StateError, match="--days must be at least 1, got 0"):
        simulate(Request(days=0, people=PEOPLE, start=START, seed=1), target)
    with pytest.raises(StateError, match="--people must be at least 10, got 3"):
        simulate(Request(days=1, people=3, start=START, seed=1), target)


def test_an_existing_simulation_keeps_its_settings(tmp_path, new_database):
    target = make_target(tmp_path, new_database("keeps"))
    simulate(Request(days=1, people=50, start=START, seed=1), target)
    with pytest.raises(StateError, match=r"--seed 2 \(it has 1\)"):
        simulate(Request(days=1, seed=2), target)
    with pytest.raises(StateError, match=r"--start 2026-01-01 \(it has 2026-11-27\)"):
        simulate(Request(days=1, start=date(2026, 1, 1)), target)
    summary = simulate(Request(days=1, people=50, seed=1), target)  # the same values are fine
    assert summary.first_day == START + timedelta(days=1)


def test_refuses_to_mix_with_data_it_did_not_write(tmp_path, new_database):
    target = make_target(tmp_path, new_database("foreign"))
    (target.landing_dir / "web" / "2026-01-01").mkdir(parents=True)
    with pytest.raises(StateError, match="already holds data for web"):
        simulate(Request(days=1, people=50, start=START, seed=1), target)
    (target.landing_dir / "web" / "2026-01-01").rmdir()
    simulate(Request(days=1, people=50, start=START, seed=1), target)
    (target.state_dir / "state.json").unlink()  # the state is lost, the data is still there
    with pytest.raises(StateError, match="already holds data"):
        simulate(Request(days=1, people=50, start=START, seed=1), target)
    summary = simulate(Request(days=1, people=50, start=START, seed=1, reset=True), target)
    assert summary.first_day == START
    assert not (target.landing_dir / "web" / "2026-01-01").exists()


def test_cli_simulates_and_reports(c360_env):
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", "--people", "60", "--days", "2", "--start",
                                 "2026-11-02", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "truth identities" in result.output and "households" in result.output
    settings = load_settings()
    truth = settings.truth_dir / "identities.csv"
    assert truth.read_text().startswith("source_system,source_key,person_id\n")
    assert (settings.landing_dir / "store" / "2026-11-03" / "_SUCCESS").exists()
    assert (settings.landing_dir.parent / "simulation" / "state.json").exists()

    result = runner.invoke(app, ["simulate", "--days", "1"])
    assert result.exit_code == 0, result.output
    assert (settings.landing_dir / "store" / "2026-11-04" / "_SUCCESS").exists()

    result = runner.invoke(app, ["simulate", "--days", "1", "--seed", "4"])
    assert result.exit_code == 1 and "--seed 4 (it has 3)" in unwrapped(result.output)


def test_cli_rejects_a_bad_start_date(c360_env):
    result = CliRunner().invoke(app, ["simulate", "--people", "60", "--days", "1", "--start",
                                      "2026-02-30", "--seed", "3"])
    assert result.exit_code == 1
    assert "--start must be a date YYYY-MM-DD, got '2026-02-30'" in unwrapped(result.output)
