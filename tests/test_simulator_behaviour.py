"""Behaviour with signal: the hidden interest and preferred channel per person and product
line (truth/interests.csv) show in what the simulator writes, read back from the files."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from datetime import date, timedelta

import numpy as np
import orjson
import pandas as pd
import pytest

from c360.local.simulator.behaviour import CHANNELS
from c360.local.simulator.config import PRODUCT_LINES, SimulationConfig
from c360.local.simulator.journeys import RECEIPT, Journeys
from c360.local.simulator.population import build_population
from c360.local.simulator.runner import Request, Target, simulate
from c360.local.simulator.state import StateStore

START = date(2026, 3, 2)
DAYS = 42
PEOPLE = 1500


@pytest.fixture(scope="module")
def sim(pg, tmp_path_factory):
    root = tmp_path_factory.mktemp("behaviour")
    pg.create_database("sim_behaviour")
    target = Target(root / "landing", root / "truth", root / "simulation", pg.dsn("sim_behaviour"))
    simulate(Request(days=DAYS, people=PEOPLE, start=START, seed=25), target)
    _, population, _ = StateStore(target.state_dir).load()
    yield target, population
    pg.drop_database("sim_behaviour")


def dates() -> list[date]:
    return [START + timedelta(days=i) for i in range(DAYS)]


def interests(target: Target) -> pd.DataFrame:
    return pd.read_csv(target.truth_dir / "interests.csv", dtype={"interest": float})


@pytest.fixture(scope="module")
def seen(sim) -> dict[str, pd.DataFrame]:
    """Purchases and research per person and line as the files show them: receipts with a
    loyalty card, web orders and page views of persons' cookies, advice contacts."""
    target, population = sim
    ids = population.persons["person_id"].to_numpy()
    card_owner = dict(zip(population.cards["card_number"], ids[population.cards["person"]],
                          strict=True))
    cookie_owner = dict(zip(population.cookies["anonymous_id"], ids[population.cookies["person"]],
                            strict=True))
    purchases, research, orders = [], [], []
    utm_of: dict[str, dict] = {}
    for day in dates():
        for path in (target.landing_dir / "store" / day.isoformat()).glob("pos_*.csv"):
            with path.open(newline="") as f:
                receipts = {(r["receipt_id"], r["loyalty_card"], r["product_line"])
                            for r in csv.DictReader(f) if r["loyalty_card"] and r["line_no"] == "1"}
            purchases += [(card_owner[card], line, "store", day) for _, card, line in receipts]
        for path in sorted((target.landing_dir / "web" / day.isoformat()).glob("events-*.jsonl.gz")):
            for raw in gzip.decompress(path.read_bytes()).splitlines():
                event = orjson.loads(raw)
                person = cookie_owner.get(event["anonymous_id"])
                if event["utm"]:
                    utm_of[event["session_id"]] = event["utm"]
                if person is None:
                    continue
                kind, props = event["event_type"], event["properties"]
                if kind == "order_completed":
                    purchases.append((person, props["product_line"], "web", day))
                    orders.append((person, props["product_line"], event["session_id"]))
                elif kind == "product_configured" or (
                        kind == "page_view" and props["path"].startswith("/producten/")):
                    line = props.get("product_line") or props["path"].split("/")[2]
                    research.append((person, line, day))
    return {
        "purchases": pd.DataFrame(purchases, columns=["person_id", "product_line", "channel", "day"]),
        "research": pd.DataFrame(research, columns=["person_id", "product_line", "day"]),
        "orders": pd.DataFrame([(p, line, utm_of.get(s, {}).get("medium")) for p, line, s in orders],
                               columns=["person_id", "product_line", "medium"]),
    }


def test_truth_holds_an_interest_and_channel_for_every_person_and_line(sim):
    target, population = sim
    truth = interests(target)
    assert list(truth.columns) == ["person_id", "product_line", "interest", "preferred_channel"]
    assert len(truth) == PEOPLE * len(PRODUCT_LINES)
    pairs = set(zip(truth["person_id"], truth["product_line"], strict=True))
    assert pairs == {(p, line) for p in population.persons["person_id"] for line in PRODUCT_LINES}
    assert set(truth["preferred_channel"]) == set(CHANNELS)
    assert (truth["interest"] > 0).all()
    # Heavy-tailed and realistic: most persons buy a line less than once a year.
    for _, line in truth.groupby("product_line"):
        assert line["interest"].median() < line["interest"].mean() / 1.5
        assert (line["interest"] < 30 / 365).mean() > 0.5


def test_the_hidden_values_follow_from_the_seed_and_person():
    cfg = SimulationConfig()
    one = build_population(200, 9, START, cfg).behaviour
    again = build_population(200, 9, START, cfg).behaviour
    other = build_population(200, 10, START, cfg).behaviour
    assert np.array_equal(one.interest, again.interest)
    assert np.array_equal(one.channel, again.channel)
    assert not np.array_equal(one.interest, other.interest)


def _rate_by_decile(counts: pd.Series, truth: pd.DataFrame) -> pd.Series:
    """Events per person and line in each decile of interest, over every pair."""
    frame = truth.assign(events=[counts.get((p, line), 0) for p, line in zip(
        truth["person_id"], truth["product_line"], strict=True)])
    frame["decile"] = pd.qcut(frame["interest"].rank(method="first"), 10, labels=False)
    return frame.groupby("decile")["events"].mean()


def test_interest_drives_research_and_purchases(sim, seen):
    target, _ = sim
    truth = interests(target)
    bought = _rate_by_decile(seen["purchases"].groupby(["person_id", "product_line"]).size(), truth)
    looked = _rate_by_decile(seen["research"].groupby(["person_id", "product_line"]).size(), truth)
    assert bought[9] > 3 * bought[0] and bought[9] > 2 * bought[4]
    assert looked[9] > 3 * looked[0]
    assert len(seen["purchases"]) > 300


def test_the_preferred_channel_dominates_purchases_and_contacts(sim, seen):
    target, population = sim
    truth = interests(target).set_index(["person_id", "product_line"])["preferred_channel"]
    purchases = seen["purchases"]
    preferred = truth.loc[list(zip(purchases["person_id"], purchases["product_line"],
                                   strict=True))].to_numpy()
    online = purchases["channel"].to_numpy() == "web"
    for channel, expect_online in (("web", True), ("email", True), ("store", False),
                                   ("phone", False)):
        chosen = preferred == channel
        assert chosen.sum() > 10, channel
        assert (online[chosen] == expect_online).mean() > 0.7, channel
    # Who buys from the newsletter arrives from it.
    orders = seen["orders"]
    by_email = truth.loc[list(zip(orders["person_id"], orders["product_line"], strict=True))
                         ].to_numpy() == "email"
    from_mail = orders["medium"].to_numpy() == "email"
    assert from_mail[by_email].mean() > 0.7 and from_mail[~by_email].mean() < 0.5
    # Who prefers the phone for a line calls for advice far more often than others.
    truth_rows = pd.read_csv(target.truth_dir / "identities.csv")
    owner = truth_rows[truth_rows["source_system"] == "contact_center"].set_index("source_key")[
        "person_id"]
    advice = Counter()
    for day in dates():
        path = target.landing_dir / "contact_center" / day.isoformat() / "interactions.csv"
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f, delimiter=";"):
                if row["reason"] == "product_info" and row["channel"] == "phone" \
                        and row["interaction_id"] in owner.index:
                    advice[owner[row["interaction_id"]]] += 1
    phone_people = set(truth[truth == "phone"].index.get_level_values(0))
    callers = population.persons[population.persons["in_contact_center"]]["person_id"]
    rate = {group: np.mean([advice[p] for p in callers if (p in phone_people) == group])
            for group in (True, False)}
    assert rate[True] > 4 * rate[False]


def test_research_online_precedes_a_purchase_in_the_store(sim, seen):
    target, _ = sim
    truth = interests(target).set_index(["person_id", "product_line"])["preferred_channel"]
    research = seen["research"].groupby(["person_id", "product_line"])["day"].min()
    store = seen["purchases"][seen["purchases"]["channel"] == "store"]
    before = [research.get((p, line)) for p, line in zip(store["person_id"], store["product_line"],
                                                          strict=True)]
    researched = [b is not None and b <= d for b, d in zip(before, store["day"], strict=True)]
    after_only = [b is not None and b > d for b, d in zip(before, store["day"], strict=True)]
    assert sum(researched) > 30 and sum(researched) > 3 * sum(after_only)
    assert (truth.loc[list(zip(store["person_id"], store["product_line"], strict=True))]
            .isin(["store", "phone"])).mean() > 0.7


def test_each_line_has_its_season():
    """A year of planned purchases: solar before summer, gifts at the year's end, heat pumps
    before the heating season."""
    start = date(2027, 1, 1)
    population = build_population(3000, 4, start, SimulationConfig())
    journeys = Journeys(population.behaviour, population.persons, 4, start, SimulationConfig())
    bought = pd.concat([journeys.touches(d).of(RECEIPT).assign(day=d) for d in range(365)])
    month = (pd.Timestamp(start) + pd.to_timedelta(bought["day"], unit="D")).dt.month
    per = pd.crosstab(bought["line"].map(dict(enumerate(PRODUCT_LINES))), month)

    def share(line: str, months: list[int]) -> float:
        return per.loc[line, months].sum() / per.loc[line].sum() * 12 / len(months)

    assert share("solar", [4, 5]) > 2 * share("solar", [11, 12])
    assert share("smart_home", [12]) > 2 * share("smart_home", [6, 7])
    assert share("heat_pumps", [10]) > 2 * share("heat_pumps", [6, 7])
