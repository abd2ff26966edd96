"""The ways a value gets written down or miswritten: typos, date, phone, ID, sex and nationality formats.

Every function is pure: the randomness comes in as floats in [0, 1) drawn ahead by the caller, so a
record renders the same whether it is rendered alone or with its whole file.
"""

from __future__ import annotations

_QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ADJACENT: dict[str, str] = {}
for _r, _row in enumerate(_QWERTY_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[i] for i in (_c - 1, _c + 1) if 0 <= i < len(_row)]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_QWERTY_ROWS):
                near += [_QWERTY_ROWS[_other][i] for i in (_c, _c + 1) if i < len(_QWERTY_ROWS[_other])]
        _ADJACENT[_ch] = "".join(near)

TYPO_KINDS = ("substitute", "delete", "transpose", "double")


def latin_typo(text: str, u_kind: float, u_pos: float) -> str:
    """One keyboard slip in a Latin name: adjacent-key substitution, deletion, transposition or doubling."""
    if len(text) < 3:
        return text
    kind = TYPO_KINDS[int(u_kind * len(TYPO_KINDS))]
    pos = 1 + int(u_pos * (len(text) - 2))  # keep the first letter: people rarely miss it
    ch = text[pos]
    if kind == "substitute":
        near = _ADJACENT.get(ch.lower(), "")
        if not near:
            return text[:pos] + text[pos + 1:]
        new = near[int(u_pos * 997) % len(near)]
        return text[:pos] + (new.upper() if ch.isupper() else new) + text[pos + 1:]
    if kind == "delete":
        return text[:pos] + text[pos + 1:]
    if kind == "transpose" and pos + 1 < len(text):
        return text[:pos] + text[pos + 1] + ch + text[pos + 2:]
    return text[:pos] + ch + text[pos:]


_LAO_TONES = "່້໊໋"
_LAO_LOOKALIKE = {"ສ": "ຊ", "ຊ": "ສ", "ດ": "ຕ", "ຕ": "ດ", "ບ": "ປ", "ປ": "ບ", "ີ": "ິ", "ິ": "ີ", "ູ": "ຸ", "ຸ": "ູ"}


def lao_typo(text: str, u_kind: float, u_pos: float) -> str:
    """A Lao-script slip: a dropped tone mark, or a look-alike consonant or vowel length."""
    if u_kind < 0.5 and any(t in text for t in _LAO_TONES):
        for t in _LAO_TONES:
            text = text.replace(t, "", 1)
        return text
    spots = [i for i, ch in enumerate(text) if ch in _LAO_LOOKALIKE]
    if not spots:
        return text
    i = spots[int(u_pos * len(spots))]
    return text[:i] + _LAO_LOOKALIKE[text[i]] + text[i + 1:]


_THAI_TONES = "่้๊๋็"


def thai_typo(text: str, u_kind: float, u_pos: float) -> str:
    """A Thai-script slip: a dropped tone mark, or a dropped letter."""
    for t in _THAI_TONES:
        if t in text:
            return text.replace(t, "", 1)
    if len(text) < 3:
        return text
    pos = 1 + int(u_pos * (len(text) - 2))
    return text[:pos] + text[pos + 1:]


DATE_STYLES = ("dmy", "iso", "be", "mdy", "year", "month_year", "dmy_dash", "dmy_dot")


def format_date(year: int, month: int, day: int, style: str) -> str:
    """A date as a source writes it; ``mdy`` is the day/month transposition of a careless hand."""
    if style == "dmy":
        return f"{day:02d}/{month:02d}/{year}"
    if style == "iso":
        return f"{year}-{month:02d}-{day:02d}"
    if style == "be":
        return f"{day:02d}/{month:02d}/{year + 543}"
    if style == "mdy":
        return f"{month:02d}/{day:02d}/{year}"
    if style == "year":
        return str(year)
    if style == "month_year":
        return f"{month:02d}/{year}"
    if style == "dmy_dash":
        return f"{day:02d}-{month:02d}-{year}"
    if style == "dmy_dot":
        return f"{day}.{month}.{year}"
    raise ValueError(f"unknown date style {style!r}")


LAO_PHONE_STYLES = ("intl_spaced", "national", "dashed", "national_spaced", "bare")


def format_lao_phone(digits: str, style: str) -> str:
    """A Lao mobile number (``digits`` = 20XXXXXXXX) written in one of the usual ways."""
    a, b, c = digits[:2], digits[2:6], digits[6:]
    if style == "intl_spaced":
        return f"+856 {a} {b} {c}"
    if style == "national":
        return f"0{digits}"
    if style == "dashed":
        return f"856-{a}-{b}{c}"
    if style == "national_spaced":
        return f"0{a} {b} {c}"
    return digits


THAI_PHONE_STYLES = ("dashed", "national", "intl")


def format_thai_phone(digits: str, style: str) -> str:
    """A Thai mobile number (``digits`` = 8XXXXXXXX, without the trunk 0)."""
    if style == "dashed":
        return f"0{digits[:2]}-{digits[2:5]}-{digits[5:]}"
    if style == "national":
        return f"0{digits}"
    return f"+66 {digits[:2]} {digits[2:5]} {digits[5:]}"


ID_STYLES = ("plain", "spaced", "dashed")


def format_id(number: str, style: str) -> str:
    """A passport (P1234567) or ID-card number (12 digits), with the spaces or dashes people add."""
    if style == "plain":
        return number
    sep = " " if style == "spaced" else "-"
    if number[0].isalpha():
        if style == "spaced":
            return f"{number[0]}{sep}{number[1:4]}{sep}{number[4:]}"
        return f"{number[0]}{sep}{number[1:]}"
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


SEX_STYLES = ("letter", "word", "lao", "thai", "missing")
_SEX = {
    "letter": ("F", "M"),
    "word": ("female", "male"),
    "lao": ("ຍິງ", "ຊາຍ"),
    "thai": ("หญิง", "ชาย"),
    "missing": ("", ""),
}


def format_sex(is_male: bool, style: str) -> str:
    return _SEX[style][int(is_male)]


NATIONALITY_STYLES = ("Lao", "LA", "LAO", "ລາວ", "ลาว", "Laotian", "")
