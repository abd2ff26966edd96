"""Invented persons in households, so that the hard negatives of real data are there.

A household shares a family name and a village; its members are siblings born a few years apart,
sometimes twins (same birth date, different given name), sometimes a father who gave his son his own
given name. Given and family names follow Zipf laws, so several different Bounmy, Noy, Phet or Souk
live in the same village.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.demo_data.names import FAMILY_NAMES, GIVEN_NAMES, PUBLIC_FIGURES, zipf_weights
from linkage.demo_data.places import Villages
from linkage.fields import case_codes

# The codes are the package's (linkage.fields.case_codes); a person draws one of each by these shares (a code
# without a share is never drawn). A person's role: a smuggled migrant is a person of a SOM case whose office
# writes the role (case_fields.role_text), not a role drawn here.
ROLES = case_codes.ROLES
ROLE_P = {"victim": 0.82, "suspect": 0.12, "witness": 0.06}
# The person's case: about a third smuggled migrants, of whom some are later found trafficked (their later records
# are TIP), and the form of exploitation of a TIP victim.
CASE_TYPES = tuple(case_codes.CASE_TYPES)
CASE_TYPE_P = {"TIP": 0.60, "SOM": 0.32, "other": 0.08}
LATER_TRAFFICKED_P = 0.2  # of SOM persons
EXPLOITATIONS = tuple(case_codes.EXPLOITATION)
EXPLOITATION_P = {"labour": 0.50, "sexual": 0.28, "forced_marriage": 0.12, "other": 0.04, "unknown": 0.06}
HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5])
HOUSEHOLD_P = np.array([0.50, 0.26, 0.14, 0.07, 0.03])
TWIN_P = 0.07
FATHER_P = 0.06
LATEST_BIRTH_YEAR = 2005
GIVEN_ZIPF, FAMILY_ZIPF = 0.8, 0.7  # Bounmy about 1 in 12 persons, Vongsa about 1 in 20


@dataclass
class Persons:
    """Column arrays, one entry per person; ``first`` is the global index of entry 0."""

    first: int
    given: np.ndarray
    family: np.ndarray
    male: np.ndarray
    birth_year: np.ndarray
    birth_month: np.ndarray
    birth_day: np.ndarray
    village: np.ndarray
    household: np.ndarray
    relation: np.ndarray  # 0 head, 1 sibling, 2 twin of head, 3 father of head with the same given name
    role: np.ndarray  # index into ROLES
    lao_phone: list[str]
    thai_phone: list[str]
    passport: list[str]
    id_card: list[str]
    case_type: np.ndarray  # index into CASE_TYPES
    exploitation: np.ndarray  # index into EXPLOITATIONS (read for TIP victims only)
    later_trafficked: np.ndarray  # a SOM person whose records after their first are TIP

    def __len__(self) -> int:
        return len(self.given)


def _shares(codes: tuple[str, ...], shares: dict[str, float]) -> list[float]:
    """The probability of each of ``codes`` (0 for one without a share); a share of a code the package does not know
    is refused."""
    unknown = set(shares) - set(codes)
    if unknown:
        raise ValueError(f"shares of codes that are not among {codes}: {sorted(unknown)}")
    return [shares.get(code, 0.0) for code in codes]


def _digits(rng: np.random.Generator, n: int, width: int) -> list[str]:
    return [f"{v:0{width}d}" for v in rng.integers(0, 10**width, size=n).tolist()]


def make_persons(n: int, villages: Villages, rng: np.random.Generator, first: int = 0,
                 first_household: int = 0) -> Persons:
    """``n`` persons in households; deterministic for the generator's state."""
    sizes = rng.choice(HOUSEHOLD_SIZES, size=n, p=HOUSEHOLD_P)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    sizes[-1] -= sizes.sum() - n
    n_house = len(sizes)
    household = np.repeat(np.arange(n_house), sizes)
    member = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)

    h_family = rng.choice(len(FAMILY_NAMES), size=n_house, p=zipf_weights(len(FAMILY_NAMES), FAMILY_ZIPF))
    h_village = rng.choice(len(villages.weight), size=n_house, p=villages.weight)
    age = np.clip(16 + rng.gamma(2.0, 6.0, size=n_house), 16, 62).astype(np.int64)
    h_year = 2021 - age  # born 2005 at the latest: old enough at a 2015 record
    h_month = rng.integers(1, 13, size=n_house)
    h_day = rng.integers(1, 29, size=n_house)

    u = rng.random(n)
    relation = np.where(member == 0, 0, np.where(u < TWIN_P, 2, np.where(u < TWIN_P + FATHER_P, 3, 1)))
    male = rng.random(n) < 0.42
    offset = rng.integers(1, 7, size=n) * np.where(rng.random(n) < 0.5, -1, 1)
    year = h_year[household] + np.where(relation == 1, offset, 0) - np.where(relation == 3, rng.integers(22, 36, n), 0)
    year = np.minimum(year, LATEST_BIRTH_YEAR)
    month = np.where(relation == 1, rng.integers(1, 13, n), h_month[household])
    day = np.where(relation == 1, rng.integers(1, 29, n), h_day[household])

    given_p = zipf_weights(len(GIVEN_NAMES), GIVEN_ZIPF)
    sexes = np.array([g.sex for g in GIVEN_NAMES])
    pools = {}
    for is_male, excluded in ((False, "M"), (True, "F")):
        idx = np.flatnonzero(sexes != excluded)
        pools[is_male] = (idx, given_p[idx] / given_p[idx].sum())
    given = np.empty(n, dtype=np.int64)
    for is_male in (False, True):
        where = np.flatnonzero(male == is_male)
        idx, p = pools[is_male]
        given[where] = rng.choice(idx, size=len(where), p=p)
    family = h_family[household]

    # Fix up within households: fathers carry the head's given name (so the head is a son); others differ.
    head_of = np.cumsum(sizes) - sizes
    spare = rng.random(n)
    male_l, given_l, rel_l = male.tolist(), given.tolist(), relation.tolist()
    for i in range(n):
        head = int(head_of[household[i]])
        if rel_l[i] == 3:
            male_l[i] = male_l[head] = True
            if GIVEN_NAMES[given_l[head]].sex == "F":
                given_l[head] = int(pools[True][0][int(spare[i] * len(pools[True][0]) / 3)])
            given_l[i] = given_l[head]
        elif rel_l[i] in (1, 2):
            taken = {given_l[j] for j in range(head, i)}
            pool = pools[male_l[i]][0]
            k = int(spare[i] * len(pool) / 2)
            while given_l[i] in taken:
                given_l[i] = int(pool[k % len(pool)])
                k += 1
        if (GIVEN_NAMES[given_l[i]].official.lower(), FAMILY_NAMES[family[i]].official.lower()) in PUBLIC_FIGURES:
            given_l[i] = int(pools[male_l[i]][0][(given_l[i] + 1) % len(pools[male_l[i]][0])])

    role = rng.choice(len(ROLES), size=n, p=_shares(ROLES, ROLE_P))
    has_lao, has_thai = rng.random(n) < 0.55, rng.random(n) < 0.22
    lao = ["205" + d if h else "" for d, h in zip(_digits(rng, n, 7), has_lao.tolist(), strict=True)]
    thai = [f"8{d}" if h else "" for d, h in zip(_digits(rng, n, 8), has_thai.tolist(), strict=True)]
    share = (rng.random(n) < 0.05) & (relation > 0)
    for i in np.flatnonzero(share).tolist():  # a family sharing one phone
        lao[i] = lao[int(head_of[household[i]])]
    passport = [f"P{d}" if h else "" for d, h in zip(_digits(rng, n, 7), (rng.random(n) < 0.3).tolist(), strict=True)]
    id_card = [d if h else "" for d, h in zip(_digits(rng, n, 12), (rng.random(n) < 0.2).tolist(), strict=True)]
    case_type = rng.choice(len(CASE_TYPES), size=n, p=_shares(CASE_TYPES, CASE_TYPE_P))  # drawn last: earlier
    exploitation = rng.choice(len(EXPLOITATIONS), size=n, p=_shares(EXPLOITATIONS, EXPLOITATION_P))  # draws stay
    later_trafficked = (case_type == CASE_TYPES.index("SOM")) & (rng.random(n) < LATER_TRAFFICKED_P)
    return Persons(
        first=first, given=np.array(given_l), family=family, male=np.array(male_l), birth_year=year,
        birth_month=month, birth_day=day, village=h_village[household], household=household + first_household,
        relation=relation, role=role, lao_phone=lao, thai_phone=thai, passport=passport, id_card=id_card,
        case_type=case_type, exploitation=exploitation, later_trafficked=later_trafficked,
    )


def concat_persons(parts: list[Persons]) -> Persons:
    """One Persons table from consecutive parts (night 1, then the new persons of later nights)."""
    if len(parts) == 1:
        return parts[0]
    arrays = {}
    for name in ("given", "family", "male", "birth_year", "birth_month", "birth_day", "village", "household",
                 "relation", "role", "case_type", "exploitation", "later_trafficked"):
        arrays[name] = np.concatenate([getattr(p, name) for p in parts])
    lists = {name: [v for p in parts for v in getattr(p, name)] for name in
             ("lao_phone", "thai_phone", "passport", "id_card")}
    return Persons(first=parts[0].first, **arrays, **lists)
