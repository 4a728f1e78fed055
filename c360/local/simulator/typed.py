"""A person's details as one silo captured them: who typed, how carefully, which contact.

Billing clerks abbreviate first names, agents mishear, people filling in a form
mostly get their own name right but leave fields empty. Household members
sometimes give the shared landline or family e-mail instead of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from c360.local.simulator import mess, register_slips
from c360.local.simulator.config import SimulationConfig


@dataclass(frozen=True)
class Typist:
    """Multipliers of the configured mess rates for one kind of data entry."""

    typo: float = 1.0
    initials: float = 1.0
    swap: float = 1.0
    case: float = 1.0
    missing: float = 1.0
    prefix: float = 1.0
    email: float = 1.0
    formal_names: bool = False  # copies names and dates from documents (the "real" profile)


CLERK = Typist(initials=1.5, missing=0.5, formal_names=True)
AGENT = Typist(typo=2.0, initials=0.5, swap=1.5, case=0.5, email=1.5)
SELF = Typist(typo=0.4, initials=0.3, swap=0.5, case=1.5, missing=1.5, prefix=0.5, email=0.7)


def contact_choice(persons: pd.DataFrame, cfg: SimulationConfig, rng: np.random.Generator
                   ) -> tuple[pd.Series, pd.Series]:
    """The e-mail and phone (E.164) a person gives: their own, or the household's shared one."""
    n = len(persons)
    email = persons["email"].copy()
    phone = persons["mobile"].copy()
    shared_email = persons["family_email"].notna().to_numpy() & mess.chosen(
        rng, n, cfg.shared_contact_use_rate)
    shared_phone = persons["landline"].notna().to_numpy() & mess.chosen(
        rng, n, cfg.shared_contact_use_rate)
    email[shared_email] = persons["family_email"][shared_email]
    phone[shared_phone] = persons["landline"][shared_phone]
    return email.reset_index(drop=True), phone.reset_index(drop=True)


def typed_names(first: pd.Series, last: pd.Series, cfg: SimulationConfig, who: Typist,
                rng: np.random.Generator) -> tuple[pd.Series, pd.Series]:
    first = mess.drop_diacritics(first, cfg.diacritics_stripped_rate, rng)
    last = mess.drop_diacritics(last, cfg.diacritics_stripped_rate, rng)
    first = mess.typo(first, cfg.typo_rate * who.typo, rng)
    last = mess.typo(last, cfg.typo_rate * who.typo, rng)
    first = mess.initials(first, cfg.initials_rate * who.initials, rng)
    last = mess.vary_prefix(last, cfg.prefix_variant_rate * who.prefix, rng)
    first = mess.vary_case(first, cfg.case_rate * who.case, rng)
    last = mess.vary_case(last, cfg.case_rate * who.case, rng)
    return mess.swap_names(first, last, cfg.swapped_name_rate * who.swap, rng)


def typed_identity(persons: pd.DataFrame, cfg: SimulationConfig, who: Typist,
                   rng: np.random.Generator) -> pd.DataFrame:
    """Name, e-mail, phone, address and birth date of `persons` as one entry typed them.

    Missing values are left to the caller, who knows which fields its form requires.
    With the "real" noise profile, the register slips draw from a child stream of `rng`,
    so the ordinary mess draws what it draws in the default profile.
    """
    first = persons["first_name"].reset_index(drop=True)
    last = persons["last_name"].reset_index(drop=True)
    birth = persons["birth_date"].to_numpy()
    real = cfg.noise == "real"
    if real:
        slip_rng = rng.spawn(1)[0]
        first, last = register_slips.as_given(persons, first, last, cfg.slips,
                                              who.formal_names, slip_rng)
    first, last = typed_names(first, last, cfg, who, rng)
    if real:
        first, last, slipped_birth = register_slips.slipped(first, last, pd.Series(birth),
                                                            cfg.slips, who.formal_names, slip_rng)
        birth = slipped_birth.to_numpy()
    email, phone = contact_choice(persons, cfg, rng)
    email = mess.vary_email(email, cfg.email_variant_rate * who.email, rng)
    return pd.DataFrame({
        "first_name": first,
        "last_name": last,
        "email": email,
        "phone": mess.phone_formats(phone, rng),
        "street": persons["street"].to_numpy(),
        "house_number": persons["house_number"].to_numpy(),
        "postal_code": persons["postal_code"].to_numpy(),
        "city": persons["city"].to_numpy(),
        "birth_date": birth,
    })


def with_missing(frame: pd.DataFrame, columns: list[str], rate: float,
                 rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = mess.blank(out[column], rate, rng)
    return out
