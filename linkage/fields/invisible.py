"""Invisible format characters, removed from every raw value before any key or comparison value is built.

Records copied from web forms, chat apps and word processors carry characters nobody sees: zero-width
spaces and joiners (Lao and Thai text editors put U+200B between words), the byte-order mark, soft
hyphens, and direction marks and overrides. Left in, they make two equal-looking names differ (a
zero-width space inside a Lao name breaks its key) and an override (U+202E) turns what is shown around.
"""

from __future__ import annotations

import re

INVISIBLE_CHARACTERS = (
    "\u00ad"  # soft hyphen
    "\u180e"  # Mongolian vowel separator (formerly a space)
    "\u200b\u200c\u200d"  # zero-width space, non-joiner, joiner
    "\u200e\u200f"  # left-to-right and right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e"  # direction embeddings, pop, overrides
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # direction isolates
    "\ufeff"  # byte-order mark / zero-width no-break space
)
_INVISIBLE = re.compile(f"[{INVISIBLE_CHARACTERS}]")


def remove_invisible(text: str) -> str:
    """``text`` without invisible format characters (nothing else changes)."""
    return _INVISIBLE.sub("", text)


# Blanks trimmed from the ends of a key (source, record_id) once its invisible characters are gone: space, tab, line
# breaks, no-break space (ingest trims them in SQL, linkage/sources/ingest.py)
KEY_BLANKS = " \t\n\v\f\r\u00a0"


def key_or_none(text: str | None) -> str | None:
    """A key (source, record_id) as ingest stores it: invisible characters removed, ``KEY_BLANKS`` trimmed; None
    when nothing is left (ingest quarantines the row: no source, no record_id). A source copied with a zero-width
    space is that source, for the API and real-time matching as for the nightly."""
    if text is None:
        return None
    return remove_invisible(text).strip(KEY_BLANKS) or None


def visible_or_none(text: str | None) -> str | None:
    """A raw field value without invisible characters; None when nothing visible is left."""
    if text is None:
        return None
    cleaned = text if text.isascii() else remove_invisible(text)  # every invisible character is outside ASCII
    return cleaned if cleaned.strip() else None


DIRECTION_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DIRECTION = re.compile(f"[{DIRECTION_CONTROLS}]")


def show_direction_controls(text: str) -> str:
    """``text`` with each direction mark, embedding, override or isolate written out as ``⟨U+202E⟩``: a stored
    value is shown as recorded, but an override can never turn around what a page shows next to it."""
    return _DIRECTION.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)
