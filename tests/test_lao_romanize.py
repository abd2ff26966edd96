"""The Lao romanizer against real name syllables, names and place names with known official spellings."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkage.fields.lao_romanize import romanize_lao, segment

TABLE = Path(__file__).parent / "data" / "lao_name_syllables.tsv"
ROWS = list(csv.DictReader(TABLE.open(encoding="utf-8"), delimiter="\t"))

# Official spellings the French-based convention itself does not follow
# consistently: ໄ is 'ay' in Kaysone, Xaysomboun, Vilay, Xay... but 'ai' here.
KNOWN_IRREGULAR = {"ສີລິໄພທູນ": "Siliphaythoun"}


def test_table_is_large_enough() -> None:
    assert len(ROWS) >= 200


@pytest.mark.parametrize("row", ROWS, ids=[r["official"] for r in ROWS])
def test_official_spelling(row: dict[str, str]) -> None:
    expected = KNOWN_IRREGULAR.get(row["lao"], row["official"])
    assert romanize_lao(row["lao"]) == expected


def test_accuracy_on_table() -> None:
    hits = sum(romanize_lao(r["lao"]) == r["official"] for r in ROWS)
    assert hits / len(ROWS) >= 0.99


@pytest.mark.parametrize(
    ("lao", "latin"),
    [
        ("ບົວສີ ທຳມະສັກ", "Bouasy Thammasack"),  # words keep their own capital
        ("Ms ບົວສີ", "Ms Bouasy"),  # Latin passes through
        ("ຄໍາໄຕ", "Khamtay"),  # ໍ + າ typed apart is ຳ
        ("ຄ່ຳໄຕ້", "Khamtay"),  # tone marks ignored
        ("ໝື່ນ", "Meun"),  # ໝ = ຫມ
        ("ຫລວງພະບາງ", "Louangphabang"),  # ຫລ = ຫຼ
        ("ຈັນທ໌", "Chanh"),  # ໌ silences its letter
        ("ເຮືອນ ໑໒", "Heuane 12"),  # Lao digits
        ("ບົວສີີ", "Bouasy"),  # a doubled mark (typing slip) is skipped, not the word
        ("", ""),
    ],
)
def test_special_cases(lao: str, latin: str) -> None:
    assert romanize_lao(lao) == latin


def test_segmentation_closes_syllable_before_next_vowel() -> None:
    # ບຸນ|ນະ|ວົງ: the first ນ is a final, the second an initial
    assert [s.final for s in segment("ບຸນນະວົງ")] == ["ນ", None, "ງ"]


@given(st.text())
def test_never_raises_and_keeps_non_lao(text: str) -> None:
    out = romanize_lao(text)
    assert isinstance(out, str)
    assert not any("\u0e80" <= ch <= "\u0eff" for ch in out)


@given(st.text(alphabet=st.characters(min_codepoint=0x0E80, max_codepoint=0x0EFF), max_size=30))
def test_lao_output_is_ascii(text: str) -> None:
    assert romanize_lao(text).isascii()
