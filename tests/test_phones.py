"""Phone numbers as written on Lao and Thai records, to E.164."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.errors import FieldError
from linkage.fields.phones import phone_e164


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("+856 20 5555 1234", "+8562055551234"),
        ("+856-20-5555-1234", "+8562055551234"),
        ("02055551234", "+8562055551234"),
        ("020 5555 1234", "+8562055551234"),
        ("(020) 5555-1234", "+8562055551234"),
        ("856-20-55551234", "+8562055551234"),
        ("8562055551234", "+8562055551234"),
        ("00856 20 5555 1234", "+8562055551234"),
        ("+856 020 5555 1234", "+8562055551234"),
        ("20 5555 1234", "+8562055551234"),
        ("2055551234", "+8562055551234"),
        ("020 5 123 456", "+856205123456"),
        ("030 512 3456", "+856305123456"),
        ("030 5123 4567", "+8563051234567"),
        ("+856 30 512 3456", "+856305123456"),
        ("021 212 345", "+85621212345"),
        ("041-212-345", "+85641212345"),
        ("+856 21 212345", "+85621212345"),
        ("081 234 5678", "+66812345678"),
        ("089-123-4567", "+66891234567"),
        ("062 123 4567", "+66621234567"),
        ("+66 81 234 5678", "+66812345678"),
        ("+66 (0)81 234 5678", "+66812345678"),
        ("0066 81 234 5678", "+66812345678"),
        ("66812345678", "+66812345678"),
        ("+66 2 123 4567", "+6621234567"),
        ("๐๘๑ ๒๓๔ ๕๖๗๘", "+66812345678"),
        ("໐໒໐ ໕໕໕໕ ໑໒໓໔", "+8562055551234"),
        ("Tel: 020 5555 1234", "+8562055551234"),
        ("ໂທ 020 5555 1234", "+8562055551234"),
        ("020 5555 1234 / 030 512 3456", "+8562055551234"),
        ("020 5555 1234, 081 234 5678", "+8562055551234"),
        ("+84 912 345 678", "+84912345678"),
        # a 020 mobile written as its eight subscriber digits only
        ("55512345", "+8562055512345"),
        ("5551 2345", "+8562055512345"),
        ("5551-2345", "+8562055512345"),
        ("22 123 456", "+8562022123456"),
        ("77889900", "+8562077889900"),
        ("96 54 32 10", "+8562096543210"),
        ("໕໕໕໑໒໓໔໕", "+8562055512345"),
        ("Tel: 5551 2345", "+8562055512345"),
        ("5551 2345 / 081 234 5678", "+8562055512345"),
        ("+856 20 5551 2345", "+8562055512345"),
        ("856-20-5551-2345", "+8562055512345"),
        ("+856 (0)20 5551 2345", "+8562055512345"),
        ("(+856) 20-5551-2345", "+8562055512345"),
        ("020-5551-2345", "+8562055512345"),
        # eight digits that begin with an area code stay the landline they look like
        ("21 212 345", "+85621212345"),
        ("71 212 345", "+85671212345"),
        # whose number it is, in brackets after it
        ("020 5555 1234 (ພໍ່)", "+8562055551234"),
        ("020 5555 1234 [mother]", "+8562055551234"),
        ("08 1234 5678 (บ้าน)", "+66812345678"),
    ],
)
def test_phone_formats(text: str, e164: str) -> None:
    assert phone_e164(text) == e164


@pytest.mark.parametrize("text", [None, "", "  ", "-", "n/a", "ບໍ່ມີ"])
def test_empty_phone_is_none(text: str | None) -> None:
    assert phone_e164(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12345", "5-digit number is neither a Lao nor a Thai phone number"),
        ("0212345", "7-digit number is neither a Lao nor a Thai phone number"),
        ("020 5555 1234 5678", "15-digit number is neither a Lao nor a Thai phone number"),
        ("+856 99 123 456", "11-digit number is neither a Lao nor a Thai phone number"),
        ("12345678", "8-digit number is neither a Lao nor a Thai phone number"),
        ("45678901", "8-digit number is neither a Lao nor a Thai phone number"),
        ("call Bouasy", "a phone number holds only digits, spaces, dashes and a leading +"),
    ],
)
def test_unparseable_phones(text: str, reason: str) -> None:
    with pytest.raises(FieldError) as err:
        phone_e164(text)
    assert err.value.reason == reason
    assert err.value.field == "phone"


@given(st.text(max_size=25))
def test_phone_raises_only_field_error_and_is_idempotent(text: str) -> None:
    try:
        e164 = phone_e164(text)
    except FieldError:
        return
    if e164 is not None:
        assert e164.startswith("+") and e164[1:].isdigit()
        assert phone_e164(e164) == e164


@given(st.sampled_from(["20", "30"]), st.integers(10_000_000, 99_999_999), st.sampled_from(["0", "+856 ", "856-"]))
def test_lao_mobiles_in_every_writing_agree(prefix: str, number: int, lead: str) -> None:
    national = f"{prefix}{number}"
    assert phone_e164(f"{lead}{national}") == phone_e164(f"0{national[:2]} {national[2:6]} {national[6:]}") \
        == f"+856{national}"


@given(st.sampled_from("2579"), st.integers(0, 9_999_999))
def test_eight_subscriber_digits_read_as_the_020_mobile(first: str, rest: int) -> None:
    eight = f"{first}{rest:07d}"
    if eight[:2] in ("21", "23", "51", "54", "71", "74"):  # area codes: a landline
        return
    assert phone_e164(eight) == phone_e164(f"020 {eight[:4]} {eight[4:]}") == f"+85620{eight}"
