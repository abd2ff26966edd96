"""Shifted demo data: the same world written by offices that behave differently from the ones the team tuned on.

A :class:`Shift` is a set of knobs, every one a phenomenon of real Lao and Thai records (issue #14):
more missing fields, another script mix, given-name-only and nickname-only records, a border
checkpoint's or repatriation centre's province written where the person's home should be, one-off
border passes in the ID column, placeholder birth dates (01/01/YYYY), a second phone number, women
recorded under a married family name, a person's records made days apart (one passage through the
offices). Profile knobs change how each source is drawn (:meth:`Shift.profile`); row knobs rewrite
rendered rows (:meth:`Shift.rows`), each record from its own random stream, so the same seed and shift
always give the same bytes; ``episodes`` sets the world's event dates (``generate.build_world``).
The truth is unchanged: every record still belongs to the same person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from linkage.demo_data.names import FAMILY_NAMES, Name
from linkage.demo_data.sources import Profile
from linkage.demo_data.spelling_variants import lao_to_thai
from linkage.sources.exchange_format import EXCHANGE_COLUMNS

_COL = {c: i for i, c in enumerate(EXCHANGE_COLUMNS)}
# Sources whose province is where the event happened: (source, provinces of its checkpoints or centres).
EVENT_PLACE_SOURCES = {
    "BORDER-FRIENDSHIP-BRIDGE-1": ("Vientiane Capital",),
    "TH-REPAT": ("Savannakhet", "Champasak", "Vientiane Capital"),
}
_MISSING_FIELDS = ("dob", "province", "district", "village")


@dataclass(frozen=True)
class Shift:
    """Knobs of a shifted variant; the defaults change nothing."""

    missing: float = 0.0  # extra share of birth dates, places, phones and IDs left empty
    latin: float = 0.0  # share of Lao- and Thai-script names written in Latin script instead
    thai: float = 0.0  # share of Lao-script names written in Thai script instead
    given_only: float = 0.0  # share of records with the given name (or a nickname) only
    typo: float = 1.0  # factor on each source's typo rate
    event_place: float = 0.0  # share of checkpoint/centre records whose province is the event's
    per_event_ids: float = 0.0  # share of checkpoint/centre records whose ID is a one-off border pass
    placeholder_dates: float = 0.0  # share of full birth dates written as 01/01/YYYY
    second_phone: float = 0.0  # share of records giving another number of the person's (new each time)
    name_change: float = 0.0  # share of women's records under another (married) family name
    id_typo: float = 0.0  # share of ID numbers written with two adjacent digits transposed
    episodes: float = 0.0  # share of a person's later records made within a month of the first (one passage)

    def profile(self, p: Profile) -> Profile:
        """``p`` with the profile knobs applied."""
        script = dict(p.script)
        lao, thai = script.get("lao", 0.0), script.get("thai", 0.0)
        script["latin"] = script.get("latin", 0.0) + self.latin * (lao + thai)
        script["thai"] = thai * (1 - self.latin) + self.thai * lao * (1 - self.latin)
        script["lao"] = lao * (1 - self.latin) * (1 - self.thai)
        fields = {f: _more_missing(getattr(p, f), self.missing) for f in _MISSING_FIELDS}
        if p.mandatory_date == "date_of_birth":
            fields.pop("dob")  # a row without it would be quarantined, not linked
        return replace(
            p, script={k: v for k, v in script.items() if v > 0}, **fields,
            given_only=1 - (1 - p.given_only) * (1 - self.given_only), typo=min(1.0, p.typo * self.typo),
            phone=p.phone * (1 - self.missing), ids=p.ids * (1 - self.missing),
        )  # fmt: skip

    def rows(self, rows: list[tuple[str, ...]], source: str, male: list[bool], seed: int, key: int) -> list[tuple]:
        """``rows`` of ``source`` (persons' sex in ``male``, one per row) with the row knobs applied."""
        rng = np.random.default_rng([seed, key, 7331])
        u = rng.random((len(rows), 8))
        # a stream of its own, so that the other knobs draw the same numbers as before it existed
        slips = np.random.default_rng([seed, key, 7332]).random((len(rows), 2)) if self.id_typo else None
        out = []
        for k, row in enumerate(rows):
            r = list(row)
            centres = EVENT_PLACE_SOURCES.get(source)
            if centres and u[k, 0] < self.event_place:
                r[_COL["province"]] = centres[int(u[k, 1] * len(centres))]
                r[_COL["district"]] = r[_COL["village"]] = ""
            if centres and u[k, 2] < self.per_event_ids:
                r[_COL["id_number"]] = f"BP{int(u[k, 3] * 10**7):07d}"
            if u[k, 4] < self.placeholder_dates:
                r[_COL["date_of_birth"]] = _placeholder(r[_COL["date_of_birth"]])
            if r[_COL["phone"]] and u[k, 5] < self.second_phone:
                r[_COL["phone"]] = f"+856 20 {int(u[k, 6] * 10**8):08d}"
            if not male[k] and u[k, 7] < self.name_change:
                _change_family_name(r, FAMILY_NAMES[int(u[k, 6] * len(FAMILY_NAMES))])
            if slips is not None and r[_COL["id_number"]] and slips[k, 0] < self.id_typo:
                r[_COL["id_number"]] = _transpose_digits(r[_COL["id_number"]], slips[k, 1])
            out.append(tuple(r))
        return out


def _transpose_digits(text: str, at: float) -> str:
    """``text`` with two adjacent digits swapped (the pair chosen by ``at`` in [0, 1)); unchanged if none differ."""
    pairs = [i for i in range(len(text) - 1) if text[i].isdigit() and text[i + 1].isdigit() and text[i] != text[i + 1]]
    if not pairs:
        return text
    i = pairs[int(at * len(pairs))]
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def _more_missing(probs: dict[str, float], extra: float) -> dict[str, float]:
    scaled = {k: v * (1 - extra) for k, v in probs.items() if k != "missing"}
    return scaled | {"missing": 1 - sum(scaled.values())}


_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def _placeholder(dob: str) -> str:
    """A full birth date as a clerk who knows only the year writes it (01/01/YYYY, same era)."""
    years = _YEAR.findall(dob)
    if not years or len(re.findall(r"\d+", dob)) < 3:
        return dob  # year only, an age, or empty: nothing to replace
    return f"01/01/{years[0]}"


def _script_of(text: str) -> str:
    if any("\u0e80" <= ch <= "\u0eff" for ch in text):
        return "lao"
    return "thai" if any("\u0e00" <= ch <= "\u0e7f" for ch in text) else "latin"


def _change_family_name(row: list[str], married: Name) -> None:
    """Write the married family name in place of the family name, in the row's script."""
    family, full = row[_COL["family_name"]], row[_COL["full_name"]]
    sample = family or full
    if not sample:
        return
    script = _script_of(sample)
    name = married.lao if script == "lao" else lao_to_thai(married.lao) if script == "thai" else married.official
    if family:
        row[_COL["family_name"]] = name.upper() if family.isupper() else name
    if full and " " in full:
        row[_COL["full_name"]] = full.rsplit(" ", 1)[0] + " " + name

