"""Provinces, districts and villages of Laos, matched through the Lao name key in any script.

The gazetteer (``data/gazetteer.csv``) lists Laos' 18 provinces under their ISO 3166-2:LA codes
(LA-VT, LA-SV, ...) and their districts under LaoLink codes made of the province code and a two-digit
number (LA-SV-01 = Kaysone Phomvihane), numbered in the order of the national district list. Each
place has its Latin name, its Lao name and the other spellings seen on records (Latin variants,
Thai script). A written place is matched on its name key, so spellings the file does not list still
match when they fold to the same key.

Aliases (``gazetteer_aliases.py``) add abbreviations and variant spellings: the packaged ones and a
deployment's own file, whose aliases win over everything built in.

A deployment whose places changed before a LaoLink release did (a new district, a spelling its records use) may
edit the packaged table or name its own copy in the environment variable ``LAOLINK_GAZETTEER`` (for the nightly
and ``laolink serve`` alike). The table is read again whenever its content changes, as the alias files are, and
its digest is part of ``Gazetteer.digest``: the next standardizing run reads again the place values it reads
differently (``linkage/fields/standardize.py``).

A spelling that names two places ('Vientiane': the capital or the province; 'Xaysetha': a district
of the capital and of Attapeu) is an error with both candidates named, never a guess; for districts
the province, when known, settles it, and for 'Vientiane' the words written with it do ('Province of
Vientiane', 'ແຂວງວຽງຈັນ': the province; 'Vientiane capital', 'ນະຄອນ...': the capital). A district written with
its province's name, in that province, is the district named as the province (ไชยบุรี in Xayaboury).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from linkage.errors import FieldError, InputFileError
from linkage.fields.gazetteer_aliases import (
    AliasFile,
    alias_file_digest,
    built_in_alias_text,
    parse_alias_text,
    read_alias_file,
)
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
class _Names:
    """The written forms that find places of one level: exact (abbreviations) and by name key."""

    exact: dict[str, frozenset[str]]
    keys: dict[str, frozenset[str]]

    def find(self, text: str) -> frozenset[str]:
        full = _normal(text)
        for form in dict.fromkeys((full, _strip_kind(full))):
            found = self.exact.get(form.replace(" ", "")) or self.keys.get(_key(form))
            if found:
                return found
        return frozenset()


@dataclass(frozen=True)
class Gazetteer:
    """The places and the indexes that find them, the deployment's aliases first."""

    places: dict[str, Place]
    provinces: tuple[_Names, ...]
    districts: tuple[_Names, ...]
    digest: str  # of the table and the alias files read, so the standardizer knows when they changed
    own_digest: str  # of the deployment's alias file ('' for none)
    table_digest: str  # of the gazetteer table read (the packaged one or LAOLINK_GAZETTEER's)

    def find(self, text: str, level: str, *, deployment: bool = True) -> frozenset[str]:
        """The places ``text`` names, by the first index that knows it (without the deployment's aliases when
        ``deployment`` is False)."""
        indexes = self.provinces if level == "province" else self.districts
        for names in indexes if deployment else indexes[1:]:
            found = names.find(text)
            if found:
                return found
        return frozenset()


# Words that say what kind of place follows (or precedes) the name; they are not part of the name.
_LATIN_PREFIXES = ("province of", "khoueng", "khouang", "khueng", "kwaeng", "khwaeng", "province", "prov",
                   "muang", "mueang", "meuang", "muong", "district of", "district", "ban", "baan", "village of",
                   "village", "capital of", "capital")
# 'Pro.', 'Cap.' and 'Pref.' are how forms and spreadsheets shorten them ('Vientiane Pro.', 'VIENTIANE CAP.').
_LATIN_SUFFIXES = ("province", "prov", "pro", "pr", "capital", "cap", "prefecture", "pref", "district", "dist",
                   "village", "city", "town")
# Abbreviations (ຂ. ມ. ບ. / จ. อ. บ.) appear with their dot turned into a space by _normal.
_SCRIPT_PREFIXES = ("ແຂວງ", "ເມືອງ", "ບ້ານ", "ຂ ", "ມ ", "ບ ", "จังหวัด", "แขวง", "อำเภอ", "เมือง", "หมู่บ้าน", "บ้าน",
                    "จ ", "อ ", "บ ")
_PREFIX_RE = re.compile(r"^(?:" + "|".join(re.escape(p) for p in _LATIN_PREFIXES) + r")\b\s*")
_SUFFIX_RE = re.compile(r"\s+(?:" + "|".join(re.escape(p) for p in _LATIN_SUFFIXES) + r")$")
# A kind word written twice ('ແຂວງແຂວງວຽງຈັນ', 'แขวงแขวง...', 'Province Province'), as forms prefilled with it invite.
_KIND_WORDS = ("ແຂວງ", "ເມືອງ", "ບ້ານ", "ນະຄອນຫຼວງ", "จังหวัด", "แขวง", "อำเภอ", "เมือง", "บ้าน", "province", "khoueng",
               "district", "muang", "ban", "village")
_DOUBLED_KIND_RE = re.compile(r"(?<!\w)(" + "|".join(_KIND_WORDS) + r")(?:\s*\1(?!\w))+|^(" + "|".join(_KIND_WORDS[:10])
                              + r")(?:\s*\2)+")
# Words that settle a name the capital and the province share (Vientiane).
_CAPITAL = "LA-VT"
_CAPITAL_WORDS = re.compile(r"ນະຄອນ|ກຳແພງ|นคร|กำแพง|\b(?:capital|cap|prefecture|pref|municipality|city|nakhon|"
                            r"nakhone|kamphaeng)\b")
_PROVINCE_WORDS = re.compile(r"^(?:ແຂວງ|ຂ |แขวง|จังหวัด|จ )|\b(?:province|prov|pro|pr|khoueng|khouang|khueng)\b")
_CODE_RE = re.compile(r"^LA-[A-Z]{2}(?:-\d{2})?$")


def _normal(text: str) -> str:
    """NFC, lower case, one spelling of ຫຼ (ຫລ is the same letter), punctuation to spaces."""
    s = unicodedata.normalize("NFC", text).lower().replace("ຫລ", "ຫຼ").replace("\u200b", "")
    s = re.sub(r"[\-_/(),.:;'’`\"]", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return _DOUBLED_KIND_RE.sub(lambda m: m.group(1) or m.group(2), s)


def _compact(text: str) -> str:
    """A written form compared as written: normal form without spaces (L.P.B. = LPB, ນ.ວ = ນວ)."""
    return _normal(text).replace(" ", "")


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


_deployment_aliases: Path | None = None
# A CSV of the packaged table's shape read instead of it (module docstring).
GAZETTEER_ENV = "LAOLINK_GAZETTEER"
_TABLE_COLUMNS = ("code", "level", "province_code", "name", "name_lo", "spellings")


def packaged_gazetteer_text() -> str:
    """The content of the packaged ``data/gazetteer.csv``."""
    return (resources.files("linkage.fields") / "data" / "gazetteer.csv").read_text(encoding="utf-8")


def _gazetteer_table() -> tuple[str, str]:
    """(name, content) of the gazetteer table to read: the file ``LAOLINK_GAZETTEER`` names, else the packaged one."""
    path = os.environ.get(GAZETTEER_ENV, "").strip()
    if not path:
        return "gazetteer.csv (built in)", packaged_gazetteer_text()
    try:
        return path, Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot be read ({GAZETTEER_ENV}): {exc}") from None


def _table_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def use_deployment_aliases(path: Path | None) -> str:
    """Read places with this deployment alias file too (None: built-in only); the digest of what is read.

    The alias file and the gazetteer table are read again on every call, so a change made by ``laolink gazetteer
    alias add`` or to the table is seen by the next standardizing run and by a running API.
    """
    global _deployment_aliases
    own = alias_file_digest(path) if path else ""
    gazetteer = load_gazetteer()
    if (path != _deployment_aliases or gazetteer.own_digest != own
            or gazetteer.table_digest != _table_digest(_gazetteer_table()[1])):
        _deployment_aliases = path
        _clear_caches()
    return load_gazetteer().digest


def _clear_caches() -> None:
    for cached in (load_gazetteer, province_code, record_province_code, district_code):
        cached.cache_clear()


def _read_places(name: str, text: str) -> dict[str, Place]:
    """The places of a gazetteer table's content; InputFileError naming the table when a column is missing."""
    places: dict[str, Place] = {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in _TABLE_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InputFileError(name, f"a gazetteer table needs the columns {', '.join(_TABLE_COLUMNS)}; missing: "
                                   f"{', '.join(missing)}")
    for row in reader:
        spellings = tuple(s for s in (row["spellings"] or "").split("|") if s)
        places[row["code"]] = Place(row["code"], row["level"], row["province_code"] or row["code"], row["name"],
                                    row["name_lo"], spellings)
    return places


def _names(places: dict[str, Place], written: dict[str, tuple[str, ...]], level: str, *,
           short_exact: bool) -> _Names:
    exact: dict[str, set[str]] = defaultdict(set)
    keys: dict[str, set[str]] = defaultdict(set)
    for code, values in written.items():
        if places[code].level != level:
            continue
        for value in values:
            compact = _compact(value)
            if short_exact and len(compact) <= 4:
                exact[compact].add(code)
                continue
            for key in _keys(value)[:1]:
                keys[key].add(code)
    return _Names({k: frozenset(v) for k, v in exact.items()}, {k: frozenset(v) for k, v in keys.items()})


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """Read the gazetteer table, the packaged aliases and the deployment's aliases; index them."""
    table_name, table = _gazetteer_table()
    places = _read_places(table_name, table)
    built_in = parse_alias_text(built_in_alias_text(), "gazetteer_aliases.yaml (built in)", set(places))
    own = read_alias_file(_deployment_aliases, set(places)) if _deployment_aliases else AliasFile("", {}, "")
    listed = {p.code: (p.name, p.name_lo, *p.spellings) for p in places.values()}
    provinces = (_names(places, own.aliases, "province", short_exact=True),
                 _names(places, built_in.aliases, "province", short_exact=True),
                 _names(places, listed, "province", short_exact=False))
    districts = (_names(places, own.aliases, "district", short_exact=True),
                 _names(places, built_in.aliases, "district", short_exact=True),
                 _names(places, listed, "district", short_exact=False))
    table_digest = _table_digest(table)
    return Gazetteer(places, provinces, districts, f"{table_digest}+{built_in.digest}+{own.digest}", own.digest,
                     table_digest)


def _names_of(codes: frozenset[str] | set[str]) -> str:
    places = load_gazetteer().places
    return " or ".join(f"{places[c].name} ({c})" for c in sorted(codes))


def _province_candidates(text: str) -> frozenset[str]:
    gaz = load_gazetteer()
    code = text.strip().upper()
    if _CODE_RE.match(code) and code in gaz.places and gaz.places[code].level == "province":
        return frozenset({code})
    found = gaz.find(text, "province")
    normal = _normal(text)
    says_capital, says_province = bool(_CAPITAL_WORDS.search(normal)), bool(_PROVINCE_WORDS.search(normal))
    if says_capital or says_province:  # Vientiane: the words written with it say which, over any alias of the name
        shared = found | gaz.find(text, "province", deployment=False)
        if len(shared) > 1 and _CAPITAL in shared:
            return frozenset({_CAPITAL}) if says_capital else shared - {_CAPITAL}
    return found


@lru_cache(maxsize=50_000)
def province_code(text: str | None) -> str | None:
    """ISO 3166-2:LA code of a province written in any script; None for empty, FieldError when unknown."""
    if text is None or not text.strip():
        return None
    found = _province_candidates(text)
    if len(found) == 1:
        return next(iter(found))
    if found:
        raise FieldError(f"'{text.strip()}' may be {_names_of(found)}", field="province", value=text)
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
        found = gaz.find(text, "district")
    if province_code:
        inside = {c for c in found if gaz.places[c].province_code == province_code}
        if not inside and (named := _district_named_as_province(text, province_code)):
            return named
        if len(inside) == 1:
            return inside.pop()
        if found and not inside:
            province = gaz.places[province_code].name if province_code in gaz.places else province_code
            raise FieldError(f"'{text.strip()}' is {_names_of(found)}, not a district of {province}", field="district",
                             value=text)
        found = frozenset(inside)
    if not found:
        raise FieldError("not a district of Laos in the gazetteer", field="district", value=text)
    if len(found) == 1:
        return next(iter(found))
    raise FieldError(f"'{text.strip()}' may be {_names_of(found)}; the province is needed", field="district",
                     value=text)


def _district_named_as_province(text: str, province: str) -> str | None:
    """The district of ``province`` named as the province (Xayaboury's Xayaboury, Luang Prabang's Luang Prabang,
    Savannakhet City), when ``text`` reads as that province: a Thai list writes ไชยบุรี for Xayaboury and its
    district alike, a name whose key is also Savannakhet's district Xaybouly."""
    if _province_candidates(text) != {province}:
        return None
    named = {p.code for p in load_gazetteer().places.values() if p.level == "district" and p.province_code == province
             and any(_province_candidates(s) == {province} for s in (p.name, p.name_lo, *p.spellings))}
    return named.pop() if len(named) == 1 else None


@lru_cache(maxsize=200_000)
def village_key(text: str | None) -> str | None:
    """The name key of a village with 'Ban' / 'ບ້ານ' / 'บ้าน' removed; None for empty."""
    if text is None or not text.strip():
        return None
    key = _key(_strip_kind(_normal(text)))
    if not key:
        raise FieldError("no village name in the value", field="village", value=text)
    return key


def add_alias(path: Path, value: str, code: str) -> bool:
    """Add ``value`` -> ``code`` to the deployment alias file ``path``; False when it already reads so.

    FieldError when ``code`` is no gazetteer place or ``value`` is blank.
    """
    from linkage.fields.gazetteer_aliases import write_alias_file
    from linkage.fields.invisible import visible_or_none

    places = load_gazetteer().places
    code = code.strip().upper()
    if code not in places:
        raise FieldError("not a gazetteer code (e.g. LA-VT, LA-SV-03)", field="code", value=code)
    written = visible_or_none(value)
    if written is None:
        raise FieldError("an alias needs a value", field="value", value=value)
    written = written.strip()
    use_deployment_aliases(path)
    if load_gazetteer().find(written, places[code].level) == {code}:
        return False
    aliases = dict(read_alias_file(path, set(places)).aliases)
    aliases[code] = (*aliases.get(code, ()), written)
    write_alias_file(path, aliases)
    use_deployment_aliases(path)
    return True
