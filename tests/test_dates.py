"""Dates as really written on Lao and Thai records; ages turned into birth-year ranges."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.errors import FieldError
from linkage.fields.dates import ParsedDate, birth_years_from_age, parse_date

TODAY = dt.date(2026, 11, 22)

DAY_DATES = [
    # (as written, year, month, day, converted from Buddhist Era)
    ("15/03/1998", 1998, 3, 15, False),
    ("5/3/1998", 1998, 3, 5, False),
    ("5/3/98", 1998, 3, 5, False),
    ("5/3/05", 2005, 3, 5, False),
    ("1998-03-15", 1998, 3, 15, False),
    ("1998/3/15", 1998, 3, 15, False),
    ("15-03-1998", 1998, 3, 15, False),
    ("15.03.1998", 1998, 3, 15, False),
    ("1998-03-15 00:00:00", 1998, 3, 15, False),
    ("19980315", 1998, 3, 15, False),
    ("15/03/2541", 1998, 3, 15, True),
    ("04/07/2544", 2001, 7, 4, True),
    ("04/07/2001", 2001, 7, 4, False),
    ("12/09/2019", 2019, 9, 12, False),
    ("15 March 1998", 1998, 3, 15, False),
    ("15 Mar 1998", 1998, 3, 15, False),
    ("15-Mar-1998", 1998, 3, 15, False),
    ("March 15, 1998", 1998, 3, 15, False),
    ("Sept 1 2001", 2001, 9, 1, False),
    ("1st January 2000", 2000, 1, 1, False),
    ("15 ມີນາ 1998", 1998, 3, 15, False),
    ("4 ກໍລະກົດ 2001", 2001, 7, 4, False),
    ("1 ທັນວາ 1999", 1999, 12, 1, False),
    ("15 มีนาคม 2541", 1998, 3, 15, True),
    ("4 กรกฎาคม 2544", 2001, 7, 4, True),
    ("15 มี.ค. 2541", 1998, 3, 15, True),
    ("15 มี.ค. 41", 1998, 3, 15, True),
    ("4 ก.ค. 44", 2001, 7, 4, True),
    ("4 ก.ค 2544", 2001, 7, 4, True),
    ("04/07/2544 (BE)", 2001, 7, 4, True),
    ("๑๕ มีนาคม ๒๕๔๑", 1998, 3, 15, True),
    ("๑๕/๐๓/๒๕๔๑", 1998, 3, 15, True),
    ("໑໕/໐໓/໑໙໙໘", 1998, 3, 15, False),
    ("15 มีนาคม พ.ศ. 2541", 1998, 3, 15, True),
    ("15/03/1998 ค.ศ.", 1998, 3, 15, False),
    ("ວັນທີ 15/03/1998", 1998, 3, 15, False),
    ("วันที่ 15 มีนาคม 2541", 1998, 3, 15, True),
]


@pytest.mark.parametrize(("text", "year", "month", "day", "be"), DAY_DATES)
def test_day_precision_dates(text: str, year: int, month: int, day: int, be: bool) -> None:
    d = parse_date(text, today=TODAY)
    assert d is not None
    assert (d.year, d.month, d.day, d.precision, d.buddhist_era) == (year, month, day, "day", be)
    assert d.date == dt.date(year, month, day)
    assert (d.year_min, d.year_max) == (year, year)


@pytest.mark.parametrize(
    ("text", "precision", "year", "month", "year_min", "year_max"),
    [
        ("1998", "year", 1998, None, 1998, 1998),
        ("2541", "year", 1998, None, 1998, 1998),
        ("พ.ศ. 2541", "year", 1998, None, 1998, 1998),
        ("03/1998", "month", 1998, 3, 1998, 1998),
        ("1998-03", "month", 1998, 3, 1998, 1998),
        ("March 1998", "month", 1998, 3, 1998, 1998),
        ("ມີນາ 1998", "month", 1998, 3, 1998, 1998),
        ("มีนาคม 2541", "month", 1998, 3, 1998, 1998),
        ("about 1998", "range", 1998, None, 1996, 2000),
        ("c. 1998", "range", 1998, None, 1996, 2000),
        ("ca 1998", "range", 1998, None, 1996, 2000),
        ("ປະມານ 1998", "range", 1998, None, 1996, 2000),
        ("ประมาณ 2541", "range", 1998, None, 1996, 2000),
        ("1995-1998", "range", None, None, 1995, 1998),
        # an approximate year said after it, with 'year' written before it, or estimated
        ("1998 (approx.)", "range", 1998, None, 1996, 2000),
        ("2003 (approx)", "range", 2003, None, 2001, 2005),
        ("1998 approx.", "range", 1998, None, 1996, 2000),
        ("c.1998", "range", 1998, None, 1996, 2000),
        ("ca. 1998", "range", 1998, None, 1996, 2000),
        ("1998?", "range", 1998, None, 1996, 2000),
        ("1998 (est.)", "range", 1998, None, 1996, 2000),
        ("est. 1998", "range", 1998, None, 1996, 2000),
        ("1998 ປະມານ", "range", 1998, None, 1996, 2000),
        ("ປະມານປີ 1998", "range", 1998, None, 1996, 2000),
        ("ປະມານ ປີ 1998", "range", 1998, None, 1996, 2000),
        ("ประมาณปี 2541", "range", 1998, None, 1996, 2000),
        ("2541 ประมาณ", "range", 1998, None, 1996, 2000),
        ("ປີ 1998", "year", 1998, None, 1998, 1998),
        ("ปี 2541", "year", 1998, None, 1998, 1998),
        ("year 1998", "year", 1998, None, 1998, 1998),
    ],
)
def test_partial_dates_keep_precision(text: str, precision: str, year: int | None, month: int | None,
                                      year_min: int, year_max: int) -> None:
    d = parse_date(text, today=TODAY)
    assert d is not None
    assert (d.precision, d.year, d.month, d.day, d.year_min, d.year_max) == (
        precision, year, month, None, year_min, year_max)
    assert d.date is None


def test_month_first_is_accepted_only_when_unambiguous() -> None:
    swapped = parse_date("04/15/1998")
    assert swapped is not None
    assert (swapped.day, swapped.month, swapped.day_month_swapped) == (15, 4, True)
    day_first = parse_date("04/05/1998")
    assert day_first is not None
    assert (day_first.day, day_first.month, day_first.day_month_swapped) == (4, 5, False)


def test_buddhist_era_flag() -> None:
    be = parse_date("01/01/2541", buddhist_era=True)
    assert be is not None and be.year == 1998
    two_digit = parse_date("01/01/41", buddhist_era=True)
    assert two_digit is not None and two_digit.year == 1998
    with pytest.raises(FieldError, match="year 2541 is in the future"):
        parse_date("01/01/2541", buddhist_era=False)
    with pytest.raises(FieldError, match=r"year 1455 \(1998 BE\) is too early"):
        parse_date("01/01/1998", buddhist_era=True)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2001", "day 31 does not exist in February 2001"),
        ("29/02/2001", "day 29 does not exist in February 2001"),
        ("31/04/1999", "day 31 does not exist in April 1999"),
        ("30 ກຸມພາ 2000", "day 30 does not exist in February 2000"),
        ("00/00/0000", "a date of all zeros is a placeholder, not a date"),
        ("15/13/2001", "month 13 does not exist"),
        ("13/13/2001", "month 13 does not exist"),
        ("00/03/2001", "day 0 does not exist"),
        ("13/2001", "month 13 does not exist"),
        ("15/03/1500", "year 1500 is too early to be a date on a record"),
        ("15/03/2200", "year 2200 is in the future"),
        ("2027-01-01", "date 2027-01-01 is after today (2026-11-22)"),
        ("2000-1995", "year range 2000..1995 runs backwards"),
        ("yesterday", "not a date in any known format (e.g. 15/03/1998, 1998-03-15, 15 March 1998)"),
    ],
)
def test_impossible_dates_give_their_reason(text: str, reason: str) -> None:
    with pytest.raises(FieldError) as err:
        parse_date(text, today=TODAY)
    assert err.value.reason == reason
    assert err.value.value == text


def test_future_is_judged_against_today() -> None:
    d = parse_date("2027-01-01", today=dt.date(2027, 6, 1))
    assert d is not None and d.year == 2027


@pytest.mark.parametrize("text", [None, "", "   ", "-", "unknown", "ບໍ່ຮູ້", "ไม่ทราบ"])
def test_empty_is_none(text: str | None) -> None:
    assert parse_date(text) is None


EVENT = parse_date("12/09/2019")


@pytest.mark.parametrize(
    ("age", "years"),
    [
        ("17", (2001, 2002)),
        ("17 years", (2001, 2002)),
        ("17 years old", (2001, 2002)),
        ("17 yrs", (2001, 2002)),
        ("17 ປີ", (2001, 2002)),
        ("17 ปี", (2001, 2002)),
        ("๑๗ ปี", (2001, 2002)),
        ("໑໗", (2001, 2002)),
        ("about 20", (1996, 2001)),
        ("ປະມານ 20 ປີ", (1996, 2001)),
        ("20s", (1989, 1999)),
        ("17-18", (2000, 2002)),
        ("6 months", (2018, 2019)),
        ("0", (2018, 2019)),
        ("about 0", (2016, 2019)),  # 'about' widens the range, never past the event
        ("about 1", (2015, 2019)),
        ("ອາຍຸ 17 ປີ", (2001, 2002)),  # the word for age written first
        ("อายุ 17 ปี", (2001, 2002)),
        ("aged 17", (2001, 2002)),
        ("Age: 17", (2001, 2002)),
    ],
)
def test_age_to_birth_years(age: str, years: tuple[int, int]) -> None:
    assert birth_years_from_age(age, EVENT) == years


def test_age_with_plain_date_and_ranged_event() -> None:
    assert birth_years_from_age("17", dt.date(2019, 9, 12)) == (2001, 2002)
    assert birth_years_from_age("17", parse_date("about 2019")) == (1999, 2004)


@pytest.mark.parametrize(
    ("age", "reason"),
    [
        ("-3", "age -3 is negative"),
        ("130", "age 130 is over 120"),
        ("25s", "'25s' is not a decade of life"),
        ("old", "not an age in years (e.g. 17, about 20, 17 years)"),
    ],
)
def test_impossible_ages(age: str, reason: str) -> None:
    with pytest.raises(FieldError) as err:
        birth_years_from_age(age, EVENT)
    assert err.value.reason == reason


def test_age_without_event_date_is_an_error_and_empty_age_is_none() -> None:
    with pytest.raises(FieldError, match="without an event date"):
        birth_years_from_age("17", None)
    assert birth_years_from_age("", EVENT) is None
    assert birth_years_from_age(None, EVENT) is None


@given(st.text(max_size=30))
def test_parse_date_raises_only_field_error(text: str) -> None:
    try:
        d = parse_date(text, today=TODAY)
    except FieldError:
        return
    assert d is None or isinstance(d, ParsedDate)
    if d is not None:
        assert d.year_min <= d.year_max


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
       st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d %B %Y", "%b %d, %Y", "%d-%b-%Y"]))
def test_every_real_date_round_trips(day: dt.date, fmt: str) -> None:
    d = parse_date(day.strftime(fmt), today=TODAY)
    assert d is not None and d.date == day


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
def test_buddhist_era_dates_convert(day: dt.date) -> None:
    d = parse_date(f"{day.day:02d}/{day.month:02d}/{day.year + 543}", buddhist_era=True)
    assert d is not None and d.date == day and d.buddhist_era


@given(st.text(max_size=12))
def test_age_raises_only_field_error(text: str) -> None:
    try:
        years = birth_years_from_age(text, EVENT)
    except FieldError:
        return
    assert years is None or years[0] <= years[1]
