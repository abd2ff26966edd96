"""The pair page shows each birth date as standardized beside what the source wrote, partial dates too."""

from __future__ import annotations

import pytest

from api.pages.pair import _standardized


@pytest.mark.parametrize(
    ("record", "shown"),
    [
        ({"date_of_birth": "2544", "dob_year": 2001, "dob_year_min": 2001, "dob_year_max": 2001}, "2001"),  # BE year
        ({"date_of_birth": "07/2544", "dob_year": 2001, "dob_month": 7}, "07/2001"),
        ({"date_of_birth": None, "age": "34", "dob_year_min": 1990, "dob_year_max": 1991}, "1990–1991"),
        ({"date_of_birth": "04/07/2544", "dob": "2001-07-04", "dob_year": 2001}, "2001-07-04"),
        ({"date_of_birth": "unknown"}, None),
    ],
)
def test_birth_dates_as_standardized(record, shown):
    assert _standardized(record, "dob") == shown


def test_other_fields_are_their_standardized_column():
    assert _standardized({"phone_e164": "+8562055550101"}, "phone_e164") == "+8562055550101"
    assert _standardized({"role": "victim"}, None) is None
