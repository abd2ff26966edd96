"""Split a recorded name into given and family name, without its honorifics and ranks.

Lao order is given name then family name. Sources show the other order in two
ways: a comma ("Thammasack, Bouasy") or the family name in capitals first
("THAMMASACK Bouasy", the passport habit). A name of one word is a given name
or nickname only. Given and family names supplied by the source win over a
split of the full name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from linkage.fields.name_key import detect_script, name_key, romanize_name

# Latin honorifics, ranks and titles, compared after lower-casing and removing dots.
LATIN_TITLES: dict[str, str] = {
    "mr": "mr", "mrs": "mrs", "ms": "ms", "miss": "miss", "mx": "mx", "mister": "mr",
    "madam": "madam", "madame": "madam", "mme": "madam", "mlle": "miss", "m": "mr",
    "monsieur": "mr", "dr": "dr", "doctor": "dr", "prof": "prof", "professor": "prof",
    "he": "he", "hon": "hon", "sir": "sir",
    "lt": "lt", "lieutenant": "lt", "col": "col", "colonel": "col", "maj": "maj", "major": "maj",
    "gen": "gen", "general": "gen", "brig": "brig", "capt": "capt", "captain": "capt",
    "cpt": "capt", "sgt": "sgt", "sergeant": "sgt", "cpl": "cpl", "corporal": "cpl",
    "pvt": "pvt", "private": "pvt", "pol": "pol", "police": "pol", "insp": "insp",
    "inspector": "insp", "snr": "snr", "jnr": "jnr", "sub": "sub", "2nd": "2nd", "1st": "1st",
    # Lao and Thai honorifics written in Latin letters.
    "nang": "nang", "thao": "thao", "tao": "thao", "sao": "sao", "than": "than",
    "nai": "nai", "nangsao": "nangsao", "khun": "khun", "dekying": "dekying", "dekchai": "dekchai",
}
# Lao and Thai Latin-letter honorifics that are also family names (Thao is a Hmong
# clan name): a title only when first, and not when it is the one word in capitals.
AMBIGUOUS_LATIN = frozenset({"thao", "tao", "sao", "than", "nai", "khun", "m"})

# Lao- and Thai-script titles, longest first; these may be written glued to the name.
SCRIPT_TITLES: list[tuple[str, str]] = sorted(
    [
        ("ທ່ານນາງ", "madam"), ("ທ່ານ", "than"), ("ນາງ", "nang"), ("ທ້າວ", "thao"), ("ສາວ", "sao"),
        ("ພັນເອກ", "col"), ("ພັນໂທ", "lt col"), ("ພັນຕີ", "maj"), ("ຮ້ອຍເອກ", "capt"),
        ("ຮ້ອຍໂທ", "lt"), ("ຮ້ອຍຕີ", "sub lt"), ("ດຣ.", "dr"), ("ປອ.", "dr"),
        ("นางสาว", "nangsao"), ("เด็กหญิง", "dekying"), ("เด็กชาย", "dekchai"), ("นาย", "nai"),
        ("นาง", "nang"), ("ด.ญ.", "dekying"), ("ด.ช.", "dekchai"), ("น.ส.", "nangsao"),
        ("ดร.", "dr"), ("คุณ", "khun"),
        ("พันตำรวจเอก", "pol col"), ("พันตำรวจโท", "pol lt col"), ("พันตำรวจตรี", "pol maj"),
        ("ร้อยตำรวจเอก", "pol capt"), ("ร้อยตำรวจโท", "pol lt"), ("ร้อยตำรวจตรี", "pol sub lt"),
        ("พันเอก", "col"), ("พันโท", "lt col"), ("พันตรี", "maj"), ("ร้อยเอก", "capt"), ("ร้อยโท", "lt"),
        ("ร้อยตรี", "sub lt"),
    ],
    key=lambda t: -len(t[0]),
)
# Titles that would eat the start of a real name if stripped when glued on.
SEPARATE_ONLY = frozenset({"ສາວ", "คุณ"})
# Abbreviated ranks in Lao or Thai script: letters with dots, e.g. ພ.ອ., พ.ต.อ., ท., ນ.
_SCRIPT_ABBREVIATION = re.compile("^(?:[\u0e81-\u0eae\u0e01-\u0e2e][\u0e30-\u0e4e\u0eb0-\u0ecd]*\\.)+")
_ABBREV_LABELS = {"ທ.": "thao", "ນ.": "nang", **{t: label for t, label in SCRIPT_TITLES if t.endswith(".")}}


@dataclass(frozen=True)
class ParsedName:
    """A name split into parts: finer forms (romanized) and Lao name keys."""

    given_std: str | None
    family_std: str | None
    given_key: str | None
    family_key: str | None
    honorifics: tuple[str, ...]
    swapped: bool
    nickname_only: bool
    script: str


@lru_cache(maxsize=100_000)
def _latin_title(token: str) -> str | None:
    return LATIN_TITLES.get(token.lower().replace(".", "").strip(",")) if token else None


@lru_cache(maxsize=100_000)
def _script_titles_at_start(token: str) -> tuple[tuple[str, str], ...]:
    """The Lao- and Thai-script titles (with labels) the token starts with, longest first."""
    return tuple((title, label) for title, label in SCRIPT_TITLES if token.startswith(title))


@lru_cache(maxsize=100_000)
def _may_be_title(token: str) -> bool:
    """Whether a title can start this token; names repeat their words, so each is looked at once."""
    return (_latin_title(token) is not None or _SCRIPT_ABBREVIATION.match(token) is not None
            or bool(_script_titles_at_start(token)))


def _leading_title(tokens: list[str], n_found: int) -> tuple[str, list[str]] | None:
    """The title at the start of tokens and the tokens left after it, or None."""
    tok, rest = tokens[0], tokens[1:]
    label = _latin_title(tok)
    if label is not None:
        if not rest:
            return None
        ambiguous = tok.lower() in AMBIGUOUS_LATIN
        if ambiguous and (n_found or (_is_caps(tok) and not any(_is_caps(t) for t in rest))):
            return None
        return label, rest
    m = _SCRIPT_ABBREVIATION.match(tok)
    if m and (len(tok) > m.end() or rest):
        glued = tok[m.end():]
        return _ABBREV_LABELS.get(m.group(0), m.group(0)), ([glued] if glued else []) + rest
    for title, label in _script_titles_at_start(tok):
        if tok == title and rest:
            return label, rest
        if tok.startswith(title) and title not in SEPARATE_ONLY and len(tok) > len(title) + 1:
            return label, [tok[len(title):]] + rest
    return None


_BRACKETED = re.compile(r"[(\[{][^)\]}]*[)\]}]")
_ALIAS = re.compile(r"\s(?:aka|a\.k\.a\.?|alias|dit|or)\s.*$", re.IGNORECASE)
_ALIAS_WORDS = ("aka", "a.k.a", "alias", "dit", "or")  # one of them is in any ASCII text _ALIAS finds (lower-cased)
_GLUED_DOT = re.compile(r"\.(?<=[A-Za-z]{2}\.)(?=[A-Za-z])")  # Ms.Bouasy, Lt.Col. but not H.E. (dot first: faster)


def _clean(text: str) -> str:
    """Drop bracketed remarks and aliases ("Bouasy (Noy)", "Bouasy aka Noy"); unglue "Ms.Bouasy"."""
    if "(" in text or "[" in text or "{" in text:
        unbracketed = _BRACKETED.sub(" ", text)
        if unbracketed.strip():
            text = unbracketed
    lower = text.lower()
    if not text.isascii() or any(word in lower for word in _ALIAS_WORDS):
        text = _ALIAS.sub("", text)
    return _GLUED_DOT.sub(". ", text) if "." in text else text


def _strip_titles(text: str | None) -> tuple[str, tuple[str, ...]]:
    """Remove leading honorifics/ranks; returns the rest and the titles found."""
    if not text:
        return "", ()
    text = _clean(text)
    titles: list[str] = []
    tokens = text.replace("\u200b", " ").split()
    while tokens and _may_be_title(tokens[0]):
        found = _leading_title(tokens, len(titles))
        if found is None:
            break
        titles.append(found[0])
        tokens = found[1]
    return " ".join(tokens), tuple(titles)


# Given and family names recur from record to record: each is stripped once. Full names seldom recur: a cache of them
# cost the batch more than it saved.
_strip_part_titles = lru_cache(maxsize=200_000)(_strip_titles)


@lru_cache(maxsize=200_000)
def _is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


def _split_full(text: str) -> tuple[str, str, bool]:
    """(given, family, swapped) from a full name with titles removed."""
    if "," in text:
        family, _, given = text.partition(",")
        family, given = family.strip(), _strip_titles(given)[0].strip()
        if family and given:
            return given, family, True
        text = family or given
    words = text.split()
    if len(words) <= 1:
        return text, "", False
    if _is_caps(words[0]):
        caps = [_is_caps(w) for w in words]
        if not all(caps):
            n_caps = caps.index(False)
            return " ".join(words[n_caps:]), " ".join(words[:n_caps]), True
    return words[0], " ".join(words[1:]), False


def _remove_words(full: str, part: str) -> str:
    """The words of full that are not words of part (compared by name key)."""
    part_keys = set(name_key(part).split())
    return " ".join(w for w in full.split() if name_key(w) not in part_keys)


@lru_cache(maxsize=200_000)
def _part_forms(text: str) -> tuple[str | None, str | None]:
    """Finer form and key of a whole name part; the key reads its words written together (Keo Bounphanh =
    Keobounphanh, ບົວ ສີ = ບົວສີ)."""
    finer = romanize_name(text)
    return finer or None, name_key("".join(finer.split())) or None


NameParts = tuple[str | None, str | None, str | None, str | None, tuple[str, ...], bool, bool, str]


def name_parts(full_name: str | None, given_name: str | None, family_name: str | None) -> NameParts:
    """``parse_name``'s fields as a plain tuple in ``ParsedName``'s order: the batch reads a million names a night
    and needs no object for each."""
    full, t_full = _strip_titles(full_name) if full_name else ("", ())
    given, t_given = _strip_part_titles(given_name)
    family, t_family = _strip_part_titles(family_name)
    honorifics = tuple(dict.fromkeys(t_full + t_given + t_family)) if t_full or t_given or t_family else ()
    swapped = False
    if not full and bool(given) != bool(family) and len((given or family).split()) > 1:
        full, given, family = given or family, "", ""  # whole name put in one part
    if given or family:
        if given and family and _is_caps(given) and not _is_caps(family):
            given, family, swapped = family, given, True
        elif full and not family:
            family = _remove_words(full, given)
        elif full and not given:
            given = _remove_words(full, family)
    elif full:
        given, family, swapped = _split_full(full)
    given_std, given_key = _part_forms(given)
    family_std, family_key = _part_forms(family)
    nickname_only = given_std is not None and family_std is None and " " not in given_std
    script = detect_script(" ".join(filter(None, (full_name, given_name, family_name))))
    return given_std, family_std, given_key, family_key, honorifics, swapped, nickname_only, script


@lru_cache(maxsize=200_000)
def parse_name(full_name: str | None, given_name: str | None, family_name: str | None) -> ParsedName:
    """Given and family name (finer forms and keys), honorifics stripped, swapped order detected."""
    return ParsedName(*name_parts(full_name, given_name, family_name))
