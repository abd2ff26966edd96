"""What one record knows of its person on the day it was made: the name then carried, the birth date the
papers at hand say, the age, the home; slips common to every office (a syllable dropped, a married name)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from benchmarks.outsider import formats, names, typos
from benchmarks.outsider.places import Home, Place, places_of
from benchmarks.outsider.population import Person


@dataclass
class Facts:
    when: date
    given: names.Name
    family: names.Name
    dob: date | None  # None when the person knows the year only
    year: int
    age: int
    home: Home
    phone: str | None  # the number the person gives that day

    @property
    def places(self) -> tuple[Place, Place, Place]:
        return places_of(self.home)


def facts(rng: random.Random, person: Person, when: date, married_share: float = 0.75) -> Facts:
    given = typos.drop_syllable(person.given, rng) if rng.random() < 0.02 else person.given
    family = person.family
    married = person.married_at(when)
    if married is not None and rng.random() < married_share:
        family = married
    dob = person.dob
    if person.doc_dob is not None and rng.random() < 0.5:
        dob = person.doc_dob
    thai_first = rng.random() < 0.5
    phone = (person.phone_at(when, "TH") or person.phone_at(when)) if thai_first else person.phone_at(when)
    return Facts(when=when, given=given, family=family, dob=None if person.year_only else dob, year=dob.year,
                 age=formats.age_at(dob, when), home=person.home_at(when), phone=phone)


def birth_date(f: Facts, style: str, lang: str, rng: random.Random, missing: float) -> str:
    """The birth date field: empty with probability ``missing``, the year only when that is all that is known."""
    if rng.random() < missing:
        return ""
    if f.dob is None:
        return formats.write_year(f.year, lang, rng)
    return formats.write_date(f.dob, style, rng)


def pick(rng: random.Random, options: list[tuple[float, str]]) -> str:
    """One of the weighted strings."""
    return rng.choices([o for _, o in options], [w for w, _ in options])[0]
