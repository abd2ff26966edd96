"""Cuts remembered from one clustering to the next: a component cut as before costs no minimum cut.

The cut of a component (``linkage.clusters.cuts``) and the flags it raises depend only on its links (ends,
weights, origins), its "not the same" decisions and its contradicting pairs, and on the code (``CUT_VERSION``).
A night that leaves a component's three as they were finds its cut (links cut, flags raised) under the
component's signature, a digest of the three; only the components that changed are cut again. The table holds
the cuts of the last clustering only. A store or snapshot without the table (written before it) cuts every
component, as before.
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa

from linkage.store import multiset_hash_sql

CUT_CACHE_TABLE = "clustering_cut_cache"
# Part of every signature: a change to how components are cut (the algorithm; its capacities are in the signature
# already) or to what a cut's flags say (their kinds, detail keys, texts) is a new version, and no cut of an
# earlier one is taken.
# 2: the links' probabilities are in the signature, and a cut's flag lists them (``cut_probabilities``).
# 3: the signature is a multiset hash computed in SQL.
CUT_VERSION = 3

Cut = tuple[list[tuple[int, int]], list[dict]]  # links cut, flags raised


def create_signatures(con: duckdb.DuckDBPyConnection, context: str) -> dict[int, str]:
    """``_cut_signatures(label, signature)`` for the components in ``_cut_components``, from their links
    (``_links`` through ``_labels``: ends, match weight, origin, probability), "not the same" decisions
    (``_cut_negatives``: ends, decision id) and contradicting pairs (``_cut_constraints``: ends, reason), with
    ``context`` (what else the cut depends on: its capacities); returned as label -> signature.

    Each part is counted and its rows' 64-bit hashes summed (a multiset hash, as the snapshot delta compares
    rows): a component that changed keeps its signature only with a chance of 2^-64."""
    def part(rows: str, columns: str) -> str:
        return f"SELECT label, count(*) AS n, {multiset_hash_sql(columns)} AS h FROM {rows} GROUP BY label"

    links = ("(SELECT a.label, l.* FROM _links l JOIN _labels a ON a.node = l.rid_l "
             "SEMI JOIN _cut_components c ON c.label = a.label)")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cut_signatures AS
        WITH links AS ({part(links, "rid_l, rid_r, coalesce(match_weight, 0), origin, match_probability")}),
             negatives AS ({part("_cut_negatives", "rid_l, rid_r, decision_id")}),
             constraints AS ({part("_cut_constraints", "rid_l, rid_r, reason")})
        SELECT c.label, concat_ws(':', {CUT_VERSION}, $context, coalesce(l.n, 0), coalesce(l.h, 0), coalesce(g.n, 0),
                                  coalesce(g.h, 0), coalesce(k.n, 0), coalesce(k.h, 0)) AS signature
        FROM _cut_components c LEFT JOIN links l USING (label) LEFT JOIN negatives g USING (label)
        LEFT JOIN constraints k USING (label)
        """,
        {"context": context},
    )
    return dict(con.execute("SELECT label, signature FROM _cut_signatures").fetchall())


def known_cuts(con: duckdb.DuckDBPyConnection) -> dict[str, Cut]:
    """The remembered cuts of the signatures in ``_cut_signatures`` (those found)."""
    rows = con.execute(f"SELECT c.signature, CAST(c.cut AS VARCHAR), CAST(c.flags AS VARCHAR)"
                       f" FROM {CUT_CACHE_TABLE} c SEMI JOIN _cut_signatures s USING (signature)").fetchall()
    return {sig: ([tuple(pair) for pair in json.loads(cut)], json.loads(flags)) for sig, cut, flags in rows}


def remember_cuts(con: duckdb.DuckDBPyConnection, new: dict[str, Cut], *, forget: str = "others") -> None:
    """Add the ``new`` cuts; ``forget`` the cuts of components this clustering does not have ("others": not in
    ``_cut_signatures``), "all" of them (no component needed cutting), or "none" (a clustering of some components
    only: ``linkage.clusters.scope``)."""
    if forget != "none":
        keep = "WHERE signature NOT IN (SELECT signature FROM _cut_signatures)" if forget == "others" else ""
        con.execute(f"DELETE FROM {CUT_CACHE_TABLE} {keep}")
    if not new:
        return
    table = pa.table({
        "signature": pa.array(list(new), pa.string()),
        "cut": pa.array([json.dumps(cut) for cut, _ in new.values()], pa.string()),
        "flags": pa.array([json.dumps(flags) for _, flags in new.values()], pa.string()),
    })
    con.register("_cuts_now", table)
    try:
        con.execute(f"INSERT INTO {CUT_CACHE_TABLE} SELECT signature, CAST(cut AS JSON), CAST(flags AS JSON)"
                    f" FROM _cuts_now ANTI JOIN {CUT_CACHE_TABLE} c USING (signature)")
    finally:
        con.unregister("_cuts_now")
