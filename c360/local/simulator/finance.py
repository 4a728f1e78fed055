"""What happens in billing on one business day: accounts opened, changed and closed,
invoices issued, paid or overdue, payments received.

The first day also carries the history before it (accounts opened years ago,
the last months of invoices), stamped with their own past `updated_at`; every
later change is stamped within the business day it happens on, so an extract
by `updated_at` sees it on that night. Moments are naive-UTC datetime64 arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from c360.ingest.contracts import contract, dataset
from c360.local.simulator.clock import AMSTERDAM, OFFICE_HOURS, Day, compact_dates, local_dates, utc64
from c360.local.simulator.config import SimulationConfig
from c360.local.simulator.population import NO_DAY, Population
from c360.local.simulator.state import Carry
from c360.local.simulator.truth import truth_rows

ACCOUNT_COLUMNS, INVOICE_COLUMNS, PAYMENT_COLUMNS = (
    list(dataset("finance", table).column_names) for table in ("accounts", "invoices", "payments"))
TIMESTAMP_COLUMNS = {c.name for table in contract("finance").datasets for c in table.columns
                     if c.type == "timestamptz"}
VAT_RATE = 0.21
PAYMENT_TERM_DAYS = 14


@dataclass
class FinanceDay:
    new_accounts: pd.DataFrame
    account_updates: pd.DataFrame
    new_invoices: pd.DataFrame
    invoice_updates: pd.DataFrame       # invoice_id, status, updated_at
    new_payments: pd.DataFrame
    truth: pd.DataFrame


def _moments(day: Day, rng: np.random.Generator, n: int) -> np.ndarray:
    return utc64(day.local_times(rng, n, OFFICE_HOURS))


def _moments_on(days: np.ndarray, day: Day, rng: np.random.Generator) -> np.ndarray:
    """Office-hour moments on day numbers `days` (relative to the simulation start)."""
    offset = (days - day.index) * 86_400 + rng.integers(8 * 3600, 18 * 3600, len(days))
    local = pd.Timestamp(day.date) + pd.to_timedelta(offset, unit="s")
    return utc64(pd.DatetimeIndex(local).tz_localize(
        AMSTERDAM, ambiguous=np.zeros(len(days), dtype=bool), nonexistent="shift_forward"))


def _account_rows(accounts: pd.DataFrame, population: Population, day_index: int,
                  created: np.ndarray, updated: np.ndarray) -> pd.DataFrame:
    """Billing rows as they stand on `day_index`: moved address and closure applied."""
    moved = accounts["move_update_day"].to_numpy() <= day_index
    rows = pd.DataFrame({c: accounts[c].to_numpy() for c in
                         ("account_id", "first_name", "last_name", "email", "phone", "street",
                          "house_number", "postal_code", "city")})
    for column in ("street", "house_number", "postal_code", "city"):
        rows.loc[moved, column] = accounts[f"new_{column}"].to_numpy()[moved]
    rows["country_code"] = population.persons["country"].to_numpy()[accounts["person"]]
    rows["date_of_birth"] = accounts["birth_date"].to_numpy()
    rows["status"] = np.where(accounts["close_day"].to_numpy() <= day_index, "closed", "active")
    rows["created_at"] = created
    rows["updated_at"] = updated
    rows["person"] = accounts["person"].to_numpy()
    return rows[[*ACCOUNT_COLUMNS, "person"]]


def _new_accounts(day: Day, population: Population, rng: np.random.Generator) -> pd.DataFrame:
    accounts = population.accounts
    opened = accounts["open_day"].to_numpy()
    history = day.index == 0
    new = accounts[(opened == day.index) | (history & (opened < 0))]
    created = _moments_on(new["open_day"].to_numpy(), day, rng)
    # A history account changed when its holder moved (if billing heard of it) before today.
    past_move = new["move_update_day"].to_numpy()
    past_move = np.where(past_move < day.index, past_move, new["open_day"].to_numpy())
    updated = np.maximum(created, _moments_on(past_move, day, rng))
    return _account_rows(new, population, day.index, created, updated)


def _account_updates(day: Day, population: Population, rng: np.random.Generator,
                     existing: pd.Series) -> pd.DataFrame:
    accounts = population.accounts
    changed = ((accounts["move_update_day"] == day.index) | (accounts["close_day"] == day.index))
    changed &= accounts["open_day"] < day.index
    changed &= ~accounts["account_id"].isin(existing)
    rows = accounts[changed]
    now = _moments(day, rng, len(rows))
    return _account_rows(rows, population, day.index, now, now).drop(
        columns=["created_at", "person"])


def _numbered(prefix: str, dates: np.ndarray) -> pd.Series:
    """'INV-20261121-000001': numbered per date in the order given."""
    text = compact_dates(dates)
    sequence = text.groupby(text).cumcount() + 1
    return prefix + "-" + text + "-" + sequence.astype(str).str.zfill(6)


def _invoices(accounts: pd.DataFrame, issued: np.ndarray, issued_day: np.ndarray,
              rng: np.random.Generator, cfg: SimulationConfig) -> pd.DataFrame:
    n = len(accounts)
    credit = rng.random(n) < cfg.credit_note_rate
    amount = np.round(accounts["monthly_fee"].to_numpy() * np.where(credit, -1, 1), 2)
    issued_on = local_dates(issued)
    return pd.DataFrame({
        "invoice_id": _numbered("INV", issued_on).to_numpy(),
        "account_id": accounts["account_id"].to_numpy(),
        "issued_on": issued_on,
        "due_on": issued_on + np.timedelta64(PAYMENT_TERM_DAYS, "D"),
        "product_line": accounts["product_line"].to_numpy(),
        "amount_excl_vat": amount,
        "vat_amount": np.round(amount * VAT_RATE, 2),
        "currency": "EUR",
        "status": np.where(credit, "credited", "open"),
        "updated_at": issued,
        "issued_day": issued_day,
        "method": accounts["pay_method"].to_numpy(),
    })


def _payment_days(invoices: pd.DataFrame, rng: np.random.Generator,
                  cfg: SimulationConfig) -> np.ndarray:
    issued = invoices["issued_day"].to_numpy()
    n = len(invoices)
    due = issued + PAYMENT_TERM_DAYS
    direct_debit = invoices["method"].to_numpy() == "sepa_dd"
    # Paid from the day after issue on (the invoice reaches the customer first).
    on_time = np.where(direct_debit, due, issued + rng.integers(1, PAYMENT_TERM_DAYS + 1, n))
    late = due + rng.integers(1, 35, n)
    draw = rng.random(n)
    return np.where(draw < cfg.never_paid_rate, NO_DAY,
                    np.where(draw < cfg.never_paid_rate + cfg.late_payment_rate, late, on_time))


def _payments(invoice_ids: pd.Series, totals: np.ndarray, methods: pd.Series,
              paid_at: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "payment_id": _numbered("PAY", local_dates(paid_at)).to_numpy(),
        "invoice_id": invoice_ids.to_numpy(),
        "paid_at": paid_at,
        "amount": np.round(totals, 2),
        "method": methods.to_numpy(),
        "updated_at": paid_at,
    })


def _history_invoices(day: Day, population: Population, rng: np.random.Generator,
                      cfg: SimulationConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The last months of invoices before day 0, all settled, with their payments."""
    accounts = population.accounts
    billing_day = accounts["billing_day"].to_numpy()
    start = np.datetime64(day.date, "D")
    billed, issued_days = [], []
    for months_back in range(1, cfg.history_invoice_months + 1):
        month = np.datetime64(day.date, "M") - np.timedelta64(months_back, "M")
        issued_day = ((month.astype("datetime64[D]") + (billing_day - 1)) - start).astype(int)
        live = ((accounts["open_day"].to_numpy() < issued_day) & (issued_day < 0)
                & (accounts["close_day"].to_numpy() > issued_day))
        billed.append(accounts[live])
        issued_days.append(issued_day[live])
    billed_accounts = pd.concat(billed, ignore_index=True)
    issued_day = np.concatenate(issued_days)
    invoices = _invoices(billed_accounts, _moments_on(issued_day, day, rng), issued_day, rng, cfg)
    paid = (invoices["status"] == "open").to_numpy()
    settled = invoices[paid]
    pay_day = np.minimum(_payment_days(settled, rng, cfg), -1)
    # Paid on a later day than issued, or at least an hour after issue on the same day.
    paid_at = np.maximum(_moments_on(pay_day, day, rng),
                         settled["updated_at"].to_numpy() + np.timedelta64(1, "h"))
    payments = _payments(settled["invoice_id"],
                         settled["amount_excl_vat"].to_numpy() + settled["vat_amount"].to_numpy(),
                         settled["method"], paid_at)
    invoices.loc[paid, "status"] = "paid"
    invoices.loc[paid, "updated_at"] = paid_at
    return invoices, payments


def simulate_finance(day: Day, population: Population, carry: Carry,
                     cfg: SimulationConfig) -> FinanceDay:
    rng = day.rng(1)
    accounts = population.accounts
    new_accounts = _new_accounts(day, population, rng)
    updates = _account_updates(day, population, rng, new_accounts["account_id"])

    live = ((accounts["open_day"] < day.index) & (accounts["close_day"] > day.index)
            & (accounts["billing_day"] == day.date.day))
    billed = accounts[live]
    invoices = _invoices(billed, _moments(day, rng, len(billed)),
                         np.full(len(billed), day.index), rng, cfg)
    payments = []
    if day.index == 0:
        old_invoices, old_payments = _history_invoices(day, population, rng, cfg)
        invoices = pd.concat([old_invoices, invoices], ignore_index=True)
        payments.append(old_payments)

    issued_today = invoices[(invoices["issued_day"] == day.index)
                            & (invoices["status"] == "open")].copy()
    issued_today["due_day"] = issued_today["issued_day"] + PAYMENT_TERM_DAYS
    issued_today["pay_day"] = _payment_days(issued_today, rng, cfg)
    issued_today["amount"] = issued_today["amount_excl_vat"] + issued_today["vat_amount"]
    pending = pd.concat([carry.open_invoices, issued_today[carry.open_invoices.columns]],
                        ignore_index=True)

    paying = pending[pending["pay_day"] == day.index]
    paid_at = _moments(day, rng, len(paying))
    payments.append(_payments(paying["invoice_id"], paying["amount"].to_numpy(dtype=float),
                              paying["method"], paid_at))
    going_overdue = pending[(pending["due_day"] == day.index - 1)
                            & (pending["pay_day"] != day.index)]
    morning = utc64(pd.DatetimeIndex([pd.Timestamp(day.date) + pd.Timedelta(hours=6)]
                                     ).tz_localize(AMSTERDAM))
    invoice_updates = pd.concat([
        pd.DataFrame({"invoice_id": going_overdue["invoice_id"].to_numpy(), "status": "overdue",
                      "updated_at": np.repeat(morning, len(going_overdue))}),
        pd.DataFrame({"invoice_id": paying["invoice_id"].to_numpy(), "status": "paid",
                      "updated_at": paid_at}),
    ], ignore_index=True)
    # An invoice that will never be paid leaves the books' daily work once it is overdue.
    settled = (pending["pay_day"] == day.index) | (
        (pending["pay_day"] == NO_DAY) & (pending["due_day"] < day.index))
    carry.open_invoices = pending[~settled].reset_index(drop=True)

    owners = population.persons["person_id"].to_numpy()[new_accounts.pop("person").to_numpy()]
    return FinanceDay(
        new_accounts=new_accounts,
        account_updates=updates,
        new_invoices=invoices[INVOICE_COLUMNS],
        invoice_updates=invoice_updates,
        new_payments=pd.concat(payments, ignore_index=True)[PAYMENT_COLUMNS],
        truth=truth_rows("finance", new_accounts["account_id"], pd.Series(owners)),
    )
