"""Provinces, districts and villages of Laos, matched through the Lao name key in any script.

The gazetteer (``data/gazetteer.csv``) lists Laos' 18 provinces under their ISO 3166-2:LA codes
(LA-VT, LA-SV, ...) and their districts under LaoLink codes made of the province code and a two-digit
number (LA-SV-01 = Kaysone Phomvihane), numbered in the order of the national district list. Each
place has its Latin name, its Lao name and the other spellings seen on records (Latin variants,
Thai script). A written place is matched on its name key, so spellings the file does not list still
match when they fold to the same key.

A spelling that names two places ('Vientiane': the capital or the province; 'Xaysetha': a district
of the capital and of Attapeu) is an error with both candidates named, never a guess; for districts
the province, when known, settles it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from linkage.errors import FieldError
from linkage.fields.name_key import name_key


@dataclass(frozen=True)
class Place:
    """One province or district of the gazetteer."""

    code: str
    level: str  # 'province' | 'district'
    province_code: str
    name: str
    name_lo: str
    spellings: tuple[str, ...]


@dataclass(frozen=True)
class Gazetteer:
    """The places and the name-key indexes that find them."""

    places: dict[str, Place]
    province_index: dict[str, frozenset[str]]
    district_index: dict[str, frozenset[str]]


# Words that say what kind of place follows (or precedes) the name; they are not part of the name.
_LATIN_PREFIXES = ("province of", "khoueng", "khouang", "khueng", "kwaeng", "khwaeng", "province", "prov",
                   "muang", "mueang", "meuang", "muong", "district of", "district", "ban", "baan", "village of",
                   "village")
_LATIN_SUFFIXES = ("province", "prov", "district", "dist", "village", "city", "town")
# Abbreviations (ຂ. ມ. ບ. / จ. อ. บ.) appear with their dot turned into a space by _normal.
_SCRIPT_PREFIXES = ("ແຂວງ", "ເມືອງ", "ບ້ານ", "ຂ ", "ມ ", "ບ ", "จังหวัด", "แขวง", "อำเภอ", "เมือง", "หมู่บ้าน", "บ้าน",
                    "จ ", "อ ", "บ ")
_PREFIX_RE = re.compile(r"^(?:" + "|".join(re.escape(p) for p in _LATIN_PREFIXES) + r")\b\s*")
_SUFFIX_RE = re.compile(r"\s+(?:" + "|".join(re.escape(p) for p in _LATIN_SUFFIXES) + r")$")
_CODE_RE = re.compile(r"^LA-[A-Z]{2}(?:-\d{2})?$")


def _normal(text: str) -> str:
    """NFC, lower case, one spelling of ຫຼ (ຫລ is the same letter), punctuation to spaces."""
    s = unicodedata.normalize("NFC", text).lower().replace("ຫລ", "ຫຼ").replace("\u200b", "")
    s = re.sub(r"[\-_/(),.:;'’`\"]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _strip_kind(s: str) -> str:
    """Remove 'Province', 'Muang', 'ແຂວງ', 'บ้าน' and the like from around a place name."""
    for _ in range(3):
        before = s
        s = _PREFIX_RE.sub("", s)
        for prefix in _SCRIPT_PREFIXES:
            if s.startswith(prefix) and len(s) > len(prefix):
                s = s[len(prefix):].strip()
        s = _SUFFIX_RE.sub("", s).strip()
        if not s:
            return before
        if s == before:
            break
    return s


def _key(s: str) -> str:
    return name_key(s).replace(" ", "") if s else ""


def _keys(text: str) -> tuple[str, ...]:
    """The keys to try for a written place: as written, then without kind words."""
    full = _normal(text)
    stripped = _strip_kind(full)
    keys = [_key(full)]
    if stripped and stripped != full:
        keys.append(_key(stripped))
    return tuple(k for k in keys if k)


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """Read the packaged gazetteer once and index every spelling by its key."""
    places: dict[str, Place] = {}
    index: dict[str, dict[str, set[str]]] = {"province": defaultdict(set), "district": defaultdict(set)}
    source = resources.files("linkage.fields") / "data" / "gazetteer.csv"
    with source.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            spellings = tuple(s for s in row["spellings"].split("|") if s)
            place = Place(row["code"], row["level"], row["province_code"] or row["code"], row["name"], row["name_lo"],
                          spellings)
            places[place.code] = place
            for spelling in (place.name, place.name_lo, *spellings):
                for key in _keys(spelling)[:1]:
                    index[place.level][key].add(place.code)
    return Gazetteer(
        places,
        {k: frozenset(v) for k, v in index["province"].items()},
        {k: frozenset(v) for k, v in index["district"].items()},
    )


def _candidates(text: str, index: dict[str, frozenset[str]]) -> frozenset[str]:
    for key in _keys(text):
        found = index.get(key)
        if found:
            return found
    return frozenset()


def _names(codes: frozenset[str] | set[str]) -> str:
    places = load_gazetteer().places
    return " or ".join(f"{places[c].name} ({c})" for c in sorted(codes))


def _province_candidates(text: str) -> frozenset[str]:
    gaz = load_gazetteer()
    code = text.strip().upper()
    if _CODE_RE.match(code) and code in gaz.places and gaz.places[code].level == "province":
        return frozenset({code})
    return _candidates(text, gaz.province_index)


@lru_cache(maxsize=50_000)
def province_code(text: str | None) -> str | None:
    """ISO 3166-2:LA code of a province written in any script; None for empty, FieldError when unknown."""
    if text is None or not text.strip():
        return None
    found = _province_candidates(text)
    if len(found) == 1:
        return next(iter(found))
    if found:
        raise FieldError(f"'{text.strip()}' may be {_names(found)}", field="province", value=text)
    raise FieldError("not a province of Laos in the gazetteer", field="province", value=text)


@lru_cache(maxsize=100_000)
def record_province_code(province: str | None, district: str | None) -> str | None:
    """A record's province: ``province_code``, or, for a name two provinces share ('Vientiane': the
    capital or the province), the one of them in which the record's district lies (Phonhong: the
    province). FieldError as ``province_code`` when the district does not settle it."""
    try:
        return province_code(province)
    except FieldError:
        if province is None or not district or not district.strip():
            raise
        settled = set()
        for candidate in _province_candidates(province):
            try:
                district_code(district, candidate)
            except FieldError:
                continue
            settled.add(candidate)
        if len(settled) != 1:
            raise
        return settled.pop()


@lru_cache(maxsize=100_000)
def district_code(text: str | None, province_code: str | None = None) -> str | None:
    """LaoLink code of a district (LA-SV-01); the province code, when known, settles shared names."""
    if text is None or not text.strip():
        return None
    gaz = load_gazetteer()
    code = text.strip().upper()
    if _CODE_RE.match(code) and code in gaz.places and gaz.places[code].level == "district":
        found = frozenset({code})
    else:
        found = _candidates(text, gaz.district_index)
    if not found:
        raise FieldError("not a district of Laos in the gazetteer", field="district", value=text)
    if province_code:
        inside = {c for c in found if gaz.places[c].province_code == province_code}
        if len(inside) == 1:
            return inside.pop()
        if not inside:
            province = gaz.places[province_code].name if province_code in gaz.places else province_code
            raise FieldError(f"'{text.strip()}' is {_names(found)}, not a district of {province}", field="district",
                             value=text)
        found = frozenset(inside)
    if len(found) == 1:
        return next(iter(found))
    raise FieldError(f"'{text.strip()}' may be {_names(found)}; the province is needed", field="district",
                     value=text)


@lru_cache(maxsize=200_000)
def village_key(text: str | None) -> str | None:
    """The name key of a village with 'Ban' / 'ບ້ານ' / 'บ้าน' removed; None for empty."""
    if text is None or not text.strip():
        return None
    key = _key(_strip_kind(_normal(text)))
    if not key:
        raise FieldError("no village name in the value", field="village", value=text)
    return key
