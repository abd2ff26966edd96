"""Name parsing: honorifics stripped in three scripts, given/family split, swapped order, nicknames."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.fields.name_parse import ParsedName, parse_name

BOUASY = ("bouasy", "thammasack")


@pytest.mark.parametrize(
    ("full", "given_name", "family", "titles", "swapped"),
    [
        ("Ms Bouasy Thammasack", "Bouasy", "Thammasack", ("ms",), False),
        ("ບົວສີ ທຳມະສັກ", None, None, (), False),
        ("ນາງ ບົວສີ ທຳມະສັກ", None, None, ("nang",), False),
        ("ນາງບົວສີ ທຳມະສັກ", None, None, ("nang",), False),  # title glued to the name
        ("ທ່ານນາງ ບົວສີ ທຳມະສັກ", None, None, ("madam",), False),
        ("นางสาว บัวสี ทำมะสัก", "บัวสี", "ทำมะสัก", ("nangsao",), False),
        ("นางสาวบัวสี ทำมะสัก", None, None, ("nangsao",), False),
        ("ด.ญ. บัวสี ทำมะสัก", None, None, ("dekying",), False),
        ("เด็กหญิงบัวสี ทำมะสัก", None, None, ("dekying",), False),
        ("Mrs. Bouasy Thammasack", None, None, ("mrs",), False),
        ("Nang Bouasy Thammasack", None, None, ("nang",), False),
        ("Lt. Col. Bouasy Thammasack", None, None, ("lt", "col"), False),
        ("Pol. Maj. Bouasy Thammasack", None, None, ("pol", "maj"), False),
        ("Dr Bouasy Thammasack", None, None, ("dr",), False),
        ("H.E. Bouasy Thammasack", None, None, ("he",), False),
        ("Lt.Col. Bouasy Thammasack", None, None, ("lt", "col"), False),
        ("พันตำรวจโท บัวสี ทำมะสัก", None, None, ("pol lt col",), False),
        ("พ.ต.ท. บัวสี ทำมะสัก", None, None, ("พ.ต.ท.",), False),  # any dotted abbreviation is a rank
        ("ພັນເອກ ບົວສີ ທຳມະສັກ", None, None, ("col",), False),
        ("THAMMASACK Bouasy", None, None, (), True),  # family name in capitals first
        ("Thammasack, Bouasy", None, None, (), True),  # comma order
        ("Ms THAMMASACK Bouasy", None, None, ("ms",), True),
        (None, "THAMMASACK", "Bouasy", (), True),  # source swapped its own columns
        ("Bouasy Thammasack", "Bouasy", None, (), False),  # family taken from the full name
        ("Bouasy Thammasack", None, "Thammasack", (), False),  # given taken from the full name
        (None, "Bouasy Thammasack", None, (), False),  # whole name in the given column
        ("Somebody Else", "Bouasy", "Thammasack", (), False),  # split columns win
    ],
)
def test_parse(full: str | None, given_name: str | None, family: str | None, titles: tuple, swapped: bool) -> None:
    p = parse_name(full, given_name, family)
    assert (p.given_std, p.family_std) == BOUASY
    assert (p.given_key, p.family_key) == ("buasi", "tamasak")
    assert p.honorifics == titles
    assert p.swapped is swapped
    assert p.nickname_only is False


@pytest.mark.parametrize(
    ("full", "given_std", "titles"),
    [("Noy", "noy", ()), ("ນາງ ນ້ອຍ", "noy", ("nang",)), ("ທ້າວນ້ອຍ", "noy", ("thao",)), ("นายน้อย", "noy", ("nai",))],
)
def test_single_word_is_nickname_only(full: str, given_std: str, titles: tuple) -> None:
    p = parse_name(full, None, None)
    assert p.given_std == given_std and p.family_std is None and p.family_key is None
    assert p.nickname_only and p.honorifics == titles


def test_thao_as_hmong_family_name_is_kept() -> None:
    p = parse_name("Tou THAO", None, None)
    assert (p.given_std, p.family_std, p.honorifics) == ("tou", "thao", ())
    p = parse_name("THAO Tou", None, None)
    assert (p.given_std, p.family_std, p.swapped) == ("tou", "thao", True)


def test_thao_as_title_is_stripped() -> None:
    p = parse_name("Thao Bounmy Phommavong", None, None)
    assert (p.given_std, p.family_std, p.honorifics) == ("bounmy", "phommavong", ("thao",))


def test_lone_title_is_not_eaten() -> None:
    assert parse_name("Nang", None, None).given_std == "nang"


def test_multi_word_family_name() -> None:
    p = parse_name("Sisavath Keo Bounphanh", None, None)
    assert (p.given_std, p.family_std, p.family_key) == ("sisavath", "keo bounphanh", "keobunpan")
    # a part's key is its words written together, so spacing does not matter
    assert p.family_key == parse_name("Sisavath Keobounphanh", None, None).family_key
    assert parse_name(None, "ບົວ ສີ", "ທຳມະສັກ").given_key == parse_name(None, "Bouasy", "X").given_key


@pytest.mark.parametrize(
    "full",
    [
        "Bouasy Thammasack (Noy)",  # bracketed nickname or remark
        "Bouasy Thammasack aka Noy",
        "Ms.Bouasy Thammasack",  # title glued with a dot
        "Thammasack, Ms Bouasy",  # title after the comma
    ],
)
def test_remarks_and_glued_titles(full: str) -> None:
    p = parse_name(full, None, None)
    assert (p.given_std, p.family_std) == BOUASY


def test_empty() -> None:
    p = parse_name(None, "", "  ")
    assert p == ParsedName(None, None, None, None, (), False, False, "empty")


def test_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_name("Noy", None, None).given_std = "x"  # type: ignore[misc]


def test_script_is_reported() -> None:
    assert parse_name("ບົວສີ", None, None).script == "lao"
    assert parse_name(None, "บัวสี", "Thammasack").script == "mixed"


names = st.one_of(st.none(), st.text(max_size=30))


@given(names, names, names)
def test_never_raises_and_keys_match_forms(full: str | None, g: str | None, f: str | None) -> None:
    p = parse_name(full, g, f)
    assert (p.given_std is None) == (p.given_key is None)
    assert (p.family_std is None) == (p.family_key is None)
    assert not (p.nickname_only and p.family_std)
