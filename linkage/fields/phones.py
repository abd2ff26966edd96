"""Phone numbers as written on Lao and Thai records, to E.164 (+8562055551234).

Rules rather than a library, because the cases that matter are few and local:

* Lao mobiles: 020 + 8 digits (and the older 020 + 7), 030 + 7 or 8 digits; written with or
  without the trunk 0, with or without 856 / +856 / 00856. The eight subscriber digits of a 020
  mobile begin with 2, 5, 7 or 9 (operators' ranges: 22, 28, 55, 56, 58, 59, 76-79, 95-99, ...);
  clerks often write only those eight (55512345), which is read as 020 5551 2345 unless it
  begins with a Lao area code (then it is the landline it looks like).
* Lao landlines: 0 + two-digit area code (021 Vientiane, 041 Savannakhet, 031 Pakse ...) + 6 digits.
* Thai numbers: 06x / 08x / 09x mobiles (0 + 9 digits) and, only when written with +66 / 66,
  landlines (0 + 8 digits). A nine-digit national number such as 041 212 345 is read as a Lao
  landline: Lao records hold far more of those than Thai landlines with the same shape.
* Any other number written with + or 00 and a country code is kept if it has 8 to 15 digits.

When a field holds several numbers ("020 5555 1234 / 030 512 3456") the first is used.
"""

from __future__ import annotations

import re
from functools import lru_cache

from linkage.errors import FieldError

_DIGITS = str.maketrans("໐໑໒໓໔໕໖໗໘໙๐๑๒๓๔๕๖๗๘๙", "01234567890123456789")
_LAO_AREA_CODES = {"21", "23", "31", "34", "36", "38", "41", "51", "54", "61", "64", "71", "74", "81", "84", "86",
                   "88"}
_MOBILE_FIRST_DIGITS = "2579"  # first of the eight subscriber digits of a 020 mobile
_LABEL = re.compile(r"^(?:tel|phone|mobile|mob|cell|ໂທ|ເບີໂທ|โทร|มือถือ)\.?\s*:?\s*", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-.()\u200b]")
_SEVERAL = re.compile(r"\s*(?:[,;/|]|\bor\b|ຫຼື|หรือ)\s*")
_EMPTY = {"-", "--", "n/a", "na", "none", "nil", "no phone", "ບໍ່ມີ", "ไม่มี"}
_PLAIN_NUMBER = "0123456789 +-."  # the characters of a number written alone
_NOTE = re.compile(r"[(\[][^()\[\]\d]*[)\]]")  # whose number it is, in brackets: (ພໍ່), [mother], (บ้าน)


_LAO_MOBILE = re.compile(r"[23]0\d{7,8}")  # 020 or 030 and 7 or 8 digits
_EIGHT_DIGITS = re.compile(r"\d{8}")
_THAI_MOBILE = re.compile(r"[689]\d{8}")
_THAI_LANDLINE = re.compile(r"[2-7]\d{7}")


def _lao(national: str) -> str | None:
    """E.164 for a Lao national number without trunk 0, or None when it has no Lao shape."""
    if _LAO_MOBILE.fullmatch(national):
        return "+856" + national
    if national[:2] in _LAO_AREA_CODES and _EIGHT_DIGITS.fullmatch(national):
        return "+856" + national
    return None


def _lao_mobile_without_20(digits: str) -> str | None:
    """E.164 for the eight subscriber digits of a 020 mobile written alone (55512345)."""
    if _EIGHT_DIGITS.fullmatch(digits) and digits[0] in _MOBILE_FIRST_DIGITS:
        return "+85620" + digits
    return None


def _thai(national: str, *, landline: bool) -> str | None:
    """E.164 for a Thai national number without trunk 0."""
    if _THAI_MOBILE.fullmatch(national):
        return "+66" + national
    if landline and _THAI_LANDLINE.fullmatch(national):
        return "+66" + national
    return None


def _count_digits(text: str) -> int:
    """How many characters of ``text`` are digits (``str.isdigit``; in ASCII text only 0-9 are)."""
    if text.isascii():
        return sum(map(text.count, "0123456789"))
    return sum(c.isdigit() for c in text)


def _one_number(raw: str, text: str) -> str:
    s = _SEPARATORS.sub("", raw)
    international = s.startswith("+") or s.startswith("00")
    digits = s.lstrip("+")
    if digits.startswith("00"):
        digits = digits[2:]
    if not digits.isdigit():
        raise FieldError("a phone number holds only digits, spaces, dashes and a leading +", field="phone", value=text)
    result: str | None = None
    if digits.startswith("856"):
        result = _lao(digits[3:].removeprefix("0"))
    elif digits.startswith("66") and (international or len(digits) in (10, 11)):
        result = _thai(digits[2:].removeprefix("0"), landline=True)
    elif international:
        if 8 <= len(digits) <= 15 and not digits.startswith("0"):
            result = "+" + digits
    elif digits.startswith("0") and not digits.startswith("00"):
        result = _lao(digits[1:]) or _thai(digits[1:], landline=False)
    else:
        result = _lao(digits) or _lao_mobile_without_20(digits)
    if result is None:
        raise FieldError(f"{len(digits)}-digit number is neither a Lao nor a Thai phone number", field="phone",
                         value=text)
    return result


@lru_cache(maxsize=200_000)
def phone_e164(text: str | None) -> str | None:
    """A phone number in E.164 form; None for empty input; FieldError when it is no Lao or Thai number."""
    if text is None:
        return None
    s = text.translate(_DIGITS).strip()
    if not s or s.lower() in _EMPTY:
        return None
    if not s.strip(_PLAIN_NUMBER):  # digits, spaces, dashes, dots, +: no label, note or second number to take off
        return _one_number(s, text)
    s = _NOTE.sub(" ", _LABEL.sub("", s)).strip()
    first = _SEVERAL.split(s, maxsplit=1)[0]
    if _count_digits(first) < 7:  # "020 / 5555 1234": a separator inside one number
        first = _SEVERAL.sub("", s)
    return _one_number(first, text)
