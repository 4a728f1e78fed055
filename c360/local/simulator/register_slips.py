"""The "real" noise profile: slips that real registers make, as vectorised transforms.

Civil registers, CRMs, billing systems and loyalty forms do not only mistype:
they hold a person's formal names where a shop form holds the name she is
called by, write a married woman's name with her partner's, swap day and month,
and type 1 January when nobody knows the date. Each function here takes the
clean values, a rate and a random generator, like those in `mess`; the rates
are `config.RegisterSlips`, and docs/simulator-noise.md gives the source of each.

The population gets its part once (`register_names`, `register_households`):
formal names with the call name each person goes by, compound given names,
married women's partner names, and namesakes with the commonest full names. A
typed record gets the rest (`as_given`, `slipped`).
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from c360.local.simulator import mess
from c360.local.simulator.config import RegisterSlips

# Formal (register) first names and the call names their bearers go by (roepnamen).
FORMAL_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "M": {
        "Johannes": ("Jan", "Hans", "Johan", "Joop"),
        "Cornelis": ("Kees", "Cor"),
        "Hendrik": ("Henk", "Henny"),
        "Petrus": ("Piet", "Peter"),
        "Wilhelmus": ("Wim", "Willem"),
        "Jacobus": ("Jaap", "Koos"),
        "Gerardus": ("Gerard", "Gert"),
        "Adrianus": ("Arie", "Adrie", "Ad"),
        "Franciscus": ("Frans", "Frank"),
        "Theodorus": ("Theo", "Dorus"),
        "Josephus": ("Jos", "Jef", "Sjef"),
    },
    "F": {
        "Maria": ("Marieke", "Mia", "Ria", "Marie"),
        "Wilhelmina": ("Mien", "Willy", "Wil"),
        "Elisabeth": ("Liesbeth", "Els", "Lies", "Betty"),
        "Johanna": ("Jo", "Anneke", "Hanneke"),
        "Cornelia": ("Corrie", "Nel", "Cor"),
        "Catharina": ("Toos", "Tineke", "Kitty"),
        "Hendrika": ("Riek", "Henny", "Rika"),
        "Petronella": ("Nel", "Nelly", "Petra"),
    },
}
# Compound given names as the register spells them.
COMPOUND_NAMES: dict[str, tuple[str, ...]] = {
    "M": ("Jan-Willem", "Jan Peter", "Pieter-Jan", "Jan-Hendrik", "Hans-Peter", "Jan-Paul"),
    "F": ("Anne-Marie", "Marie-Claire", "Anne-Fleur", "Marie-Louise", "Anna-Maria", "Eva-Lotte"),
}
# The commonest full names per country and sex, which namesakes in one town tend to share.
COMMON_FULL_NAMES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("NL", "M"): (("Jan", "de Vries"), ("Peter", "de Jong"), ("Jan", "Jansen"),
                  ("Johannes", "de Jong"), ("Kees", "Bakker")),
    ("NL", "F"): (("Maria", "de Jong"), ("Anna", "de Vries"), ("Johanna", "Jansen")),
    ("BE", "M"): (("Peter", "Janssens"), ("Jan", "Peeters"), ("Luc", "Maes"),
                  ("Marc", "Jacobs")),
    ("BE", "F"): (("Maria", "Peeters"), ("An", "Janssens"), ("Els", "Maes")),
}
# What a married woman writes: her own name, her partner's before or after it, or his alone.
NAME_USES = ("own", "partner_own", "own_partner", "partner")
PREFIX_WORDS = ("van", "de", "der", "den", "het", "ten", "ter", "te", "op", "in", "'t")
# Number-row neighbours: the digit a finger hits beside the one it meant.
DIGIT_NEIGHBOURS = {"0": "9", "1": "2", "2": "13", "3": "24", "4": "35", "5": "46",
                    "6": "57", "7": "68", "8": "79", "9": "80"}
PLACEHOLDER_DATES = ("1900-01-01", "1901-01-01", "1970-01-01", "january-1")


# --- the population's part ---------------------------------------------------------------


def register_names(persons: pd.DataFrame, slips: RegisterSlips, rng: np.random.Generator
                   ) -> None:
    """Give some persons a formal register name (with the call name they go by) and some a
    compound given name. Adds the column `call_name` (None for persons without one)."""
    n = len(persons)
    gender = persons["gender"].to_numpy()
    draw = rng.random(n)
    pick = rng.random(n)
    call_pick = rng.random(n)
    call_name = np.full(n, None, dtype=object)
    first = persons["first_name"].to_numpy().copy()
    formal = draw < slips.formal_name_share
    compound = (draw >= slips.formal_name_share) & (
        draw < slips.formal_name_share + slips.compound_name_share)
    for sex in ("M", "F"):
        names = list(FORMAL_NAMES[sex])
        sel = np.flatnonzero(formal & (gender == sex))
        chosen = [names[int(p * len(names))] for p in pick[sel]]
        first[sel] = chosen
        call_name[sel] = [FORMAL_NAMES[sex][f][int(c * len(FORMAL_NAMES[sex][f]))]
                          for f, c in zip(chosen, call_pick[sel], strict=True)]
        sel = np.flatnonzero(compound & (gender == sex))
        first[sel] = [COMPOUND_NAMES[sex][int(p * len(COMPOUND_NAMES[sex]))] for p in pick[sel]]
    persons["first_name"] = first
    persons["call_name"] = call_name


def register_households(persons: pd.DataFrame, birth_names: np.ndarray, slips: RegisterSlips,
                        rng: np.random.Generator) -> None:
    """Namesakes take the commonest full names and copy the call name of their original;
    married women keep their birth name in the register and may use their partner's.

    Adds `partner_name` and `name_use` (None for persons without a partner's name)."""
    n = len(persons)
    head = persons["household"].to_numpy()
    gender = persons["gender"].to_numpy()
    namesake = np.flatnonzero(persons["namesake_of"].to_numpy() >= 0)
    original = persons["namesake_of"].to_numpy()[namesake]
    calls = persons["call_name"].to_numpy().copy()
    calls[namesake] = calls[original]
    # Only persons living alone take a new name: a head's family keeps the name it shares.
    heads = np.unique(head[head != np.arange(n)])
    alone = ~np.isin(original, heads) & ~np.isin(namesake, heads)
    common = alone & (rng.random(len(namesake)) < slips.common_namesake_share)
    pick = rng.random(len(namesake))
    first = persons["first_name"].to_numpy().copy()
    last = persons["last_name"].to_numpy().copy()
    country = persons["country"].to_numpy()
    for i in np.flatnonzero(common):
        names = COMMON_FULL_NAMES[(country[original[i]], gender[original[i]])]
        given, surname = names[int(pick[i] * len(names))]
        for p in (original[i], namesake[i]):
            first[p], last[p], calls[p] = given, surname, None
    persons["first_name"] = first
    persons["last_name"] = last
    persons["call_name"] = calls

    birth = persons["birth_date"].to_numpy()
    age_gap = np.abs((birth - birth[head]) / np.timedelta64(365, "D"))
    married = ((head != np.arange(n)) & (gender == "F") & (gender[head] == "M")
               & (age_gap < 15) & (rng.random(n) < slips.married_share))
    last = persons["last_name"].to_numpy()
    partner = np.full(n, None, dtype=object)
    partner[married] = last[head[married]]
    own = np.asarray(birth_names, dtype=object)
    new_last = last.copy()
    new_last[married] = own[married]
    # A birth name that happens to be the partner's gives nothing to combine.
    married &= new_last != partner
    partner[~married] = None
    persons["last_name"] = new_last
    weights = np.array(slips.name_use_weights, dtype=float)
    use = np.full(n, None, dtype=object)
    use[married] = np.array(NAME_USES, dtype=object)[
        rng.choice(len(NAME_USES), int(married.sum()), p=weights / weights.sum())]
    persons["partner_name"] = partner
    persons["name_use"] = use


# --- names as given and typed ---------------------------------------------------------------


def call_names(first: pd.Series, call_name: pd.Series, rate: float, rng: np.random.Generator
               ) -> pd.Series:
    """'Johannes' typed as the call name its bearer goes by ('Jan'), where there is one."""
    mask = mess.chosen(rng, len(first), rate) & call_name.notna().to_numpy()
    out = first.copy()
    out[mask] = call_name[mask].to_numpy()
    return out


def is_compound(first: pd.Series) -> np.ndarray:
    return first.fillna("").str.contains(r"^\w+[- ]\w+$", regex=True).to_numpy()


def compound_forms(first: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    """'Anne-Marie' written hyphenated, apart or together: 'Anne-Marie', 'Anne Marie',
    'Annemarie' (the register's own form is one of the three)."""
    mask = mess.chosen(rng, len(first), rate) & is_compound(first)
    kind = rng.integers(0, 3, len(first))
    parts = first[mask].str.split(r"[- ]", n=1, regex=True)
    head, tail = parts.str[0], parts.str[1]
    forms = [head + "-" + tail, head + " " + tail, head + tail.str.lower()]
    out = first.copy()
    for k, form in enumerate(forms):
        sel = kind[mask] == k
        out[np.flatnonzero(mask)[sel]] = form[sel].to_numpy()
    return out


def compound_initials(first: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    """'Jan-Willem' -> 'J.W.' or 'JW'."""
    mask = mess.chosen(rng, len(first), rate) & is_compound(first)
    dotted = rng.random(len(first)) < 0.6
    parts = first[mask].str.split(r"[- ]", n=1, regex=True)
    one, two = parts.str[0].str[0], parts.str[1].str[0]
    out = first.copy()
    out[mask] = np.where(dotted[mask], one + "." + two + ".", one + two)
    return out


def two_slips(values: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    """Two typing slips in one name, at two places: 'Wilhelmina' -> 'Wilhlemiana'."""
    mask = mess.chosen(rng, len(values), rate) & values.fillna("").str.len().gt(4).to_numpy()
    draws = iter(rng.random((int(mask.sum()), 4)).tolist())

    def slip(text: str) -> str:
        d = next(draws)
        once = mess._typo(text, d[0], d[1] * 0.45)  # one slip in the first half...
        return mess._typo(once, d[2], 0.55 + d[3] * 0.45)  # ...and one in the second
    return mess._map_where(values, mask, slip)


def _split_prefix(last: str) -> tuple[list[str], list[str]]:
    words = last.split(" ")
    k = 0
    while k < len(words) - 1 and words[k].lower() in PREFIX_WORDS:
        k += 1
    return words[:k], words[k:]


def _prefix_slip(last: str, draw: float) -> str:
    prefix, core = _split_prefix(last)
    if not prefix:
        return last
    lower = [w.lower() for w in prefix]
    core_text = " ".join(core)
    if draw < 0.25:  # 'vd Berg'
        return ("v" + lower[-1][0] if len(lower) > 1 else lower[0][0]) + " " + core_text
    if draw < 0.45:  # 'v.d. Berg'
        return "".join(w[0] + "." for w in lower) + " " + core_text
    if draw < 0.6:  # 'vanderberg'
        return "".join(lower) + core_text.lower().replace(" ", "")
    if draw < 0.75:  # 'Berg, van der'
        return core_text + ", " + " ".join(lower)
    if draw < 0.95:  # prefix left out: 'Berg'
        return core_text
    return lower[0] + " " + last  # doubled: 'van van der Berg'


def prefix_slips(last: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    """A surname prefix abbreviated, run together, inverted, left out or doubled."""
    has_prefix = last.fillna("").map(lambda v: bool(_split_prefix(v)[0])).to_numpy()
    mask = mess.chosen(rng, len(last), rate) & has_prefix
    draws = iter(rng.random(int(mask.sum())).tolist())
    return mess._map_where(last, mask, lambda v: _prefix_slip(v, next(draws)))


def married_names(last: pd.Series, partner: pd.Series, use: pd.Series, partner_only_rate: float,
                  rng: np.random.Generator) -> pd.Series:
    """A married woman's surname as she uses it: 'Jansen-de Vries' (partner's first),
    'de Vries-Jansen', or 'Jansen' alone; a combined name is sometimes cut to the
    partner's alone (`partner_only_rate`)."""
    use = use.to_numpy().copy()
    combined = np.isin(use, ["partner_own", "own_partner"])
    use[combined & (rng.random(len(use)) < partner_only_rate)] = "partner"
    partner = partner.fillna("")
    out = last.copy()
    for kind, form in (("partner_own", partner + "-" + last), ("own_partner", last + "-" + partner),
                       ("partner", partner)):
        sel = use == kind
        out[sel] = form[sel].to_numpy()
    return out


# --- birth dates -----------------------------------------------------------------------------


def _parts(birth: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    stamps = pd.DatetimeIndex(birth)
    return (stamps.year.to_numpy(dtype=float), stamps.month.to_numpy(dtype=float),
            stamps.day.to_numpy(dtype=float))


def _dates(years, months, days) -> np.ndarray:
    return pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": days})).to_numpy()


def swap_day_month(birth: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    """3 April typed as 4 March: day and month exchanged, where both are 12 or less."""
    year, month, day = _parts(birth)
    mask = mess.chosen(rng, len(birth), rate) & (day <= 12) & (day != month)
    out = birth.copy()
    if mask.any():
        out[mask] = _dates(year[mask], day[mask], month[mask])
    return out


def _digit_variants(value: date) -> list[date]:
    text = value.strftime("%d%m%Y")
    out = []
    for i, digit in enumerate(text):
        for near in DIGIT_NEIGHBOURS[digit]:
            typed = text[:i] + near + text[i + 1:]
            try:
                out.append(date(int(typed[4:]), int(typed[2:4]), int(typed[:2])))
            except ValueError:
                continue
    return out


def digit_slip(birth: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    """One digit of DD-MM-YYYY typed as its neighbour on the number row, where the result
    is still a date: 14-05-1968 -> 15-05-1968, 14-06-1968 or 14-05-1958."""
    mask = mess.chosen(rng, len(birth), rate) & birth.notna().to_numpy()
    draws = iter(rng.random(int(mask.sum())).tolist())

    def slip(stamp: pd.Timestamp) -> pd.Timestamp:
        variants = _digit_variants(stamp.date())
        return pd.Timestamp(variants[int(next(draws) * len(variants))])
    return mess._map_where(birth, mask, slip)


def year_slip(birth: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    """The year one or ten off: 1968 typed 1967, 1969, 1958 or 1978 (29 February -> 28th)."""
    year, month, day = _parts(birth)
    mask = mess.chosen(rng, len(birth), rate) & birth.notna().to_numpy()
    shift = np.array([-10, -1, 1, 10])[rng.integers(0, 4, len(birth))]
    out = birth.copy()
    if mask.any():
        new_year = year[mask] + shift[mask]
        leap = (new_year % 4 == 0) & ((new_year % 100 != 0) | (new_year % 400 == 0))
        new_day = np.where((month[mask] == 2) & (day[mask] == 29) & ~leap, 28, day[mask])
        out[mask] = _dates(new_year, month[mask], new_day)
    return out


def placeholder_dates(birth: pd.Series, rate: float, weights: tuple[float, ...],
                      rng: np.random.Generator) -> pd.Series:
    """An unknown birth date typed as a placeholder: 1900-01-01, 1901-01-01, 1970-01-01,
    or 1 January of the true year (`weights` in that order)."""
    year, _, _ = _parts(birth)
    mask = mess.chosen(rng, len(birth), rate) & birth.notna().to_numpy()
    w = np.array(weights, dtype=float)
    kind = rng.choice(len(PLACEHOLDER_DATES), len(birth), p=w / w.sum())
    out = birth.copy()
    for k, value in enumerate(PLACEHOLDER_DATES):
        sel = mask & (kind == k)
        if sel.any():
            out[sel] = (_dates(year[sel], 1, 1) if value == "january-1"
                        else pd.Timestamp(value))
    return out


# --- one typed record -------------------------------------------------------------------------


def as_given(persons: pd.DataFrame, first: pd.Series, last: pd.Series, slips: RegisterSlips,
             formal: bool, rng: np.random.Generator) -> tuple[pd.Series, pd.Series]:
    """The names a person gives (or a clerk copies from a document) before any typing slip:
    the call name or the formal one, the compound name's spelling, the married name."""
    call = persons["call_name"].reset_index(drop=True)
    rate = slips.call_name_rate_billing if formal else slips.call_name_rate
    first = call_names(first, call, rate, rng)
    first = compound_forms(first, slips.compound_form_rate, rng)
    first = compound_initials(first, slips.compound_initials_rate, rng)
    last = married_names(last, persons["partner_name"].reset_index(drop=True),
                         persons["name_use"].reset_index(drop=True),
                         slips.partner_only_rate, rng)
    return first, last


def slipped(first: pd.Series, last: pd.Series, birth: pd.Series, slips: RegisterSlips,
            formal: bool, rng: np.random.Generator) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The register slips on top of a record's ordinary typing mess."""
    first = two_slips(first, slips.two_slips_rate, rng)
    last = two_slips(last, slips.two_slips_rate, rng)
    last = prefix_slips(last, slips.prefix_slip_rate, rng)
    factor = slips.billing_birth_factor if formal else 1.0
    birth = pd.Series(pd.to_datetime(birth))
    birth = swap_day_month(birth, slips.day_month_swap_rate * factor, rng)
    birth = digit_slip(birth, slips.birth_digit_rate * factor, rng)
    birth = year_slip(birth, slips.birth_year_rate * factor, rng)
    birth = placeholder_dates(birth, slips.placeholder_date_rate * factor,
                              slips.placeholder_weights, rng)
    return first, last, birth


def same_letters(a: str, b: str) -> bool:
    """Two spellings of one compound name: the same letters, ignoring case, '-' and ' '."""
    return re.sub(r"[- ]", "", a).lower() == re.sub(r"[- ]", "", b).lower()
