"""Source mappings: small YAML files that map a ministry's own file headers onto the exchange format.

A mapping is data, not code (see ``linkage/sources/mappings/*.yaml``)::

    name: molsw_dsw                 # unique mapping name
    source: MOLSW-DSW               # constant source for every row (or map columns.source)
    file_pattern: "*molsw_dsw*"     # glob on the file name that selects this mapping in an inbox
    format: xlsx                    # csv | xlsx (a .csv file of the same mapping is read as csv)
    encoding: auto                  # csv only: auto | utf-8 | utf-8-sig | utf-16 | cp874
    sheet: null                     # xlsx: sheet name, null = first
    columns:                        # exchange column -> header in the file
      record_id: "ລະຫັດ / Case No"
      full_name: "ຊື່ / Name"
    mandatory: [date_of_birth]      # fields whose missing/unreadable value quarantines the row
    buddhist_era: null              # true | false | null (detect) for this source's dates
    placeholder_birth_dates: auto   # auto | none | [01/01, 01/07]: day/month written for "day and month unknown"
    province_is: home               # home | event_place: the province is the person's, or where the event happened
    one_record_per_person: false    # true: the source lists each person at most once (a register, a list of originals)

Optional keys: ``priority`` (int, default 0; the highest-priority mapping whose pattern matches a
file name is chosen, the packaged exchange mapping has -100) and ``delimiter`` (csv, default ",").
``placeholder_birth_dates`` lists the day/month a source writes when only the birth year is known
(01/01/1998 for "1998"): such birth dates are read as the year only. ``auto`` (the default) does so
for 01/01 when the store shows the source's share of 1 January births far above 1/365
(``linkage/fields/placeholder_dates.py``); ``none`` never does. ``province_is: event_place`` says the
source writes where the event happened (a border checkpoint, a repatriation centre), not where the person is
from, when a record gives a province without district or village: a province disagreement with such a record is
no evidence (``linkage/fields/event_place.py``). ``one_record_per_person: true`` says the source never records a
person twice: two of its records are never linked, and a record's only plausible match in another such source is
linked although the pairwise model alone would not (``linkage/clusters/one_to_one.py``).
When both ``source`` and ``columns.source`` are given, a row's own source wins and the constant
fills rows that leave it empty. ``sources`` (a list) names the sources the mapping's files may write; without it,
a mapping with a constant ``source`` writes only that one, and one that reads the source from a column (the
generic exchange mapping) any source no other mapping names (``linkage/sources/row_rules.py``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from linkage.errors import LaoLinkError
from linkage.sources.exchange_format import EXCHANGE_COLUMNS

PACKAGED_MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"

FORMATS = ("csv", "xlsx")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp874")
DATE_COLUMNS = ("date_of_birth", "event_date")

_KEYS = {
    "name", "source", "file_pattern", "format", "encoding", "sheet", "columns", "mandatory",
    "buddhist_era", "priority", "delimiter", "placeholder_birth_dates", "sources", "province_is",
    "one_record_per_person",
}
PROVINCE_IS = ("home", "event_place")
SOURCE_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class MappingError(LaoLinkError):
    """A mapping file that is not valid, or no usable mapping for a file; names the mapping file."""


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    columns: dict[str, str]  # exchange column -> header in the file
    source: str | None = None
    file_pattern: str = "*"
    format: str = "csv"
    encoding: str = "auto"
    sheet: str | None = None
    mandatory: tuple[str, ...] = ()
    buddhist_era: bool | None = None
    priority: int = 0
    delimiter: str = ","
    placeholder_birth_dates: str = "auto"  # auto | none | month-day list '01-01,07-01'
    province_is: str = "home"  # home | event_place
    one_record_per_person: bool = False
    sources: tuple[str, ...] = ()  # the sources its files may write (see allowed_sources)
    digest: str | None = None  # of the file's content it was loaded from: a file rejected under it is read again
    # once the mapping file changed (``linkage/sources/read_again.py``)
    headers: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", tuple(dict.fromkeys(self.columns.values())))

    @property
    def allowed_sources(self) -> frozenset[str] | None:
        """The sources this mapping's files may write: ``sources`` when listed, else its constant ``source``;
        None (any source no other mapping names) for a mapping that reads the source from a column only."""
        if self.sources:
            return frozenset(self.sources)
        return frozenset({self.source}) if self.source else None

    def matches(self, file_name: str) -> bool:
        """Whether this mapping's file pattern matches a file name (case-insensitive)."""
        return fnmatch.fnmatchcase(file_name.lower(), self.file_pattern.lower())


def _fail(path: Path, message: str) -> MappingError:
    return MappingError(f"mapping file {path}: {message}")


def _optional_str(path: Path, data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise _fail(path, f"'{key}' must be a non-empty text or null, got {value!r}")
    return value.strip() if isinstance(value, str) else None


def parse_mapping(data: Any, path: Path) -> Mapping:
    """Validate a mapping's parsed YAML; every problem is a MappingError naming ``path``."""
    if not isinstance(data, dict):
        raise _fail(path, "must be a YAML mapping of keys (name, source, columns, ...)")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(map(str, unknown))}; allowed: {', '.join(sorted(_KEYS))}")
    name = _optional_str(path, data, "name")
    if name is None:
        raise _fail(path, "'name' is missing")
    fmt = data.get("format", "csv")
    if fmt not in FORMATS:
        raise _fail(path, f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    encoding = data.get("encoding") or "auto"
    if encoding not in ENCODINGS:
        raise _fail(path, f"encoding {encoding!r} is not one of {', '.join(ENCODINGS)}")
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise _fail(path, "'columns' must map exchange columns to the file's headers")
    for column, header in columns.items():
        if column not in EXCHANGE_COLUMNS:
            raise _fail(path, f"unknown exchange column {column!r} in columns; known: {', '.join(EXCHANGE_COLUMNS)}")
        if not isinstance(header, str) or not header.strip():
            raise _fail(path, f"columns.{column} must name a header in the file, got {header!r}")
    if "record_id" not in columns:
        raise _fail(path, "columns.record_id is missing: every row needs its record id")
    source = _optional_str(path, data, "source")
    if source is None and "source" not in columns:
        raise _fail(path, "give a constant 'source' or map columns.source")
    mandatory = data.get("mandatory") or []
    if not isinstance(mandatory, list):
        raise _fail(path, f"'mandatory' must be a list of exchange columns, got {mandatory!r}")
    for column in mandatory:
        if column not in EXCHANGE_COLUMNS:
            raise _fail(path, f"unknown exchange column {column!r} in mandatory")
        if column not in columns and not (column == "source" and source):
            raise _fail(path, f"mandatory column {column!r} is not mapped in columns")
    buddhist_era = data.get("buddhist_era")
    if buddhist_era not in (True, False, None):
        raise _fail(path, f"buddhist_era must be true, false or null, got {buddhist_era!r}")
    priority = data.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise _fail(path, f"priority must be an integer, got {priority!r}")
    delimiter = data.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise _fail(path, f"delimiter must be one character, not the quote or a line end, got {delimiter!r}")
    placeholders = _placeholder_birth_dates(path, data.get("placeholder_birth_dates", "auto"))
    province_is = data.get("province_is", "home")
    if province_is not in PROVINCE_IS:
        raise _fail(path, f"province_is must be one of {', '.join(PROVINCE_IS)}, got {province_is!r}")
    one_record_per_person = data.get("one_record_per_person", False)
    if not isinstance(one_record_per_person, bool):
        raise _fail(path, f"one_record_per_person must be true or false, got {one_record_per_person!r}")
    listed = data.get("sources") if data.get("sources") is not None else []  # `sources:` left empty lists none
    if not isinstance(listed, list) or not all(isinstance(x, str) and re.match(SOURCE_CODE_PATTERN, x.strip())
                                               for x in listed):
        raise _fail(path, f"'sources' must be a list of the source codes its files may write, got {listed!r}")
    sources = [x.strip() for x in listed]
    if source and sources and source not in sources:
        raise _fail(path, f"the constant source {source!r} is not in its own sources list")
    return Mapping(
        name=name,
        path=path,
        columns={c: h.strip() for c, h in columns.items()},
        source=source,
        file_pattern=_optional_str(path, data, "file_pattern") or "*",
        format=fmt,
        encoding=encoding,
        sheet=_optional_str(path, data, "sheet"),
        mandatory=tuple(dict.fromkeys(mandatory)),
        buddhist_era=buddhist_era,
        priority=priority,
        delimiter=delimiter,
        placeholder_birth_dates=placeholders,
        province_is=province_is,
        one_record_per_person=one_record_per_person,
        sources=tuple(dict.fromkeys(sources)),
    )


def _placeholder_birth_dates(path: Path, value: Any) -> str:
    """'auto', 'none', or the listed day/months as sorted month-day text ('01-01,07-01')."""
    if value in ("auto", "none"):
        return str(value)
    if not isinstance(value, list) or not value:
        raise _fail(path, f"placeholder_birth_dates must be auto, none or a list like [01/01, 01/07], got {value!r}")
    month_days = set()
    for item in value:
        parts = str(item).split("/")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise _fail(path, f"placeholder_birth_dates: {item!r} is not a day/month such as 01/01")
        day, month = int(parts[0]), int(parts[1])
        if not (1 <= month <= 12 and 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)):
            raise _fail(path, f"placeholder_birth_dates: {item!r} is no day of the year")
        month_days.add(f"{month:02d}-{day:02d}")
    return ",".join(sorted(month_days))


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate one mapping file."""
    path = Path(path)
    try:
        content = path.read_bytes()
        data = yaml.safe_load(content.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _fail(path, f"cannot be read: {exc}") from exc
    return replace(parse_mapping(data, path), digest=hashlib.sha256(content).hexdigest()[:16])


def _load_dir(directory: Path) -> dict[str, Mapping]:
    found: dict[str, Mapping] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        mapping = load_mapping(path)
        if mapping.name in found:
            raise _fail(path, f"mapping name {mapping.name!r} is already used by {found[mapping.name].path}")
        found[mapping.name] = mapping
    return found


def load_mappings(extra_dir: str | Path | None = None) -> dict[str, Mapping]:
    """The packaged mappings plus those in ``extra_dir``; an extra mapping replaces a packaged one of the same name."""
    mappings = _load_dir(PACKAGED_MAPPINGS_DIR)
    if extra_dir is not None:
        extra = Path(extra_dir)
        if not extra.is_dir():
            raise MappingError(f"mappings directory {extra} does not exist")
        mappings.update(_load_dir(extra))
    owner: dict[str, Mapping] = {}
    for m in mappings.values():
        for code in m.sources:
            if code in owner:  # which one may write it would depend on the order they were read
                raise _fail(m.path, f"source {code!r} is already listed as its own by mapping {owner[code].name!r} "
                                    f"({owner[code].path})")
            owner[code] = m
    return mappings


def choose_mapping(file_name: str, mappings: Iterable[Mapping]) -> Mapping:
    """The mapping whose file pattern matches ``file_name`` with the highest priority; a tie is an error."""
    matching = [m for m in mappings if m.matches(file_name)]
    if not matching:
        raise MappingError(f"no mapping's file_pattern matches {file_name!r}; pass --mapping NAME")
    top = max(m.priority for m in matching)
    best = sorted((m for m in matching if m.priority == top), key=lambda m: m.name)
    if len(best) > 1:
        names = ", ".join(m.name for m in best)
        raise MappingError(f"{file_name!r} matches mappings {names} at the same priority; pass --mapping NAME")
    return best[0]
