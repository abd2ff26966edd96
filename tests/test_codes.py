"""Sex, nationality and ID numbers in English, Lao and Thai, to codes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.errors import FieldError
from linkage.fields.codes import id_number_std, nationality_code, sex_code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("F", "F"), ("f", "F"), ("Female", "F"), ("FEMALE", "F"), ("ຍິງ", "F"), ("ເພດຍິງ", "F"), ("ຜູ້ຍິງ", "F"),
        ("หญิง", "F"), ("เพศหญิง", "F"), ("ญ.", "F"),
        ("M", "M"), ("male", "M"), (" Male ", "M"), ("ຊາຍ", "M"), ("ເພດຊາຍ", "M"), ("ชาย", "M"), ("เพศชาย", "M"),
        ("ช.", "M"),
    ],
)
def test_sex_codes(text: str, code: str) -> None:
    assert sex_code(text) == code


@pytest.mark.parametrize("text", [None, "", " ", "unknown", "-", "ບໍ່ຮູ້", "ไม่ระบุ"])
def test_sex_empty(text: str | None) -> None:
    assert sex_code(text) is None


def test_sex_unknown_value_is_an_error() -> None:
    with pytest.raises(FieldError) as err:
        sex_code("Nang")
    assert err.value.field == "sex" and err.value.value == "Nang"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Lao", "LAO"), ("LA", "LAO"), ("LAO", "LAO"), ("Laos", "LAO"), ("Laotian", "LAO"), ("Lao PDR", "LAO"),
        ("Lao P.D.R.", "LAO"), ("Lao national", "LAO"), ("ລາວ", "LAO"), ("ສັນຊາດລາວ", "LAO"), ("ສປປ ລາວ", "LAO"),
        ("ลาว", "LAO"), ("สัญชาติลาว", "LAO"),
        ("Thai", "THA"), ("TH", "THA"), ("Thailand", "THA"), ("ໄທ", "THA"), ("ไทย", "THA"), ("สัญชาติไทย", "THA"),
        ("Vietnamese", "VNM"), ("Viet Nam", "VNM"), ("ຫວຽດນາມ", "VNM"), ("เวียดนาม", "VNM"),
        ("Chinese", "CHN"), ("ຈີນ", "CHN"), ("จีน", "CHN"),
        ("Cambodian", "KHM"), ("Khmer", "KHM"), ("กัมพูชา", "KHM"),
        ("Myanmar", "MMR"), ("Burmese", "MMR"), ("ພະມ້າ", "MMR"), ("พม่า", "MMR"),
        ("Stateless", "XXA"), ("ไร้สัญชาติ", "XXA"),
    ],
)
def test_nationality_codes(text: str, code: str) -> None:
    assert nationality_code(text) == code


def test_nationality_unknown_is_an_error() -> None:
    with pytest.raises(FieldError) as err:
        nationality_code("Atlantean")
    assert err.value.field == "nationality"
    assert nationality_code("") is None


@pytest.mark.parametrize(
    ("text", "std"),
    [
        ("P 123-4567", "P1234567"),
        ("p1234567", "P1234567"),
        ("1-2345-67890-12-3", "1234567890123"),
        ("1 2345 67890 12 3", "1234567890123"),
        ("๑-๒๓๔๕-๖๗๘๙๐-๑๒-๓", "1234567890123"),
        ("໐໑-໒໓໔໕໖໗", "01234567"),
        ("ID: 01-234567", "01234567"),
        ("Passport No. P1234567", "P1234567"),
        ("ເລກທີ 123456", "123456"),
        ("เลขที่ 1-2345", "12345"),
        ("01.234.567", "01234567"),
    ],
)
def test_id_numbers(text: str, std: str) -> None:
    assert id_number_std(text) == std


@pytest.mark.parametrize("text", ["abc", "12", "???", "Bouasy Thammasack", "1234567890123456789012"])
def test_garbage_id_numbers_are_errors(text: str) -> None:
    with pytest.raises(FieldError):
        id_number_std(text)


@given(st.text(max_size=25))
def test_code_parsers_raise_only_field_error(text: str) -> None:
    for parse in (sex_code, nationality_code, id_number_std):
        with contextlib.suppress(FieldError):
            parse(text)


@given(st.text(max_size=25))
def test_id_number_std_is_idempotent(text: str) -> None:
    try:
        std = id_number_std(text)
    except FieldError:
        return
    if std is not None:
        assert id_number_std(std) == std


@given(st.sampled_from(["LAO", "THA", "VNM", "CHN", "KHM", "MMR", "XXA"]))
def test_nationality_code_of_a_code_is_itself(code: str) -> None:
    assert nationality_code(code) == code
