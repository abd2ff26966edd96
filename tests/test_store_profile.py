"""The store's profile that decides retraining (linkage.model.store_model.store_profile), against the same counts
made in Python over the model input's columns of a real DuckDB store."""

from __future__ import annotations

from collections import Counter

from linkage.model.model_input import record_columns_sql
from linkage.model.store_model import PROFILED_FIELDS, store_profile
from linkage.store import connect
from tests.test_model import _insert, _synthetic_records


def _counted_in_python(con) -> tuple[int, tuple[str, ...], dict[str, int], tuple[str, ...]]:
    """Records, sources, pairs sharing a value per field and the learnable fields, from the rows themselves."""
    cursor = con.execute(f"SELECT * FROM ({record_columns_sql('records', 'std_version IS NOT NULL')})")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    values = {f: Counter(r[f] for r in rows if r[f] is not None) for f in PROFILED_FIELDS}
    pairs = {f: sum(k * (k - 1) // 2 for k in values[f].values()) for f in PROFILED_FIELDS}
    sources = con.execute("SELECT DISTINCT source FROM records WHERE std_version IS NOT NULL ORDER BY 1").fetchall()
    learnable = tuple(f for f in PROFILED_FIELDS if pairs[f] and len(values[f]) > 1)
    return len(rows), tuple(s for (s,) in sources), pairs, learnable


def test_the_profile_counts_what_the_model_input_holds(tmp_path):
    """Names typed twice, partial dates, missing fields, one nationality (shared by all: nothing to learn), passports
    and per-event border passes (left out as the model leaves them out), a record not yet standardized."""
    rows = _synthetic_records(300, seed=4)
    for i, r in enumerate(rows):
        if i % 7 == 0 and r.get("id_number_std"):
            r["id_type"] = "border_pass"
        elif r.get("id_number_std"):
            r["id_type"] = "passport"
    con = connect(tmp_path / "s.duckdb")
    try:
        _insert(con, rows)
        con.execute("UPDATE records SET std_version = NULL WHERE rid = 3")
        profile = store_profile(con)
        records, sources, pairs, learnable = _counted_in_python(con)
        assert (profile.records, profile.sources, profile.field_pairs, profile.learnable) == (
            records, sources, pairs, learnable)
        assert records == len(rows) - 1 and "nationality_code" not in learnable and pairs["nationality_code"] > 0
        assert pairs["id_number_std"] > 0 and {"given_key", "dob", "phone_e164"} <= set(learnable)

        con.execute("UPDATE records SET std_version = NULL")  # nothing standardized: an empty profile
        empty = store_profile(con)
        assert (empty.records, empty.sources, empty.learnable) == (0, (), ())
        assert empty.field_pairs == dict.fromkeys(PROFILED_FIELDS, 0)
    finally:
        con.close()
