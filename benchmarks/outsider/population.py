"""The persons behind the corpus and their lives: households, births, marriages, moves, phones, documents,
and the offices that recorded them when.

Records per person are overdispersed (1 + a gamma-Poisson count: about half the persons are recorded once,
a few eight times or more), as case files are. Some persons share a household: a family name, a village, a
family book and sometimes one phone.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from benchmarks.outsider import formats, names
from benchmarks.outsider.places import Home, draw_home

OFFICES = ["CPS-PLSWO", "VTE-POLICE-CID", "TH-UBON-PROTECT", "BORDER-VANGTAO", "NGO-SHELTER-PKS", "LABOUR-EXPORT-REG"]
ROLE_SHARES = {"victim": 0.62, "smuggled_migrant": 0.2, "suspect": 0.13, "witness": 0.05}
OFFICE_WEIGHTS = {
    "victim": [0.24, 0.10, 0.26, 0.14, 0.18, 0.08],
    "smuggled_migrant": [0.12, 0.04, 0.26, 0.40, 0.04, 0.14],
    "suspect": [0.08, 0.62, 0.06, 0.18, 0.0, 0.06],
    "witness": [0.25, 0.45, 0.05, 0.05, 0.2, 0.0],
}
AGE_AT_FIRST = {"victim": (13, 35, 19), "smuggled_migrant": (17, 40, 23), "suspect": (20, 58, 32),
                "witness": (15, 60, 30)}
REGISTER = "LABOUR-EXPORT-REG"
START, END = date(2015, 1, 1), date(2024, 12, 31)


@dataclass
class Person:
    pid: str
    sex: str
    role: str
    given: names.Name
    family: names.Name
    nickname: int
    dob: date
    year_only: bool  # the person knows their birth year only
    doc_dob: date | None  # another birth date some documents carry
    home: Home
    move: tuple[date, Home] | None = None
    marriage: tuple[date, names.Name] | None = None
    phones: list[tuple[date, str]] = field(default_factory=list)
    id_card: str | None = None
    family_book: str | None = None
    passports: list[tuple[date, str]] = field(default_factory=list)
    pink_card: str | None = None
    events: list[tuple[date, str]] = field(default_factory=list)

    def home_at(self, when: date) -> Home:
        return self.move[1] if self.move and when >= self.move[0] else self.home

    def married_at(self, when: date) -> names.Name | None:
        return self.marriage[1] if self.marriage and when >= self.marriage[0] else None

    def phone_at(self, when: date, kind: str | None = None) -> str | None:
        current = [n for start, n in self.phones if start <= when and (kind is None or n.startswith(kind))]
        return current[-1] if current else None

    def passport_at(self, when: date) -> str | None:
        current = [n for start, n in self.passports if start <= when]
        return current[-1] if current else None


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def record_count(rng: random.Random, mean_extra: float = 1.5, shape: float = 0.5) -> int:
    """1 + a negative binomial count (gamma-Poisson), at most 20."""
    return min(20, 1 + _poisson(rng, rng.gammavariate(shape, mean_extra / shape)))


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days)))


def _events(rng: random.Random, role: str, count: int) -> list[tuple[date, str]]:
    first = _day(rng, START, date(2023, 12, 31))
    offices: list[str] = []
    for _ in range(count):
        weights = list(OFFICE_WEIGHTS[role])
        if REGISTER in offices:
            weights[OFFICES.index(REGISTER)] = 0.0
        offices.append(rng.choices(OFFICES, weights)[0])
    if REGISTER in offices:  # registered before leaving to work
        offices.remove(REGISTER)
        offices.insert(0, REGISTER)
    events, when = [], first
    for i, office in enumerate(offices):
        if i:
            handed_over = office == "BORDER-VANGTAO" and offices[i - 1] == "TH-UBON-PROTECT"
            gap = rng.randrange(0, 3) if handed_over and rng.random() < 0.6 else int(rng.expovariate(1 / 160))
            when = min(END, when + timedelta(days=gap))
        events.append((when, office))
    return events


def _person(rng: random.Random, pid: str, relative: Person | None) -> Person:
    role = rng.choices(list(ROLE_SHARES), list(ROLE_SHARES.values()))[0]
    sex = "F" if rng.random() < {"victim": 0.72, "smuggled_migrant": 0.45}.get(role, 0.4) else "M"
    events = _events(rng, role, record_count(rng))
    low, high, mode = AGE_AT_FIRST[role]
    if relative is not None:  # a sibling or child: a household's name, village and family book
        age = max(8, formats.age_at(relative.dob, events[0][0]) + rng.choice([-1, 1]) * rng.randrange(2, 26))
    else:
        age = round(rng.triangular(low, high, mode))
    dob = events[0][0] - timedelta(days=365 * age + rng.randrange(365))
    doc_dob = None
    if rng.random() < 0.07:
        doc_dob = date(dob.year + rng.choice([-1, 1]), dob.month, min(dob.day, 28)) if rng.random() < 0.5 \
            else date(dob.year, rng.randrange(1, 13), rng.randrange(1, 29))
    given = names.zipf_pick(rng, names.FEMALE_GIVEN if sex == "F" else names.MALE_GIVEN, 0.9)
    p = Person(pid=pid, sex=sex, role=role, given=given,
               family=relative.family if relative else names.zipf_pick(rng, names.FAMILY, 0.6),
               nickname=names.nickname_for(rng, sex), dob=dob, year_only=rng.random() < 0.25, doc_dob=doc_dob,
               home=relative.home if relative else draw_home(rng), events=events)
    last = events[-1][0]
    if sex == "F" and age >= 15 and rng.random() < 0.22:
        p.marriage = (_day(rng, events[0][0] - timedelta(days=700), last + timedelta(days=400)),
                      names.zipf_pick(rng, names.FAMILY, 0.6))
    if rng.random() < 0.1:
        p.move = (_day(rng, events[0][0], last + timedelta(days=30)), draw_home(rng))
    _documents(rng, p, relative)
    return p


def _documents(rng: random.Random, p: Person, relative: Person | None) -> None:
    first, last = p.events[0][0], p.events[-1][0]
    start = first - timedelta(days=900)
    if relative is not None and relative.phones and rng.random() < 0.4:
        p.phones.append((start, relative.phones[0][1]))  # the household's phone
    elif rng.random() < 0.72:
        p.phones.append((start, "LA:" + formats.lao_mobile(rng)))
    if p.phones and rng.random() < 0.3:
        p.phones.append((_day(rng, first, last + timedelta(days=1)), "LA:" + formats.lao_mobile(rng)))
    abroad = p.role != "witness" and rng.random() < 0.35
    if abroad:
        p.phones.append((_day(rng, start, last + timedelta(days=1)), "TH:" + formats.thai_mobile(rng)))
        if rng.random() < 0.45:
            p.pink_card = formats.new_pink_card(rng)
    p.phones.sort()
    if formats.age_at(p.dob, first) >= 15 and rng.random() < 0.45:
        p.id_card = formats.new_id_card(rng)
    p.family_book = relative.family_book if relative else (formats.new_family_book(rng) if rng.random() < 0.8
                                                            else None)
    if any(office == REGISTER for _, office in p.events) or rng.random() < 0.3:
        p.passports.append((start, formats.new_passport(rng)))
        if rng.random() < 0.15:
            p.passports.append((_day(rng, first, last + timedelta(days=1)), formats.new_passport(rng)))


def draw_persons(rng: random.Random, count: int) -> list[Person]:
    """``count`` persons; about one in six a relative of the person drawn before."""
    persons: list[Person] = []
    for i in range(count):
        relative = persons[-1] if persons and rng.random() < 0.17 else None
        persons.append(_person(rng, f"OP{i + 1:05d}", relative))
    return persons


def record_role(rng: random.Random, person: Person, office: str, index: int) -> str:
    """The role an office writes for the person at their ``index``-th record."""
    role = person.role
    if office == REGISTER:
        return ""
    if role == "victim":
        if office == "BORDER-VANGTAO" and rng.random() < 0.45:
            return "smuggled_migrant"  # not yet identified as a victim at the crossing
        if office == "VTE-POLICE-CID" and rng.random() < 0.25:
            return "witness"
        if office == "VTE-POLICE-CID" and index >= 2 and rng.random() < 0.3:
            return "suspect"  # a former victim recruiting others
    if role == "smuggled_migrant" and office in ("TH-UBON-PROTECT", "CPS-PLSWO") and rng.random() < 0.4:
        return "victim"  # found exploited later
    if rng.random() < 0.04:
        return ""
    return role
