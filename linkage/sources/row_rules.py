"""What a row of a source file may say, beyond being readable (issue #20 row 10); each rule quarantines with a reason.

- ``record_id``: no ``..`` path segment, no leading ``/``, no ``\\`` and no control character (tab aside): record
  ids appear in exports, URLs and terminals. A ``/`` inside stays allowed: ``SVK/2019/00001`` is a real case number.
- ``source``: a source code (letters, digits, ``-``, ``_``, ``.``; at most 64), and one the file may write: a
  mapping names its sources (``sources: [...]``, or its constant ``source``); a mapping that reads the source
  from a column and names none (the generic exchange mapping) may write any source no other mapping lists. So a
  ministry's file cannot write, and so update, another ministry's records. A mapping's constant ``source``
  alone binds its own files only: list ``sources`` to keep the generic mapping's files off a source too.

A ``role`` is no reason to quarantine a row: the role is optional (record-schema.md), so a value no role word reads
(``linkage.fields.case_codes.role_code``) is stored as written with its ``role_code`` empty, and listed with the reason
by ``laolink std report``, as any field the standardizer cannot read; a victim's record is not lost for one word.
A key limited to some sources sees such a role of another source's record as empty (``api/masking.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from linkage.fields.invisible import key_or_none
from linkage.sources.mapping import SOURCE_CODE_PATTERN, Mapping

# '..' as a path segment, a leading separator, a backslash, a control character other than tab (case numbers
# such as SVK/2019/00001 are real record ids: a '/' inside one is kept)
RECORD_ID_PATTERN = r"(^|/)\.\.(/|$)|^/|\\|[\x00-\x08\x0A-\x1F\x7F]"
RECORD_ID_REASON = 'record_id holds a ".." path segment, a leading / or \\, or a control character'
SOURCE_REASON = ("source '", "' is not a source code (letters, digits, -, _ and . only)")  # around the source


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def claimed_sources(mappings: Iterable[Mapping]) -> dict[str, str]:
    """Each source a mapping lists as its own (``sources: [...]``) -> that mapping's name."""
    return {s: m.name for m in mappings for s in m.sources}


def problem_checks(mapping: Mapping, claimed: dict[str, str]) -> list[str]:
    """SQL CASE expressions over the cleaned columns (``c_<column>``), each a struct(field, reason) or NULL."""
    checks = [
        f"CASE WHEN regexp_matches(c_record_id, {_text(RECORD_ID_PATTERN)}) THEN struct_pack(field := 'record_id',"
        f" reason := {_text(RECORD_ID_REASON)}) END",
        f"CASE WHEN NOT regexp_matches(c_source, {_text(SOURCE_CODE_PATTERN)}) THEN struct_pack(field := 'source',"
        f" reason := {_text(SOURCE_REASON[0])} || c_source || {_text(SOURCE_REASON[1])}) END",
    ]
    allowed = mapping.allowed_sources
    if allowed is not None:
        tail = _text(f"' is not one this file may write (mapping {mapping.name} writes {', '.join(sorted(allowed))})")
        checks.append(
            f"CASE WHEN c_source NOT IN ({', '.join(_text(s) for s in sorted(allowed))}) THEN struct_pack("
            f"field := 'source', reason := 'source ''' || c_source || {tail}) END")
    else:
        others = {s: name for s, name in claimed.items() if name != mapping.name}
        if others:
            owner = "CASE c_source " + " ".join(f"WHEN {_text(s)} THEN {_text(n)}" for s, n in others.items()) + " END"
            checks.append(
                f"CASE WHEN c_source IN ({', '.join(_text(s) for s in others)}) THEN struct_pack(field := 'source',"
                f" reason := 'source ''' || c_source || ''' belongs to mapping ' || {owner}"
                " || ': only its files may write it') END")
    return checks


def key_problem(name: str, value: str | None) -> str | None:
    """Why a row would be quarantined for its ``source`` or ``record_id`` (``name``) as :func:`problem_checks` reads
    the key, cleaned as ingest cleans it (``invisible.key_or_none``); None when it would not, or when the key is
    empty. The API refuses to store a record the night would quarantine so."""
    key = key_or_none(value)
    if key is not None and name == "source" and not re.search(SOURCE_CODE_PATTERN, key):
        return SOURCE_REASON[0] + key + SOURCE_REASON[1]
    if key is not None and name == "record_id" and re.search(RECORD_ID_PATTERN, key):
        return RECORD_ID_REASON
    return None

