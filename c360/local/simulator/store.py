"""One day of the stores: `store/YYYY-MM-DD/pos_<store_code>.csv` and `loyalty_members.csv`.

Stores that do not open on Sundays deliver no POS file that day (the folder is
still marked complete). Shoppers who drop in buy a random basket; a person's
purchase (journeys.py) is a receipt in their store, mostly of the line they came
for, often after research or an appointment booked online, with their loyalty
card when they have one and show it. The members file is
a delta: enrolments (the first day carries everyone enrolled before it),
replaced cards, moved members and changed marketing opt-ins.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from c360.ingest.contracts import dataset
from c360.local.simulator.clock import (
    AMSTERDAM,
    BRUSSELS,
    SHOP_HOURS,
    Day,
    local_text,
    poisson,
    wall_clock_text,
)
from c360.local.simulator.config import PRODUCT_LINES, SimulationConfig
from c360.local.simulator.files import STORE, day_folder, mark_complete, write_csv
from c360.local.simulator.journeys import RECEIPT, Touches
from c360.local.simulator.population import Population
from c360.local.simulator.state import Carry
from c360.local.simulator.truth import truth_rows

POS_LINES = dataset("store", "pos_lines")
POS_COLUMNS = list(POS_LINES.column_names)
MEMBER_COLUMNS = list(dataset("store", "loyalty_members").column_names)
CATALOG_SIZE = 400
PAYMENT_METHODS = POS_LINES.values("payment_method")
PAYMENT_METHOD_WEIGHTS = (0.15, 0.6, 0.2, 0.05)  # in the contract's order
WALK_IN_SHARE = 0.4       # of the receipt rate: shoppers who just drop in, without a card
SAME_LINE = 0.75          # a buyer's further articles that belong with the first


def catalog(seed: int) -> pd.DataFrame:
    """The articles the stores sell, each in one product line, with its shelf price."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 5]))
    line = rng.choice(PRODUCT_LINES, CATALOG_SIZE, p=[0.45, 0.3, 0.1, 0.05, 0.1])
    typical = pd.Series(line).map({"appliances": 5.5, "smart_home": 4.2, "solar": 6.5,
                                   "heat_pumps": 7.5, "service": 4.0}).to_numpy()
    return pd.DataFrame({
        "sku": "SKU" + pd.Series(rng.choice(900_000, CATALOG_SIZE, replace=False) + 100_000
                                 ).astype(str),
        "product_line": line,
        "price": np.round(rng.lognormal(typical, 0.7), 0) - 0.01,
    })


def _receipts(day: Day, population: Population, touches: Touches, cfg: SimulationConfig,
              rng: np.random.Generator, open_stores: list) -> pd.DataFrame:
    """One row per receipt: store, person's card shown (or None), product line bought (None
    for a walk-in's basket)."""
    persons = population.persons
    n = poisson(rng, cfg.store_receipt_rate * WALK_IN_SHARE * len(persons) * day.season)
    by_country = {c: [s.code for s in open_stores if s.country == c] for c in ("NL", "BE")}
    country = rng.choice(["NL", "BE"], n, p=[cfg.share_nl, 1 - cfg.share_nl])
    rows = []
    for code, stores in by_country.items():
        sel = int((country == code).sum())
        if stores and sel:
            rows.append(pd.DataFrame({"store_code": rng.choice(stores, sel), "card": None,
                                      "product_line": None}))
    bought = touches.of(RECEIPT)
    card = population.card_on(day.index, bought["person"])
    shown = card.notna().to_numpy() & (rng.random(len(bought)) < cfg.card_shown_rate)
    rows.append(pd.DataFrame({"store_code": bought["store"].to_numpy(),
                              "card": np.where(shown, card.to_numpy(), None),
                              "product_line": np.array(PRODUCT_LINES, dtype=object)[
                                  bought["line"].to_numpy()]}))
    receipts = pd.concat(rows, ignore_index=True)
    receipts["card"] = receipts["card"].astype(object).where(receipts["card"].notna(), None)
    return receipts


def _lines(receipts: pd.DataFrame, day: Day, items: pd.DataFrame, cfg: SimulationConfig,
           rng: np.random.Generator) -> pd.DataFrame:
    n = len(receipts)
    receipts = receipts.assign(sold=pd.Series(day.local_times(rng, n, SHOP_HOURS)))
    brussels = receipts["store_code"].str.startswith("BE").to_numpy()
    sold = local_text(pd.DatetimeIndex(receipts["sold"]), AMSTERDAM)
    sold[brussels] = local_text(pd.DatetimeIndex(receipts["sold"][brussels]), BRUSSELS).to_numpy()
    receipts["sold_at"] = sold.to_numpy()
    receipts = receipts.sort_values(["store_code", "sold_at"], kind="stable").reset_index(drop=True)
    receipts["receipt_id"] = (f"{day.date:%Y%m%d}" + (
        receipts.groupby("store_code").cumcount() + 1).astype(str).str.zfill(5)).to_numpy()
    receipts["payment_method"] = rng.choice(PAYMENT_METHODS, n, p=PAYMENT_METHOD_WEIGHTS)
    count = np.minimum(rng.geometric(0.55, n), 6)
    lines = receipts.loc[receipts.index.repeat(count)].reset_index(drop=True)
    lines["line_no"] = lines.groupby(["store_code", "receipt_id"]).cumcount() + 1
    item = items.iloc[rng.integers(0, len(items), len(lines))].reset_index(drop=True)
    # A buyer's first article is of the line they came for, and most of the rest go with it.
    wanted = lines["product_line"].notna().to_numpy() & (
        (lines["line_no"] == 1).to_numpy() | (rng.random(len(lines)) < SAME_LINE))
    if wanted.any():
        line_of = lines["product_line"].to_numpy()[wanted]
        pick = rng.random(len(line_of))
        chosen = np.zeros(len(line_of), dtype=np.int64)
        for name, rows in items.groupby("product_line").indices.items():
            at = line_of == name
            chosen[at] = rows[(pick[at] * len(rows)).astype(np.int64)]
        item.loc[wanted, ["sku", "price"]] = items[["sku", "price"]].to_numpy()[chosen]
        item.loc[wanted, "product_line"] = lines["product_line"][wanted].to_numpy()
    quantity = rng.choice([1, 1, 1, 1, 2, 3], len(lines))
    quantity = np.where(rng.random(len(lines)) < cfg.return_rate, -1, quantity)
    discounted = rng.random(len(lines)) < 0.15
    discount = np.where(discounted, np.round(item["price"] * rng.uniform(0.05, 0.3, len(lines)), 2),
                        0.0)
    lines["sku"], lines["product_line"] = item["sku"], item["product_line"]
    lines["quantity"] = quantity
    lines["unit_price"] = item["price"].map("{:.2f}".format)
    lines["discount"] = pd.Series(np.where(quantity < 0, 0.0, discount)).map("{:.2f}".format)
    lines["loyalty_card"] = lines["card"]
    return lines[POS_COLUMNS]


def _member_rows(cards: pd.DataFrame, day: Day, opt_in: np.ndarray,
                 rng: np.random.Generator) -> pd.DataFrame:
    moved = cards["move_update_day"].to_numpy() <= day.index
    rows = cards[["card_number", "first_name", "last_name", "email", "phone", "postal_code",
                  "house_number"]].reset_index(drop=True)
    for column in ("postal_code", "house_number"):
        rows.loc[moved, column] = cards[f"new_{column}"].to_numpy()[moved]
    birth = cards["birth_date"].to_numpy().astype("datetime64[D]")
    rows["birth_date"] = np.where(np.isnat(birth), None, np.datetime_as_string(birth, unit="D"))
    rows["marketing_opt_in"] = np.where(opt_in, "Y", "N")
    start = pd.Timestamp(day.date) + pd.to_timedelta(cards["start_day"].to_numpy() - day.index,
                                                     unit="D")
    enrolled = start + pd.to_timedelta(rng.integers(9 * 3600, 18 * 3600, len(cards)), unit="s")
    rows["enrolled_at"] = wall_clock_text(enrolled.to_numpy()).to_numpy()
    return rows


def _members(day: Day, population: Population, carry: Carry, cfg: SimulationConfig,
             rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's member delta and the cards it shows for the first time."""
    cards = population.cards
    start = cards["start_day"].to_numpy()
    new = (start == day.index) | ((day.index == 0) & (start < 0))
    live = (start < day.index) & ~new
    changed_opt_in = live & (rng.random(len(cards)) < cfg.detail_change_rate)
    carry.card_opt_in[changed_opt_in] = ~carry.card_opt_in[changed_opt_in]
    moving = live & (cards["move_update_day"].to_numpy() == day.index)
    delta = new | changed_opt_in | moving
    picked = cards[delta]
    rows = _member_rows(picked, day, carry.card_opt_in[delta], rng)
    updated = local_text(day.local_times(rng, len(picked), SHOP_HOURS)).to_numpy().copy()
    history = new[delta] & (start[delta] < day.index)
    # Enrolled before the first delivery: the last change is the enrolment (or the move after it).
    updated[history] = rows["enrolled_at"].to_numpy()[history]
    rows["updated_at"] = updated
    today_new = new[delta] & ~history
    rows.loc[today_new, "enrolled_at"] = rows.loc[today_new, "updated_at"]
    return rows[MEMBER_COLUMNS], picked[new[delta]]


def simulate_store(day: Day, population: Population, carry: Carry, cfg: SimulationConfig,
                   touches: Touches, landing: Path, items: pd.DataFrame
                   ) -> tuple[int, int, pd.DataFrame]:
    """Write the day's POS and member files; returns POS lines, member rows and truth rows."""
    rng = day.rng(4)
    open_stores = [s for s in cfg.stores if s.open_on_sunday or not day.is_sunday]
    receipts = _receipts(day, population, touches, cfg, rng, open_stores)
    lines = _lines(receipts, day, items, cfg, rng)
    members, first_seen = _members(day, population, carry, cfg, rng)

    folder = day_folder(landing, "store", day.date)
    for store in open_stores:
        write_csv(folder / f"pos_{store.code}.csv", lines[lines["store_code"] == store.code],
                  STORE)
    write_csv(folder / "loyalty_members.csv", members, STORE)
    mark_complete(folder)
    owners = population.persons["person_id"].to_numpy()[first_seen["person"].to_numpy()]
    return len(lines), len(members), truth_rows("store", first_seen["card_number"],
                                                pd.Series(owners))
