"""The review queue and the pairs on it: filtered lists, and one pair explained field by field.

Explanations come from the stored ``predictions`` row (its ``gamma_*`` level and ``mw_*``
weight per comparison, labelled through ``comparison_levels``): what the stewards see is
exactly what the nightly model computed, never a re-scoring. A pair's current decision
comes from the service database.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import duckdb

from api.pages.i18n import Translator
from api.queries.person_index import person_index_for
from api.queries.records import STD_FIELDS, records_by_rid, rows_as_dicts
from api.queue_reasons import parse_reasons, queue_reason
from linkage.errors import FieldError
from linkage.fields.case_codes import ROLE_WORDS, role_code
from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.store import has_table

# Which standardized columns show each exchange field's standardized value(s).
FIELD_STANDARDIZED: dict[str, tuple[str, ...]] = {
    "full_name": ("full_name_std", "name_script", "name_order_swapped"),
    "given_name": ("given_name_std", "given_key"),
    "family_name": ("family_name_std", "family_key"),
    "sex": ("sex_code",),
    "date_of_birth": ("dob", "dob_precision", "dob_year"),
    "age": ("dob_year_min", "dob_year_max"),
    "nationality": ("nationality_code",),
    "province": ("province_code",),
    "district": ("district_code",),
    "village": ("village_key",),
    "phone": ("phone_e164",),
    "id_number": ("id_number_std",),
    "event_date": ("event_date_std",),
}

# Items matching the filters ($item: that item only). Each item's records (both of a pair, every record of a
# flagged cluster) are listed first and joined to records by rid, a hash join built on the queue side,
# so the records table is read once whatever the queue size. ``matching`` keeps, for a source-limited
# principal ($scope), only items whose records are all of its sources: the one scope rule of the queue and of
# a single item (``item_in_scope``).
_MATCHING_SQL = """
WITH q AS (SELECT * FROM review_queue WHERE ($kind IS NULL OR kind = $kind) AND ($item IS NULL OR item_id = $item)),
item_rids AS (
    SELECT item_id, rid_l AS rid FROM q WHERE rid_l IS NOT NULL
    UNION ALL SELECT item_id, rid_r FROM q WHERE rid_r IS NOT NULL
    UNION ALL SELECT q.item_id, rp.rid FROM q JOIN record_person rp ON rp.person_id = q.person_id
              WHERE q.kind = 'cluster'
),
item_records AS (
    SELECT i.item_id, r.source, r.province_code, coalesce(r.role_code, r.role) AS role
    FROM item_rids i JOIN records r ON r.rid = i.rid
),
filtered AS (
    SELECT item_id FROM q WHERE $source IS NULL AND $province IS NULL AND $role IS NULL
    UNION
    SELECT item_id FROM item_records
    WHERE NOT ($source IS NULL AND $province IS NULL AND $role IS NULL)
      AND ($source IS NULL OR source = $source) AND ($province IS NULL OR province_code = $province)
      AND ($role IS NULL OR role = $role)
),
matching AS (
    SELECT item_id FROM filtered
    WHERE $scope::VARCHAR[] IS NULL OR item_id NOT IN (
        SELECT item_id FROM item_records WHERE NOT list_contains($scope::VARCHAR[], source))
)
"""


# The roles the queue filters by: the package's role codes (a record's role_code, however its source wrote it).
QUEUE_ROLES: tuple[str, ...] = tuple(ROLE_WORDS)
QUEUE_KINDS: tuple[str, ...] = ("pair", "cluster")  # linkage.clusters.review_queue's two kinds of item


def role_filter(text: str | None) -> str | None:
    """A role filter as given (its code, or as records write it: 'ຜູ້ຕ້ອງສົງໄສ', 'offender') as the role code
    ``review_queue`` takes; blank: no filter. A role the package does not know raises FieldError naming it."""
    if not text:
        return None
    try:
        return role_code(text)
    except FieldError:
        raise FieldError(f"unknown role {text!r}: the queue filters by {', '.join(QUEUE_ROLES)}",
                         field="role") from None


def kind_filter(text: str | None) -> str | None:
    """A kind filter as given ('pair' or 'cluster'); blank: no filter. Another raises FieldError naming it."""
    if not text:
        return None
    if text not in QUEUE_KINDS:
        raise FieldError(f"unknown kind {text!r}: the queue holds {', '.join(QUEUE_KINDS)} items", field="kind")
    return text


def province_filter(text: str | None) -> str | None:
    """A province filter as typed (any script) as the gazetteer code ``review_queue`` takes; blank: no filter.

    Text the gazetteer does not know or finds ambiguous is kept as given, so a code such as 'LA-VT' works too.
    """
    from linkage.fields.places import province_code

    if not text:
        return None
    try:
        return province_code(text) or text
    except FieldError:
        return text


def top_levels(con: duckdb.DuckDBPyConnection, model_version: str | None) -> dict[str, int]:
    """Each comparison's top (agreeing) level in a model: its highest gamma."""
    return dict(con.execute(
        "SELECT comparison, max(gamma) FROM comparison_levels WHERE model_version = ? GROUP BY comparison",
        [model_version],
    ).fetchall())


def review_queue(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str | None = None,
    source: str | None = None,
    province: str | None = None,
    role: str | None = None,
    scope: frozenset[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Queue items matching the filters, highest priority first, with counts by kind and by source.

    ``province`` is a gazetteer code (``province_code``); an item matches a filter when one
    of its records does (both records of a pair, every record of a flagged cluster). ``scope``
    (a source-limited principal's sources) keeps only items whose records are all of those sources:
    an item's reason and probability come from its records' fields. Reads go through the snapshot's
    in-memory index (``api.queries.person_index``).
    """
    idx = person_index_for(con).cursor()
    try:
        return _review_queue(idx, kind, source, province, role, scope, limit, offset)
    finally:
        idx.close()


def item_in_scope(con: duckdb.DuckDBPyConnection, item_id: int, scope: frozenset[str] | None) -> bool:
    """Whether the queue lists item ``item_id`` to a principal of ``scope`` (None: no limit): every record of the
    item (both of a pair, every record of a flagged cluster's person) is of its sources."""
    if scope is None:
        return True
    idx = person_index_for(con).cursor()
    try:
        return bool(idx.execute(f"{_MATCHING_SQL} SELECT count(*) FROM matching",
                                _params(None, None, None, None, scope, item_id)).fetchall()[0][0])
    finally:
        idx.close()


def _params(kind, source, province, role, scope, item=None) -> dict[str, Any]:
    return {"kind": kind, "source": source, "province": province, "role": role, "item": item,
            "scope": sorted(scope) if scope is not None else None}


def _review_queue(idx, kind, source, province, role, scope, limit, offset) -> dict[str, Any]:
    params = _params(kind, source, province, role, scope)
    items = _items(idx, params, limit, offset=offset)
    by_kind = dict(idx.execute(
        f"{_MATCHING_SQL} SELECT q.kind, count(*) FROM q JOIN matching USING (item_id) GROUP BY q.kind ORDER BY q.kind",
        params,
    ).fetchall())
    by_source = dict(idx.execute(
        f"""{_MATCHING_SQL} SELECT r.source, count(DISTINCT r.item_id) FROM item_records r
            JOIN matching USING (item_id) GROUP BY r.source ORDER BY r.source""",
        params,
    ).fetchall())
    return {"items": items, "total": sum(by_kind.values()), "by_kind": by_kind, "by_source": by_source}


def queue_items_after(con: duckdb.DuckDBPyConnection, after: int | None, filters: dict[str, str | None],
                      scope: frozenset[str] | None, limit: int = 50) -> list[dict[str, Any]]:
    """The items that follow item ``after`` in the queue's order (priority, then id) and match ``filters``
    (``kind``, ``source``, ``province`` as a code, ``role`` as a code), as ``review_queue`` lists them (keyset:
    the whole queue is walked in pages); from the top when ``after`` is None or no longer on the queue."""
    idx = person_index_for(con).cursor()
    try:
        key = idx.execute("SELECT priority, item_id FROM review_queue WHERE item_id = ?", [after]).fetchall()
        params = _params(filters.get("kind"), filters.get("source"), filters.get("province"), filters.get("role"),
                         scope)
        return _items(idx, params, limit, after=key[0] if key else None)
    finally:
        idx.close()


def _items(idx: duckdb.DuckDBPyConnection, params: dict[str, Any], limit: int, *, offset: int = 0,
           after: tuple[float, int] | None = None) -> list[dict[str, Any]]:
    """The queue's items matching ``params`` (``_params``) in its order (priority, then id), each with its reason
    and both records: ``limit`` from ``offset``, or following ``after`` (an item's priority and id)."""
    items = rows_as_dicts(idx.execute(
        f"""{_MATCHING_SQL}
            SELECT q.item_id, q.kind, q.rid_l, q.rid_r, q.person_id, q.priority, q.reason, {_reasons_column(idx)},
                   q.match_probability, q.run_id
            FROM q JOIN matching USING (item_id)
            WHERE $after_priority IS NULL OR q.priority < $after_priority
                  OR (q.priority = $after_priority AND q.item_id > $after_item)
            ORDER BY q.priority DESC, q.item_id LIMIT $limit OFFSET $offset""",
        {**params, "limit": limit, "offset": offset,
         "after_priority": after[0] if after else None, "after_item": after[1] if after else None},
    ))
    records = records_by_rid(idx, [r for it in items for r in (it["rid_l"], it["rid_r"]) if r is not None])
    _with_reason_text(items)
    for it in items:
        it["record_l"], it["record_r"] = records.get(it["rid_l"]), records.get(it["rid_r"])
    return items


def queue_item(con: duckdb.DuckDBPyConnection, item_id: int) -> dict[str, Any] | None:
    rows = rows_as_dicts(con.execute(
        f"SELECT item_id, kind, rid_l, rid_r, person_id, priority, reason, {_reasons_column(con)},"
        " match_probability, run_id FROM review_queue WHERE item_id = ?",
        [item_id],
    ))
    _with_reason_text(rows)
    return rows[0] if rows else None


def _reasons_column(con: duckdb.DuckDBPyConnection) -> str:
    """``reasons`` (codes with values), or NULL in a snapshot published before the queue stored them."""
    has = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'review_queue'"
                      " AND column_name = 'reasons' AND database_name = current_database()").fetchall()[0][0]
    return "CAST(reasons AS VARCHAR) AS reasons" if has else "NULL AS reasons"


def _with_reason_text(items: list[dict[str, Any]]) -> None:
    """Parse each item's ``reasons`` and set ``reason`` to them in English (the API's text; pages translate)."""
    for it in items:
        it["reasons"] = parse_reasons(it["reasons"])
        it["reason"] = queue_reason(it, Translator("en"))


def pair_comparisons(con: duckdb.DuckDBPyConnection, rid_a: int, rid_b: int) -> dict[str, Any] | None:
    """The stored prediction of a pair: overall weight and probability, and each comparison's level and weight."""
    if not has_table(con, "predictions"):
        return None
    lo, hi = min(rid_a, rid_b), max(rid_a, rid_b)
    rows = rows_as_dicts(con.execute(
        "SELECT * FROM predictions WHERE rid_l = ? AND rid_r = ? ORDER BY run_id DESC NULLS LAST LIMIT 1", [lo, hi]
    ))
    if not rows:
        return None
    pred = rows[0]
    labels = {
        (c, g): label
        for c, g, label in con.execute(
            "SELECT comparison, gamma, label FROM comparison_levels WHERE model_version = ?", [pred["model_version"]]
        ).fetchall()
    }
    names = [k[len("gamma_"):] for k in pred if k.startswith("gamma_")]
    return {
        "match_weight": pred["match_weight"],
        "match_probability": pred["match_probability"],
        "model_version": pred["model_version"],
        "run_id": pred["run_id"],
        "comparisons": [
            {
                "comparison": n,
                "gamma": pred[f"gamma_{n}"],
                "label": labels.get((n, pred[f"gamma_{n}"])),
                "match_weight": pred.get(f"mw_{n}"),
            }
            for n in names
        ],
    }


def field_rows(left: dict[str, Any], right: dict[str, Any]) -> list[dict[str, Any]]:
    """Each exchange field side by side: raw as recorded and standardized."""
    out = []
    for field in EXCHANGE_COLUMNS:
        std = FIELD_STANDARDIZED.get(field, ())
        out.append({
            "field": field,
            "raw_l": left.get(field),
            "raw_r": right.get(field),
            "standardized_l": {c: left.get(c) for c in std if c in STD_FIELDS},
            "standardized_r": {c: right.get(c) for c in std if c in STD_FIELDS},
        })
    return out


def current_decision(
    service_con: sqlite3.Connection, left: dict[str, Any], right: dict[str, Any]
) -> dict[str, Any] | None:
    """The decision now applied to the pair (its latest live decision), or None."""
    from linkage.service.decisions import live_decisions, normalise_pair

    pair = normalise_pair(left["source"], left["record_id"], right["source"], right["record_id"])
    live = live_decisions(service_con, pair)
    if not live:
        return None
    d = live[-1]
    return {
        "decision_id": d.decision_id, "judgement": d.judgement, "decided_by": d.decided_by,
        "decided_at": d.decided_at, "note": d.note, "contested": len({x.judgement for x in live}) > 1,
    }


def pair_detail(
    con: duckdb.DuckDBPyConnection, service_con: sqlite3.Connection | None, rid_a: int, rid_b: int
) -> dict[str, Any] | None:
    """Both records, their fields side by side, the stored comparison and the current decision."""
    records = records_by_rid(con, [rid_a, rid_b])
    if rid_a not in records or rid_b not in records or rid_a == rid_b:
        return None
    left, right = records[rid_a], records[rid_b]
    persons = dict(con.execute(
        "SELECT rid, person_id FROM record_person WHERE rid IN (?, ?)", [rid_a, rid_b]
    ).fetchall())
    return {
        "record_l": left,
        "record_r": right,
        "person_id_l": persons.get(rid_a),
        "person_id_r": persons.get(rid_b),
        "fields": field_rows(left, right),
        "prediction": pair_comparisons(con, rid_a, rid_b),
        "decision": current_decision(service_con, left, right) if service_con is not None else None,
    }


def review_pair(
    con: duckdb.DuckDBPyConnection, service_con: sqlite3.Connection | None, item_id: int
) -> dict[str, Any] | None:
    """A pair item of the queue with its detail; None if no such pair item."""
    item = queue_item(con, item_id)
    if item is None or item["rid_l"] is None or item["rid_r"] is None:
        return None
    detail = pair_detail(con, service_con, item["rid_l"], item["rid_r"])
    return None if detail is None else {"item": item, **detail}


def rid_of(con: duckdb.DuckDBPyConnection, source: str, record_id: str) -> int | None:
    rows = con.execute("SELECT rid FROM records WHERE source = ? AND record_id = ?", [source, record_id]).fetchall()
    return rows[0][0] if rows else None
