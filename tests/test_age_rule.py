"""The age rule is defined once: the nightly standardizer's SQL and real-time matching's Python agree."""

from __future__ import annotations

import duckdb
import pytest
from snapshot_builder import build_snapshot

from linkage.errors import FieldError
from linkage.fields.age_rule import AGE_PRECISION, age_fill_sql, fill_from_age
from linkage.fields.standardize_one import standardize_record

# (date_of_birth, age, event_date) -> (dob_precision, dob_year_min, dob_year_max)
CASES = [
    ("04/07/2001", None, None, ("day", 2001, 2001)),
    (None, "17", "12/09/2019", (AGE_PRECISION, 2001, 2002)),
    (None, "about 0", "12/09/2019", (AGE_PRECISION, 2016, 2019)),  # never a birth after the event
    (None, "about 1", "2019", (AGE_PRECISION, 2015, 2019)),
    (None, "20s", "2019", (AGE_PRECISION, 1989, 1999)),
    (None, "6 months", "03/05/2020", (AGE_PRECISION, 2019, 2020)),
    ("2001", "17", "2019", ("year", 2001, 2001)),  # a date of birth wins over an age
    ("about 1998", "about 20", "2019", ("range", 1996, 2000)),
    (None, None, "2019", (None, None, None)),
    (None, None, None, (None, None, None)),
]
BIRTH = ("dob_precision", "dob_year_min", "dob_year_max")


def test_python_and_sql_rule_agree_on_every_combination_of_parts():
    """Every mix of given and missing date-of-birth and age outputs fills the same birth columns."""
    parts = [dict(dob_precision=p, dob_year_min=dmin, dob_year_max=dmax, age_year_min=amin, age_year_max=amax)
             for p, dmin, dmax in [(None, None, None), ("day", 2001, 2001), ("range", 1996, 2000)]
             for amin, amax in [(None, None), (2015, 2019), (2019, 2019)]]
    con = duckdb.connect()
    con.execute("CREATE TABLE s (i INTEGER, dob_precision VARCHAR, dob_year_min INTEGER, dob_year_max INTEGER, "
                "age_year_min INTEGER, age_year_max INTEGER)")
    con.executemany("INSERT INTO s VALUES (?, ?, ?, ?, ?, ?)", [[i, *p.values()] for i, p in enumerate(parts)])
    exprs = age_fill_sql("s")
    assert set(exprs) == set(BIRTH)
    rows = con.execute(f"SELECT {', '.join(f'{e} AS {c}' for c, e in exprs.items())} FROM s ORDER BY i").fetchall()
    by_sql = [dict(zip(exprs, row, strict=True)) for row in rows]
    assert by_sql == [fill_from_age(p) for p in parts]
    assert {r["dob_precision"] for r in by_sql} == {None, "day", "range"}


def test_nightly_and_real_time_standardizing_give_the_same_birth_years(tmp_path):
    """The real standardize step on a store and standardize_record on each raw record, case by case."""
    raw = [{"source": "S", "record_id": str(i), "full_name": "Bouasy Thammasack", "date_of_birth": dob, "age": age,
            "event_date": event} for i, (dob, age, event, _) in enumerate(CASES)]
    path = build_snapshot(tmp_path / "laolink.duckdb", raw, standardize=True)
    con = duckdb.connect(str(path), read_only=True)
    try:
        stored = {rid: row for rid, *row in con.execute(
            f"SELECT record_id, {', '.join(BIRTH)} FROM records").fetchall()}
    finally:
        con.close()
    for i, (record, (*_, expected)) in enumerate(zip(raw, CASES, strict=True)):
        real_time = standardize_record(record)
        assert tuple(stored[str(i)]) == tuple(real_time[c] for c in BIRTH) == expected, record


def test_an_age_without_event_is_refused_in_real_time():
    with pytest.raises(FieldError, match="event date") as err:
        standardize_record({"age": "about 1"})
    assert err.value.field == "age"
