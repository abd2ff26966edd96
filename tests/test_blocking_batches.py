"""Prediction blocking in statements of ``RULES_PER_STATEMENT`` rules gives Splink's own blocked pairs: the same
pairs under the same rule (match key), each once, on a real store with the shipped model and today's rules."""

from __future__ import annotations

import json

from linkage.model.engines import make_linker
from linkage.model.model_file import settings_for_store
from linkage.model.model_input import splink_workspace
from linkage.model.model_rules import with_current_rules
from linkage.model.shipped import DEFAULT_MODEL
from linkage.model.splink_adapter import RULES_PER_STATEMENT, _blocked_grouped
from linkage.store import connect
from tests.test_model import _insert, _synthetic_records


def test_batched_blocking_gives_splinks_pairs(tmp_path):
    con = connect(tmp_path / "store.duckdb")
    try:
        _insert(con, _synthetic_records(600, seed=11))
        model = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
        model = with_current_rules(model) or model
        assert len(model["blocking_rules_to_generate_predictions"]) > 2 * RULES_PER_STATEMENT
        with splink_workspace(con, tmp_path / "work") as ws:
            linker = make_linker(ws, settings_for_store(model, ws.create_model_input()))
            ours = _blocked_grouped(linker)
            splinks, _ = linker.inference._get_or_compute_blocked_pairs_for_predict_chunk((1, 1), (1, 1))
            rows = [con.execute(f"SELECT match_key, join_key_l, join_key_r FROM {t.physical_name} ORDER BY ALL")
                    .fetchall() for t in (ours, splinks)]
    finally:
        con.close()
    assert rows[0] == rows[1] and len(rows[0]) > 500
    assert len({(left, right) for _, left, right in rows[0]}) == len(rows[0])  # each pair once
    assert len({key for key, _, _ in rows[0]}) > RULES_PER_STATEMENT  # pairs from rules of several statements


def test_the_pairs_estimate_is_splinks_count_on_a_store_under_the_sample_size(tmp_path):
    """The pairs the rules will make, counted before blocking (``blocking.count_pairs``: the cap's estimate and the
    blocking report), equal Splink's cumulative count where neither samples, rule by rule."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from linkage.model.blocking import count_pairs, load_rules

    con = connect(tmp_path / "store.duckdb")
    try:
        _insert(con, _synthetic_records(600, seed=12))
        rules = load_rules()
        with splink_workspace(con, tmp_path / "work") as ws:
            ws.create_model_input()
            ours = [float(c.cumulative) for c in count_pairs(ws, rules)]
            splinks = count_comparisons_from_blocking_rules(
                ws.register_model_input("counted"), blocking_rules=[r.rule for r in rules], link_type="dedupe_only",
                unique_id_column_name="rid", record_sample_proportion=1.0)
    finally:
        con.close()
    assert ours == [float(c["cumulative_comparison_count"]) for c in splinks] and ours[-1] > 500
