"""Dates as they are really written on Lao and Thai records, parsed with their precision kept.

Day-first is the convention in Laos and Thailand, so ``03/04/1998`` is 3 April 1998. A date whose
second number cannot be a month but whose first can (``04/15/1998``) was written month-first (as
international staff sometimes do); it is accepted as 15 April 1998 and ``day_month_swapped`` says so.

Buddhist-Era years (Thai sources, CE + 543) are converted. With ``buddhist_era=None`` a four-digit
year in 2400..2700 (beyond any Common-Era year a record can hold) is taken as BE, and so is a
two-digit year written with a Thai month name (``15 มี.ค. 41`` is 15 March 2541 BE = 1998).

Impossible dates are errors with a plain reason, never guesses.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from linkage.errors import FieldError

Precision = Literal["day", "month", "year", "range"]

BE_OFFSET = 543
EARLIEST_YEAR = 1880
ABOUT_YEARS = 2  # "about 1998" means 1996..2000
MAX_AGE = 120

_DIGITS = str.maketrans("໐໑໒໓໔໕໖໗໘໙๐๑๒๓๔๕๖๗๘๙", "01234567890123456789")

_EN_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
              "october", "november", "december"]
_LAO_MONTHS = ["ມັງກອນ", "ກຸມພາ", "ມີນາ", "ເມສາ", "ພຶດສະພາ", "ມິຖຸນາ", "ກໍລະກົດ", "ສິງຫາ", "ກັນຍາ", "ຕຸລາ",
               "ພະຈິກ", "ທັນວາ"]
_THAI_MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
                "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]
_THAI_MONTH_ABBR = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.",
                    "ธ.ค."]


def _month_names() -> dict[str, tuple[int, str]]:
    """Every month spelling (lower-case, dots removed) -> (month number, language)."""
    names: dict[str, tuple[int, str]] = {}
    for i, name in enumerate(_EN_MONTHS, start=1):
        names[name] = (i, "en")
        names[name[:3]] = (i, "en")
    names["sept"] = (9, "en")
    for i, name in enumerate(_LAO_MONTHS, start=1):
        names[name] = (i, "lo")
    for i, name in enumerate(_THAI_MONTHS, start=1):
        names[name] = (i, "th")
    for i, abbr in enumerate(_THAI_MONTH_ABBR, start=1):
        names[abbr.replace(".", "")] = (i, "th")
    # Thai month names without their -คม / -ยน endings, as often abbreviated in forms.
    for i, name in enumerate(_THAI_MONTHS, start=1):
        stem = re.sub("(าคม|ายน|าพันธ์)$", "า", name)
        names.setdefault(stem, (i, "th"))
    return names


_MONTHS = _month_names()
_MONTH_SPELLINGS = {*_MONTHS, *_THAI_MONTH_ABBR, *(a.rstrip(".") for a in _THAI_MONTH_ABBR)}
_MONTH_ALT = "|".join(sorted((re.escape(k) for k in _MONTH_SPELLINGS), key=len, reverse=True))

_EMPTY = {"-", "--", "n/a", "na", "nil", "none", "unknown", "ບໍ່ຮູ້", "ບໍ່ຮູ້ຈັກ", "ไม่ทราบ", "ไม่ระบุ"}
_ABOUT = re.compile(r"^(?:about|approx\.?|approximately|around|circa|ca\.?|c\.|c|~|est\.?|estimated|ປະມານ|ประมาณ)\s*")
# The same said after the date: '1998 (approx.)', '1998?', '1998 est.', '1998 ປະມານ'.
_ABOUT_AFTER = re.compile(
    r"\s*(?:\bapprox\.?|\bapproximately|\babout|\bcirca|\bca\.?|\best\.?|\bestimated|\?|ປະມານ|ประมาณ)$")
# 'year' written before a year: 'ປີ 1998', 'ประมาณปี 2541', 'year 1998'.
_YEAR_WORD = re.compile(r"^(?:ປີ|ปี|year|yr\.?)\s*(?=\d)")
_BE_MARK = re.compile(r"(?:พ\.?\s?ศ\.?|ພ\.?\s?ສ\.?|\bb\.?e\.?)(?=\s|\d|$)")
_CE_MARK = re.compile(r"(?:ค\.?\s?ศ\.?|ຄ\.?\s?ສ\.?|\bc\.?e\.?|\ba\.?d\.?)(?=\s|\d|$)")
_LABEL = re.compile(r"^(?:ວັນທີ|ວັນເດືອນປີເກີດ|ເກີດ|วันที่|วันเกิด|เกิด|dob|born|date)\s*:?\s*")
_TIME = re.compile(r"[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")

_NUMERIC_DATE = "0123456789/.-"  # the characters of a date written in numbers alone
_NUM_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_NUM_YMD = re.compile(r"^(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})$")
_NUM_MY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_NUM_YM = re.compile(r"^(\d{4})\s*[/.\-]\s*(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_YEAR_RANGE = re.compile(r"^(\d{4})\s*(?:-|–|to|/)\s*(\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NAME_DMY = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.,]*({_MONTH_ALT})\.?[\s\-/.,]*(\d{{2}}|\d{{4}})$")
_NAME_MDY = re.compile(rf"^({_MONTH_ALT})\.?[\s\-/.]*(\d{{1,2}})(?:st|nd|rd|th)?[\s,]+(\d{{4}})$")
_NAME_MY = re.compile(rf"^({_MONTH_ALT})\.?[\s\-/.,]*(\d{{2}}|\d{{4}})$")


@dataclass(frozen=True)
class ParsedDate:
    """A date with the precision it was written with; ``year_min..year_max`` bound the year."""

    year: int | None
    month: int | None
    day: int | None
    precision: Precision
    year_min: int
    year_max: int
    buddhist_era: bool = False
    day_month_swapped: bool = False

    @property
    def date(self) -> dt.date | None:
        """The calendar date when day, month and year are all known."""
        if self.precision == "day" and self.year and self.month and self.day:
            return dt.date(self.year, self.month, self.day)
        return None


def _clean(text: str) -> str:
    s = re.sub(r"[\s()\[\]]+", " ", text.translate(_DIGITS).lower()).strip()
    return _LABEL.sub("", s)


def _fail(reason: str, text: str) -> FieldError:
    return FieldError(reason, field="date", value=text)


def _resolve_year(raw: str, *, buddhist_era: bool | None, thai_month: bool, today: dt.date,
                  text: str) -> tuple[int, bool]:
    """Turn a written year into a Common-Era year; returns (year, was_buddhist_era)."""
    year = int(raw)
    if len(raw) == 2:
        if buddhist_era or (buddhist_era is None and thai_month):
            year += 2500
        else:
            year += 2000 if 2000 + year <= today.year else 1900
            return year, False
    is_be = buddhist_era if buddhist_era is not None else 2400 <= year <= 2700 and year > today.year + 1
    if is_be:
        year -= BE_OFFSET
    written = f"year {year}" + (f" ({raw} BE)" if is_be else "")
    if int(raw) == 0:
        raise _fail("year 0 does not exist", text)
    if year < EARLIEST_YEAR:
        raise _fail(f"{written} is too early to be a date on a record", text)
    if year > today.year + 1:
        raise _fail(f"{written} is in the future", text)
    return year, bool(is_be)


def _check_day(year: int, month: int, day: int, text: str) -> None:
    if month < 1 or month > 12:
        raise _fail(f"month {month} does not exist", text)
    if day < 1:
        raise _fail(f"day {day} does not exist", text)
    try:
        dt.date(year, month, day)
    except ValueError:
        raise _fail(f"day {day} does not exist in {_EN_MONTHS[month - 1].capitalize()} {year}", text) from None


def _check_future(parsed: ParsedDate, today: dt.date | None, text: str) -> ParsedDate:
    if today is None:
        return parsed
    earliest = dt.date(parsed.year_min, parsed.month or 1, parsed.day or 1) if parsed.year_min == parsed.year_max \
        else dt.date(parsed.year_min, 1, 1)
    if earliest > today:
        raise _fail(f"date {_describe(parsed)} is after today ({today.isoformat()})", text)
    return parsed


def _describe(p: ParsedDate) -> str:
    if p.precision == "day":
        return f"{p.year:04d}-{p.month:02d}-{p.day:02d}"
    if p.precision == "month":
        return f"{p.year:04d}-{p.month:02d}"
    if p.precision == "year":
        return str(p.year)
    return f"{p.year_min}..{p.year_max}"


def parse_date(
    text: str | None, *, buddhist_era: bool | None = None, today: dt.date | None = None
) -> ParsedDate | None:
    """Parse a written date; None for empty input, FieldError for an impossible or unreadable one.

    ``buddhist_era``: True when the source writes BE years, False when it never does, None to detect.
    ``today``: when given, dates after it are errors (for birth dates).
    """
    if text is None:
        return None
    s = text.translate(_DIGITS).lower()
    if not s.strip(_NUMERIC_DATE):  # digits and separators alone: no label, word, mark or time to read around
        if not s or s in _EMPTY:
            return None
        return _check_future(_read_shape(s, text, buddhist_era, today or dt.date.today()), today, text)
    s = _clean(text)
    if not s or s in _EMPTY:
        return None
    ref = today or dt.date.today()
    about = _ABOUT.match(s)
    after = None if about else _ABOUT_AFTER.search(s)
    if about or after:
        inner = _parse_exact(s[about.end():] if about else s[:after.start()], text, buddhist_era, ref)
        year = inner.year if inner.year is not None else (inner.year_min + inner.year_max) // 2
        parsed = ParsedDate(year, None, None, "range", inner.year_min - ABOUT_YEARS, inner.year_max + ABOUT_YEARS,
                            inner.buddhist_era)
        return _check_future(parsed, today, text)
    return _check_future(_parse_exact(s, text, buddhist_era, ref), today, text)


def _parse_exact(s: str, text: str, buddhist_era: bool | None, today: dt.date) -> ParsedDate:
    s = _YEAR_WORD.sub("", _TIME.sub("", s).strip())
    if _BE_MARK.search(s):
        s, buddhist_era = _BE_MARK.sub(" ", s).strip(), True
    elif _CE_MARK.search(s):
        s, buddhist_era = _CE_MARK.sub(" ", s).strip(), False
    return _read_shape(re.sub(r"\s+", " ", s), text, buddhist_era, today)


def _read_shape(s: str, text: str, buddhist_era: bool | None, today: dt.date) -> ParsedDate:
    """The date a cleaned writing without words, marks or time gives by its shape (15/03/1998, 1998-03, ...)."""

    def year_of(raw: str, thai_month: bool = False) -> tuple[int, bool]:
        return _resolve_year(raw, buddhist_era=buddhist_era, thai_month=thai_month, today=today, text=text)

    def full(day: int, month: int, raw_year: str, thai_month: bool = False, swapped: bool = False) -> ParsedDate:
        if day == 0 and month == 0 and int(raw_year) == 0:
            raise _fail("a date of all zeros is a placeholder, not a date", text)
        year, be = year_of(raw_year, thai_month)
        if day == 0 and month == 0:  # 00/00/1998: day and month unknown, the year known
            return ParsedDate(year, None, None, "year", year, year, be)
        _check_day(year, month, day, text)
        return ParsedDate(year, month, day, "day", year, year, be, swapped)

    def month_year(month: int, raw_year: str, thai_month: bool = False) -> ParsedDate:
        year, be = year_of(raw_year, thai_month)
        if month < 1 or month > 12:
            raise _fail(f"month {month} does not exist", text)
        return ParsedDate(year, month, None, "month", year, year, be)

    if m := _NUM_DMY.match(s):
        first, second, raw_year = int(m[1]), int(m[2]), m[3]
        if second > 12 and 1 <= first <= 12:
            return full(second, first, raw_year, swapped=True)
        return full(first, second, raw_year)
    if m := (_NUM_YMD.match(s) or _COMPACT.match(s)):
        return full(int(m[3]), int(m[2]), m[1])
    if m := _NUM_MY.match(s):
        return month_year(int(m[1]), m[2])
    if m := _NUM_YM.match(s):
        return month_year(int(m[2]), m[1])
    if m := _YEAR.match(s):
        year, be = year_of(m[1])
        return ParsedDate(year, None, None, "year", year, year, be)
    if m := _YEAR_RANGE.match(s):
        (y1, be1), (y2, be2) = year_of(m[1]), year_of(m[2])
        if y1 > y2:
            raise _fail(f"year range {y1}..{y2} runs backwards", text)
        return ParsedDate(None, None, None, "range", y1, y2, be1 or be2)
    if m := _NAME_DMY.match(s):
        month, lang = _month_of(m[2])
        return full(int(m[1]), month, m[3], thai_month=lang == "th")
    if m := _NAME_MDY.match(s):
        month, lang = _month_of(m[1])
        return full(int(m[2]), month, m[3], thai_month=lang == "th")
    if m := _NAME_MY.match(s):
        month, lang = _month_of(m[1])
        return month_year(month, m[2], thai_month=lang == "th")
    raise _fail("not a date in any known format (e.g. 15/03/1998, 1998-03-15, 15 March 1998)", text)


def _month_of(name: str) -> tuple[int, str]:
    return _MONTHS[name.replace(".", "")]


_AGE = re.compile(
    r"^(?:(?:age[ds]?|ອາຍຸ|อายุ)\s*:?\s*)?"  # the word for age written first: 'ອາຍຸ 17 ປີ', 'อายุ 17 ปี', 'aged 17'
    r"(?P<about>about|approx\.?|approximately|around|circa|ca\.?|c\.|~|ປະມານ|ประมาณ)?\s*"
    r"(?P<age>\d{1,3}(?:\.\d+)?)(?P<decade>s|'s)?"
    r"(?:\s*(?:-|–|to)\s*(?P<age2>\d{1,3}))?\s*"
    r"(?P<unit>years?(?: old)?|yrs?\.?(?: old)?|y\.?o\.?|y/o|y|months?|mos?|ປີ|ເດືອນ|ปี|เดือน|ขวบ)?\s*"
    r"(?:\+)?$"
)


def birth_years_from_age(age_text: str | None, event_date: ParsedDate | dt.date | None) -> tuple[int, int] | None:
    """Turn an age at an event into the range of possible birth years (inclusive).

    Someone aged 17 in 2019 was born in 2001 or 2002; 'about 20' widens the range by two years each way,
    '20s' means aged 20..29. None for an empty age; FieldError for an impossible age or a missing event date.
    """
    if age_text is None:
        return None
    ages = _age_span(age_text)
    if ages is None:
        return None
    low, high, spread = ages
    if event_date is None:
        raise FieldError("an age cannot become a birth year without an event date", field="age", value=age_text)
    if isinstance(event_date, ParsedDate):
        ev_min, ev_max = event_date.year_min, event_date.year_max
    else:
        ev_min = ev_max = event_date.year
    # 'about 0' or 'about 1' widens past the event: nobody is born after the event that records their age.
    return ev_min - high - 1 - spread, min(ev_max - low + spread, ev_max)


@lru_cache(maxsize=10_000)
def _age_span(age_text: str) -> tuple[int, int, int] | None:
    """The youngest and oldest age an age says and the years 'about' adds each way; None for an empty age,
    FieldError for an impossible one. Read once per writing: ages repeat at every event date."""
    s = _clean(age_text)
    if not s or s in _EMPTY:
        return None
    if re.fullmatch(r"-\s*\d+(?:\.\d+)?", s):
        raise FieldError(f"age {s} is negative", field="age", value=age_text)
    m = _AGE.match(s)
    if not m:
        raise FieldError("not an age in years (e.g. 17, about 20, 17 years)", field="age", value=age_text)
    months = m["unit"] is not None and m["unit"].startswith(("month", "mo", "ເດືອນ", "เดือน"))
    low = int(float(m["age"])) // (12 if months else 1)
    high = low + 9 if m["decade"] else (int(m["age2"]) // (12 if months else 1) if m["age2"] else low)
    if m["decade"] and low % 10:
        raise FieldError(f"'{m['age']}s' is not a decade of life", field="age", value=age_text)
    if high < low:
        raise FieldError(f"age range {low}..{high} runs backwards", field="age", value=age_text)
    if high > MAX_AGE:
        raise FieldError(f"age {high} is over {MAX_AGE}", field="age", value=age_text)
    return low, high, ABOUT_YEARS if m["about"] else 0
