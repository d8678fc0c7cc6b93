"""Reference data loaded once per process: Faker `no_NO` name lists and the 2024 municipalities."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from portvakt.testdata.model import COUNTY_WEIGHTS
from portvakt.testdata.streams import Weighted


@dataclass(frozen=True)
class NameLists:
    male: tuple[str, ...]
    female: tuple[str, ...]
    last: tuple[str, ...]
    street_suffixes: tuple[str, ...]
    city_suffixes: tuple[str, ...]


@cache
def name_lists() -> NameLists:
    """Faker `no_NO` lists (pinned Faker version), sampled by index with the chunk's random stream."""
    from faker.providers.address.no_NO import Provider as AddressProvider
    from faker.providers.person.no_NO import Provider as PersonProvider

    return NameLists(
        male=tuple(PersonProvider.first_names_male),
        female=tuple(PersonProvider.first_names_female),
        last=tuple(PersonProvider.last_names),
        street_suffixes=tuple(AddressProvider.street_suffixes),
        city_suffixes=tuple(AddressProvider.city_suffixes),
    )


@dataclass(frozen=True)
class Municipality:
    number: str  # kommunenummer
    name: str
    county: str  # fylkesnummer
    weight: float


@cache
def municipalities() -> tuple[Municipality, ...]:
    """The 357 municipalities of `kommuner_2024.csv` with their §8.1 sampling weights."""
    text = resources.files("portvakt.testdata").joinpath("kommuner_2024.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    unnamed: dict[str, int] = {}
    for row in rows:
        own = COUNTY_WEIGHTS[row["fylkesnummer"]][2]
        if row["kommunenummer"] not in own:
            unnamed[row["fylkesnummer"]] = unnamed.get(row["fylkesnummer"], 0) + 1
    result = []
    for row in rows:
        county = row["fylkesnummer"]
        _, county_weight, own = COUNTY_WEIGHTS[county]
        weight = own.get(row["kommunenummer"])
        if weight is None:
            weight = (county_weight - sum(own.values())) / unnamed[county]
        result.append(Municipality(row["kommunenummer"], row["navn"], county, float(weight)))
    return tuple(result)


@cache
def municipality_sampler() -> Weighted[Municipality]:
    return Weighted([(m, m.weight) for m in municipalities()])


def counties() -> tuple[tuple[str, str, float], ...]:
    """(fylkesnummer, name, weight), most populous first."""
    ordered = sorted(COUNTY_WEIGHTS.items(), key=lambda item: (-item[1][1], item[0]))
    return tuple((number, name, float(weight)) for number, (name, weight, _) in ordered)
