"""Learning from the store: training that survives empty fields, and the nightly that trains on its own records."""

from __future__ import annotations

import json

from linkage.model.training import train
from linkage.store import connect
from tests.test_model import _insert, _synthetic_records


def test_training_skips_a_pass_whose_field_is_empty_everywhere(tmp_path):
    rows = [dict(r, phone_e164=None) for r in _synthetic_records(400, seed=5)]
    con = connect(tmp_path / "store.duckdb")
    try:
        _insert(con, rows)
        report = train(con, tmp_path / "nophone.json", seed=3, work_dir=tmp_path / "work")
    finally:
        con.close()
    assert report.parameters["em_passes_skipped"] == {"phone": "no pairs share phone_e164"}
    assert "phone" not in report.parameters["em_passes"]
    assert "em_passes_skipped: {'phone': 'no pairs share phone_e164'}" in report.card_path.read_text(encoding="utf-8")
    model = json.loads(report.model_path.read_text(encoding="utf-8"))
    name_levels = next(c for c in model["comparisons"] if c["output_column_name"] == "name")["comparison_levels"]
    assert any(lv.get("m_probability", 1) < 1 for lv in name_levels if not lv.get("is_null_level"))
