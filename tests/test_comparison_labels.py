"""Adding a comparison (README, "Where to add what"): the pair page must show it and both languages must name it.

The pair page lists fields by ``api.pages.pair.PAIR_FIELDS`` and draws one waterfall bar per comparison,
labelled through the translations; a comparison missing from either would reach stewards as a bare column name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.pages.pair import PAIR_FIELDS
from linkage.model.comparisons import comparisons

I18N = Path(__file__).resolve().parents[1] / "api" / "pages" / "i18n"
COMPARISONS = [c.get_comparison("duckdb").output_column_name for c in comparisons()]


def test_the_model_has_comparisons():
    assert len(COMPARISONS) >= 7 and len(set(COMPARISONS)) == len(COMPARISONS)


@pytest.mark.parametrize("comparison", COMPARISONS)
def test_every_comparison_has_a_row_on_the_pair_page(comparison):
    assert comparison in {row[3] for row in PAIR_FIELDS}, f"add a PAIR_FIELDS row for comparison {comparison!r}"


@pytest.mark.parametrize("lang", ["en", "lo"])
@pytest.mark.parametrize("comparison", COMPARISONS)
def test_every_comparison_and_its_page_label_are_translated(comparison, lang):
    messages = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    labels = {row[0] for row in PAIR_FIELDS if row[3] == comparison}
    for key in {comparison, *labels}:  # the waterfall bar is named by the comparison, the table row by its label
        assert messages.get(key, "").strip(), f"api/pages/i18n/{lang}.json lacks {key!r}"


def test_every_page_text_has_a_lao_translation_with_the_same_placeholders():
    """A Lao steward or analyst sees no English sentence: every English text of the pages has its Lao one."""
    import re

    english = json.loads((I18N / "en.json").read_text(encoding="utf-8"))
    lao = json.loads((I18N / "lo.json").read_text(encoding="utf-8"))
    assert not set(english) - set(lao), f"lo.json lacks {sorted(set(english) - set(lao))}"
    for key, text in english.items():
        assert set(re.findall(r"\{(\w+)", lao[key])) == set(re.findall(r"\{(\w+)", text)), key
