"""Place aliases: names as records write them, each with the gazetteer code it stands for.

Two YAML files of the same shape, a gazetteer code and the values that stand for it::

    LA-VT: [ນວ, VTE, VTC]
    LA-SV-03: [Assaphangthong]

- the packaged ``linkage/fields/data/gazetteer_aliases.yaml``: abbreviations and older or variant
  spellings seen on Lao and Thai records;
- the deployment's own ``<db stem>.gazetteer_aliases.yaml`` (``StorePaths.gazetteer_aliases``),
  written by ``laolink gazetteer alias add VALUE CODE``; its aliases win over everything built in
  (a deployment whose records write 'Vientiane' only for the capital can say so).

An alias of at most four letters (an abbreviation: LPB, ນວ) matches only as written (case, dots and
spaces aside); a longer one also matches through the name key, as gazetteer spellings do.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from linkage.errors import InputFileError

_CODE_RE = re.compile(r"^LA-[A-Z]{2}(?:-\d{2})?$")
_HEADER = (
    "# Place names as this deployment's records write them -> the gazetteer code each stands for.\n"
    "# Written by `laolink gazetteer alias add VALUE CODE`; the next nightly re-standardizes the records\n"
    "# whose province or district these change.\n"
)


@dataclass(frozen=True)
class AliasFile:
    """The aliases of one file, code -> values, and the file's content digest."""

    name: str
    aliases: dict[str, tuple[str, ...]]
    digest: str


def built_in_alias_text() -> str:
    return (resources.files("linkage.fields") / "data" / "gazetteer_aliases.yaml").read_text(encoding="utf-8")


def parse_alias_text(text: str, name: str, known_codes: frozenset[str] | set[str]) -> AliasFile:
    """Read an alias file's content; InputFileError naming the file, code and value on bad content."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise InputFileError(name, f"not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputFileError(name, "must map gazetteer codes to lists of values (e.g. 'LA-VT: [VTE]')")
    aliases: dict[str, tuple[str, ...]] = {}
    for code, values in data.items():
        if not isinstance(code, str) or not _CODE_RE.match(code):
            raise InputFileError(name, f"{code!r} is not a gazetteer code (LA-XX or LA-XX-NN)")
        if code not in known_codes:
            raise InputFileError(name, f"{code}: no such province or district in the gazetteer")
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise InputFileError(name, f"{code}: values must be a list of non-empty texts")
        aliases[code] = tuple(v.strip() for v in values)
    return AliasFile(name, aliases, _digest(text))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if text.strip() else ""


def alias_file_digest(path: Path) -> str:
    """The digest ``read_alias_file`` gives this file ('' when it is missing or empty), without parsing it."""
    try:
        return _digest(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError):
        return "unreadable"


def read_alias_file(path: Path, known_codes: frozenset[str] | set[str]) -> AliasFile:
    """A deployment's alias file; an empty one when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(str(path), f"cannot be read: {exc}") from None
    return parse_alias_text(text, str(path), known_codes)


def write_alias_file(path: Path, aliases: dict[str, tuple[str, ...]]) -> None:
    """Write a deployment's aliases, codes in order, owner-only like the rest of the store."""
    body = yaml.safe_dump({code: list(values) for code, values in sorted(aliases.items())}, allow_unicode=True,
                          sort_keys=False, default_flow_style=None, width=120)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(_HEADER + body, encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
