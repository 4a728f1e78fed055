"""The mess of hand-typed data, as vectorised transforms of pandas Series.

Each function takes the clean values, a rate and a random generator, and
returns the values as a clerk, an agent or the person themselves typed them.
Row-wise Python runs only on the few rows that a rate selects.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

KEYBOARD_NEIGHBOURS = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc",
    "g": "ftyhbv", "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop",
    "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol", "r": "edft", "s": "awedxz",
    "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "y": "tghu", "z": "asx",
}


def chosen(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    return rng.random(n) < rate


def _map_where(values: pd.Series, mask: np.ndarray, func) -> pd.Series:
    if not mask.any():
        return values
    out = values.copy()
    out[mask] = [func(v) for v in values[mask]]
    return out


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _typo(text: str, draw: float, pos: float) -> str:
    if len(text) < 3:
        return text
    i = 1 + int(pos * (len(text) - 2))  # keep the first letter: people rarely miss it
    kind = int(draw * 4)
    if kind == 0:  # swap two neighbours
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if kind == 1:  # drop one
        return text[:i] + text[i + 1:]
    if kind == 2:  # double one
        return text[:i] + text[i] + text[i:]
    near = KEYBOARD_NEIGHBOURS.get(text[i].lower())
    if not near:
        return text[:i] + text[i + 1:]
    return text[:i] + near[int(pos * 1000) % len(near)] + text[i + 1:]


def typo(values: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    mask = chosen(rng, len(values), rate) & values.fillna("").str.len().gt(2).to_numpy()
    draws = iter(rng.random((int(mask.sum()), 2)).tolist())
    return _map_where(values, mask, lambda v: _typo(v, *next(draws)))


def per_value(values: pd.Series, func) -> pd.Series:
    """`func` of each value, computed once per distinct value: names repeat a lot."""
    distinct = values.dropna().unique()
    return values.map(dict(zip(distinct, (func(v) for v in distinct), strict=True)))


def drop_diacritics(values: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    mask = chosen(rng, len(values), rate) & values.notna().to_numpy()
    out = values.copy()
    if mask.any():
        out[mask] = per_value(values[mask], strip_accents)
    return out


def vary_case(values: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    kind = rng.integers(0, 3, len(values))
    mask = chosen(rng, len(values), rate)
    out = values.copy()
    for k, method in enumerate(("upper", "lower", "title")):
        sel = mask & (kind == k)
        if sel.any():
            out[sel] = getattr(values[sel].str, method)()
    return out


def initials(first: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    """'Johannes' -> 'J.' or 'J'."""
    mask = chosen(rng, len(first), rate)
    dotted = rng.random(len(first)) < 0.7
    out = first.copy()
    out[mask & dotted] = first[mask & dotted].str[0] + "."
    out[mask & ~dotted] = first[mask & ~dotted].str[0]
    return out


def _prefix_variant(last: str, draw: float) -> str:
    words = last.split(" ")
    prefix = [w for w in words if w.islower() or w in ("De", "Van", "Der", "Den", "Le", "La")]
    core = words[len(prefix):]
    if not prefix or not core:
        return last
    if draw < 0.4:  # capitalised prefix: 'Van der Berg'
        return " ".join([prefix[0].capitalize(), *prefix[1:], *core])
    if draw < 0.6:  # every word capitalised: 'Van Der Berg'
        return " ".join(w.capitalize() for w in words)
    if draw < 0.85:  # prefix left out: 'Berg'
        return " ".join(core)
    return " ".join(core) + ", " + " ".join(prefix)  # sorted register style: 'Berg, van der'


def vary_prefix(last: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    mask = chosen(rng, len(last), rate) & last.fillna("").str.contains(" ").to_numpy()
    draws = iter(rng.random(int(mask.sum())).tolist())
    return _map_where(last, mask, lambda v: _prefix_variant(v, next(draws)))


def blank(values: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    out = values.copy()
    out[chosen(rng, len(values), rate)] = None
    return out


def phone_formats(e164: pd.Series, rng: np.random.Generator) -> pd.Series:
    """'+31612345678' as people write it: '06-12345678', '+31 6 1234 5678', '0470 12 34 56'."""
    def pairs(nsn: pd.Series) -> pd.Series:
        return (nsn.str[:3] + " " + nsn.str[3:5] + " " + nsn.str[5:7] + " " + nsn.str[7:]
                ).str.rstrip()

    formats = [
        lambda cc, nsn: "0" + nsn,
        lambda cc, nsn: "0" + nsn.str[:1] + "-" + nsn.str[1:],
        lambda cc, nsn: "+" + cc + " " + nsn.str[:1] + " " + nsn.str[1:5] + " " + nsn.str[5:],
        lambda cc, nsn: "+" + cc + nsn,
        lambda cc, nsn: "00" + cc + nsn,
        lambda cc, nsn: "0" + pairs(nsn),
        lambda cc, nsn: "+" + cc + " " + pairs(nsn),
        lambda cc, nsn: ("0" + nsn.str[:3] + "/" + nsn.str[3:5] + "." + nsn.str[5:7] + "."
                         + nsn.str[7:]).str.rstrip("."),
    ]
    kind = rng.integers(0, len(formats), len(e164))
    out = e164.astype(object).copy()
    for k, variant in enumerate(formats):
        sel = (kind == k) & e164.notna().to_numpy()
        if sel.any():
            chosen_numbers = e164[sel]
            out[sel] = variant(chosen_numbers.str[1:3], chosen_numbers.str[3:]).to_numpy()
    return out


def _email_variant(email: str, draw: float) -> str:
    local, _, domain = email.partition("@")
    if draw < 0.35:
        return email.upper() if draw < 0.1 else local.capitalize() + "@" + domain
    if draw < 0.5:
        return " " + email + " "
    if draw < 0.65 and domain == "gmail.com":
        return local.replace(".", "") + "@googlemail.com"
    if draw < 0.8:  # a typo in the domain
        return local + "@" + _typo(domain, draw, 0.3)
    return _typo(local, draw, 0.6) + "@" + domain


def vary_email(values: pd.Series, rate: float, rng: np.random.Generator) -> pd.Series:
    mask = chosen(rng, len(values), rate) & values.notna().to_numpy()
    draws = iter(rng.random(int(mask.sum())).tolist())
    return _map_where(values, mask, lambda v: _email_variant(v, next(draws)))


def without_at(values: pd.Series, mask: np.ndarray) -> pd.Series:
    """Wrong but parseable: 'piet.jansen@gmail.com' typed as 'piet.jansen.gmail.com'."""
    return _map_where(values, mask & values.notna().to_numpy(),
                      lambda v: v.replace("@", "." if len(v) % 2 else ""))


def swap_names(first: pd.Series, last: pd.Series, rate: float, rng: np.random.Generator
               ) -> tuple[pd.Series, pd.Series]:
    mask = chosen(rng, len(first), rate)
    new_first, new_last = first.copy(), last.copy()
    new_first[mask], new_last[mask] = last[mask], first[mask]
    return new_first, new_last


def account_reference(account_id: pd.Series, rng: np.random.Generator) -> pd.Series:
    """A finance account id as an agent types it: any case, with or without 'FA'."""
    digits = account_id.str[2:]
    formats = [account_id, account_id.str.lower(), digits, digits.str.lstrip("0"),
               "FA " + digits, "Fa" + digits]
    kind = rng.choice(len(formats), len(account_id), p=[0.45, 0.15, 0.15, 0.1, 0.1, 0.05])
    out = account_id.copy()
    for k, variant in enumerate(formats):
        out[kind == k] = variant[kind == k]
    return out
