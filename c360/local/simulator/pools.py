"""Value pools drawn from Faker once per locale, then sampled with numpy.

Calling Faker per person is far too slow for a million persons, so each kind of
value (first names by gender, last names, streets, cities) is drawn a few
thousand times per locale, de-duplicated, and sampled from afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from faker import Faker

LOCALES = {"NL": "nl_NL", "BE": "nl_BE"}

# Free-mail and provider domains that Dutch and Flemish households use.
EMAIL_DOMAINS = {
    "NL": ("gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "live.nl",
           "planet.nl", "xs4all.nl", "icloud.com"),
    "BE": ("gmail.com", "hotmail.com", "outlook.com", "telenet.be", "skynet.be", "proximus.be",
           "live.be", "icloud.com"),
}
EMAIL_DOMAIN_WEIGHTS = {
    "NL": (0.34, 0.2, 0.1, 0.1, 0.08, 0.07, 0.04, 0.03, 0.04),
    "BE": (0.34, 0.2, 0.1, 0.14, 0.09, 0.05, 0.04, 0.04),
}
# Area codes that phonenumbers accepts with a 7-digit (NL) or 6/7-digit (BE) subscriber part.
LANDLINE_AREAS = {
    "NL": ("10", "20", "30", "40", "50", "70", "13", "15", "23", "24", "26", "35", "38", "43",
           "45", "53", "58", "71", "72", "73", "76", "79"),
    "BE": ("2", "3", "9"),
}


@dataclass(frozen=True)
class LocalePool:
    female_first: np.ndarray
    male_first: np.ndarray
    last: np.ndarray
    streets: np.ndarray
    cities: np.ndarray
    city_postcode: np.ndarray  # the 4-digit postal code area of each city


def _unique(draw, size: int) -> np.ndarray:
    return np.array(sorted({draw() for _ in range(size)}), dtype=object)


def locale_pool(country: str, size: int, seed: int) -> LocalePool:
    fake = Faker(LOCALES[country])
    fake.seed_instance(seed)
    last = _unique(fake.last_name, size)
    # Faker holds a few inverted names ('West-Francië, van'); no real register does.
    last = last[[("," not in name) for name in last]]
    cities = _unique(fake.city, size)
    rng = np.random.default_rng(seed)
    # Each city gets one postal code area, so a city and its codes agree the way they do
    # in real address data; two cities may share an area, as villages in one municipality do.
    city_postcode = rng.integers(1000, 10000, size=len(cities))
    return LocalePool(
        female_first=_unique(fake.first_name_female, size),
        male_first=_unique(fake.first_name_male, size),
        last=last,
        streets=_unique(fake.street_name, size),
        cities=cities,
        city_postcode=city_postcode,
    )


@lru_cache(maxsize=4)  # a process that simulates twice (tests, benchmarks) draws once
def all_pools(size: int, seed: int) -> dict[str, LocalePool]:
    return {country: locale_pool(country, size, seed + i) for i, country in enumerate(LOCALES)}
