"""Build small published snapshots by hand for API and query tests.

A real pipeline store is created (``linkage.store.connect`` runs the real migrations), the
given rows are inserted, and ``linkage.publishing.publish.publish_snapshot`` writes the snapshot the
API reads, so the tables have exactly the shapes the nightly job publishes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from linkage.paths import store_paths
from linkage.publishing.publish import publish_snapshot
from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.store import STANDARDIZED_COLUMNS, connect

MODEL_VERSION = "test-model-000000000001"


def fixed_model() -> dict[str, Any]:
    """The LaoLink model's settings (real comparisons and blocking rules) with fixed m/u values.

    Non-null levels, strongest first, get m falling and u rising, so stronger evidence
    weighs more, as a trained model would; fixed values keep tests deterministic.
    """
    from linkage.model.training import settings

    model = settings().get_settings("duckdb").as_dict()
    model["probability_two_random_records_match"] = 0.0005
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        n = len(levels)
        m_raw = [2.0 ** (n - i) for i in range(n)]
        u_raw = [4.0 ** i for i in range(n)]
        for level, m, u in zip(levels, m_raw, u_raw, strict=True):
            level["m_probability"] = m / sum(m_raw)
            level["u_probability"] = u / sum(u_raw)
    return model


def build_snapshot(
    db: Path,
    records: Sequence[Mapping[str, Any]],
    *,
    persons: Sequence[Mapping[str, Any]] = (),
    record_person: Mapping[tuple[str, str], str] | None = None,
    id_history: Sequence[Mapping[str, Any]] = (),
    review_queue: Sequence[Mapping[str, Any]] = (),
    predictions: Sequence[Mapping[str, Any]] = (),
    runs: Sequence[Mapping[str, Any]] = ({"run_id": 1, "status": "ok", "report": {"pairs_scored": 0}},),
    model: dict[str, Any] | None = None,
    predict_with: Path | None = None,
    standardize: bool = False,
    run_id: int = 1,
) -> Path:
    """Create the store ``db`` with these rows and publish it; return the snapshot path.

    ``records`` hold exchange-format fields and, unless ``standardize`` runs the real
    standardizer, the standardized columns. ``record_person`` maps (source, record_id) to a
    person ID; review-queue and prediction rows name records by (source, record_id) in
    ``l``/``r`` keys and get their rids filled in. ``predict_with`` (a model file) runs the real
    prediction step instead of inserting ``predictions``.
    """
    con = connect(db)
    try:
        con.execute("INSERT INTO ingested_files (path, sha256, mapping) VALUES ('hand-built', 'x', 'exchange')")
        std_cols = [c for c in STANDARDIZED_COLUMNS if c != "std_version"]
        for i, rec in enumerate(records, start=1):
            raw = {c: rec.get(c) for c in EXCHANGE_COLUMNS}
            std = {} if standardize else {c: rec.get(c) for c in std_cols}
            cols = list(raw) + list(std) + ["row_hash", "file_id", "line_no", "std_version"]
            values = list(raw.values()) + list(std.values()) + [
                hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest(), 1, i,
                None if standardize else 1,
            ]
            con.execute(
                f"INSERT INTO records ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values
            )
        if standardize:
            from linkage.fields.standardize import standardize as run_standardize

            run_standardize(con)
        rid = dict(((s, r), k) for k, s, r in con.execute("SELECT rid, source, record_id FROM records").fetchall())

        for (source, record_id), person_id in (record_person or {}).items():
            con.execute("INSERT INTO record_person VALUES (?, ?)", [rid[(source, record_id)], person_id])
        for p in persons:
            con.execute(
                "INSERT INTO persons VALUES (?, ?, ?, ?, ?, ?)",
                [p["person_id"], p.get("status", "active"), p.get("alias_of"), p.get("created_run_id", 1),
                 p.get("updated_run_id", run_id), p.get("n_records", 0)],
            )
        for h in id_history:
            con.execute(
                'INSERT INTO id_history (person_id, event, other_person_id, n_records, detail, run_id) '
                "VALUES (?, ?, ?, ?, ?, ?)",
                [h["person_id"], h["event"], h.get("other_person_id"), h.get("n_records"),
                 json.dumps(h.get("detail")) if h.get("detail") is not None else None, h.get("run_id", run_id)],
            )
        for q in review_queue:
            con.execute(
                "INSERT INTO review_queue (kind, rid_l, rid_r, person_id, priority, reason, match_probability, run_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [q.get("kind", "pair"), rid.get(q.get("l")), rid.get(q.get("r")), q.get("person_id"),
                 q.get("priority", 0.5), q.get("reason", "borderline"), q.get("match_probability"),
                 q.get("run_id", run_id)],
            )
        for r in runs:
            con.execute(
                "INSERT INTO runs (run_id, status, model_version, report, finished_at) "
                "VALUES (?, ?, ?, ?, current_timestamp)",
                [r["run_id"], r.get("status", "ok"), r.get("model_version", MODEL_VERSION),
                 json.dumps(r.get("report", {}))],
            )
        if predict_with is not None:  # the real prediction step with a real model file
            from linkage.model.prediction import predict
            from linkage.model.training import model_version

            version = model_version(predict_with)
            con.execute("UPDATE runs SET model_version = ?", [version])
            con.execute("INSERT INTO models VALUES (?, ?, ?, ?)",
                        [version, str(predict_with), predict_with.read_text(encoding="utf-8"), run_id])
            predict(con, predict_with, run_id=run_id)
        else:
            model = model or fixed_model()
            con.execute("INSERT INTO models VALUES (?, 'models/test.json', ?, ?)",
                        [MODEL_VERSION, json.dumps(model), 1])
            _insert_predictions(con, model, predictions, rid, run_id)
        con.execute("CHECKPOINT")
        return publish_snapshot(con, store_paths(db), run_id)
    finally:
        con.close()


def _insert_predictions(con, model: dict, predictions, rid: dict, run_id: int) -> None:
    from linkage.model.prediction import comparison_names, ensure_prediction_tables, level_labels

    names = comparison_names(model)
    ensure_prediction_tables(con, names, replace=True)
    for comparison, gamma, label in level_labels(model):
        con.execute("INSERT INTO comparison_levels VALUES (?, ?, ?, ?)", [MODEL_VERSION, comparison, gamma, label])
    for p in predictions:
        a, b = rid[p["l"]], rid[p["r"]]
        gammas = [p.get("gamma", {}).get(n, 0) for n in names]
        mws = [p.get("mw", {}).get(n, 0.0) for n in names]
        con.execute(
            f"INSERT INTO predictions VALUES ({', '.join('?' * (6 + 2 * len(names)))})",
            [min(a, b), max(a, b), p.get("match_weight", 0.0), p["match_probability"], MODEL_VERSION, run_id,
             *gammas, *mws],
        )


def gamma_of(comparison: str, label: str) -> int:
    """The gamma of the level with this label in the fixed model (levels are numbered by Splink)."""
    from linkage.model.prediction import level_labels

    for name, gamma, level_label in level_labels(fixed_model()):
        if name == comparison and level_label == label:
            return gamma
    raise KeyError(f"{comparison}: no level labelled {label!r}")


def rows_in_docs_file(snapshot: Path) -> int:
    """Entries of the person-document file written for ``snapshot`` (a delta holds the changed persons only)."""
    import sqlite3

    from linkage.publishing.person_docs import docs_path

    db = sqlite3.connect(f"file:{docs_path(snapshot)}?mode=ro", uri=True)
    try:
        return db.execute("SELECT count(*) FROM docs").fetchone()[0]
    finally:
        db.close()
