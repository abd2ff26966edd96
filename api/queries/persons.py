"""A person as published: its records, the links that hold it together, its ID history.

An ID that is no longer active still answers: an alias (merged into another person) says
which active person it now resolves to, following alias chains; a retired ID (all its
records split off or removed) lists the persons its records went to.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import duckdb

from api.queries.person_index import person_index_for
from api.queries.records import POINT_READS, RECORD_SELECT, plain, rows_as_dicts
from linkage.store import has_table

MAX_ALIAS_HOPS = 50
# The longest person ID a route or page looks up (IDs are 'LA-P-' and seven digits); a longer one is refused.
PERSON_ID_MAX_LENGTH = 64


def person_row(con: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, Any] | None:
    """The persons row (``con``: the snapshot or its person index)."""
    cur = con.execute(
        "SELECT person_id, status, alias_of, created_run_id, updated_run_id, n_records FROM persons "
        "WHERE person_id = ?",
        [person_id],
    )
    rows = rows_as_dicts(cur)
    return rows[0] if rows else None


def resolve_person(con: duckdb.DuckDBPyConnection, person_id: str) -> str | None:
    """The active person an ID leads to through its alias chain (None when it leads nowhere active)."""
    seen = set()
    current = person_id
    for _ in range(MAX_ALIAS_HOPS):
        row = person_row(con, current)
        if row is None or current in seen:
            return None
        if row["status"] == "active":
            return current
        seen.add(current)
        if row["status"] != "alias" or not row["alias_of"]:
            return None
        current = row["alias_of"]
    return None


def id_history(con: duckdb.DuckDBPyConnection, person_id: str) -> list[dict[str, Any]]:
    """Events of this ID, and events of other IDs that name it (merged into it, split from it)."""
    columns = 'event_id, person_id, event, other_person_id, n_records, detail, run_id, "at"'
    cur = con.execute(  # two equalities, not an OR, so each can use an index
        f"""SELECT * FROM (SELECT {columns} FROM id_history WHERE person_id = $p
                           UNION SELECT {columns} FROM id_history WHERE other_person_id = $p)
            ORDER BY "at", event_id""",
        {"p": person_id},
    )
    rows = rows_as_dicts(cur)
    for row in rows:
        if isinstance(row["detail"], str):
            with contextlib.suppress(ValueError):
                row["detail"] = json.loads(row["detail"])
    return rows


def successors(history: list[dict[str, Any]], person_id: str) -> list[str]:
    """Persons that took records of this ID: merged into, or split from it."""
    out: list[str] = []
    for h in history:
        if h["person_id"] == person_id and h["event"] == "merged-into" and h["other_person_id"]:
            target = h["other_person_id"]
        elif h["other_person_id"] == person_id and h["event"] == "split-from":
            target = h["person_id"]
        else:
            continue
        if target not in out:
            out.append(target)
    return out


def cluster_links(con: duckdb.DuckDBPyConnection, rids: list[int]) -> list[dict[str, Any]]:
    """Scored pairs with both records in the cluster, strongest first."""
    if len(rids) < 2 or not has_table(con, "predictions"):
        return []
    if len(rids) <= POINT_READS:
        # One equality per rid (an index scan each, where a semi-join scans every prediction).
        inside = set(rids)
        cur = con.execute(
            " UNION ALL ".join(
                "SELECT rid_l, rid_r, match_weight, match_probability, model_version, run_id FROM predictions "
                "WHERE rid_l = ?" for _ in rids
            ),
            list(rids),
        )
        links = [link for link in rows_as_dicts(cur) if link["rid_r"] in inside]
        return sorted(links, key=lambda x: (x["match_probability"] is None, -(x["match_probability"] or 0.0),
                                            x["rid_l"], x["rid_r"]))
    cur = con.execute(
        """
        WITH c AS (SELECT unnest(?::BIGINT[]) AS rid)
        SELECT p.rid_l, p.rid_r, p.match_weight, p.match_probability, p.model_version, p.run_id
        FROM predictions p
        WHERE p.rid_l IN (SELECT rid FROM c) AND p.rid_r IN (SELECT rid FROM c)
        ORDER BY p.match_probability DESC, p.rid_l, p.rid_r
        """,
        [rids],
    )
    return rows_as_dicts(cur)


def get_person(con: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, Any] | None:
    """The person with its records, links and history; None for an unknown ID.

    For an alias or retired ID, ``records`` and ``links`` are empty and ``resolved_to`` /
    ``successors`` say where the records went. Reads go through the in-memory index of
    the snapshot ``con`` reads (``api.queries.person_index``).
    """
    idx = person_index_for(con).cursor()
    try:
        return _get_person(idx, person_id)
    finally:
        idx.close()


def _get_person(idx: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, Any] | None:
    row = person_row(idx, person_id)
    if row is None:
        return None
    history = id_history(idx, person_id)
    out: dict[str, Any] = {
        **row,
        "resolved_to": resolve_person(idx, person_id) if row["status"] != "active" else person_id,
        "successors": successors(history, person_id) if row["status"] != "active" else [],
        "history": history,
        "records": [],
        "links": [],
    }
    if row["status"] != "active":
        return out
    # The index's records carry their person (indexed): one look-up for all of them.
    out["records"] = rows_as_dicts(idx.execute(
        f"SELECT {RECORD_SELECT} FROM records r WHERE r._person_id = ? ORDER BY r.rid", [person_id]
    ))
    rids = [r["rid"] for r in out["records"]]
    by_rid = {r["rid"]: r for r in out["records"]}
    links = cluster_links(idx, rids)
    for link in links:
        for side in ("l", "r"):
            rec = by_rid.get(link[f"rid_{side}"], {})
            link[f"source_{side}"] = rec.get("source")
            link[f"record_id_{side}"] = rec.get("record_id")
    out["links"] = links
    return {k: plain(v) for k, v in out.items()}


def persons_of_rids(con: duckdb.DuckDBPyConnection, rids: list[int]) -> dict[int, str]:
    """rid -> person ID, for records that have one."""
    if not rids:
        return {}
    return dict(con.execute(
        "SELECT rid, person_id FROM record_person WHERE rid IN (SELECT unnest(?::BIGINT[]))", [rids]
    ).fetchall())
