"""Cuts remembered from one clustering to the next: a component cut as before costs no minimum cut.

The cut of a component (``linkage.clusters.cuts``) and the flags it raises depend only on its links (ends,
weights, origins), its "not the same" decisions and its contradicting pairs, and on the code (``CUT_VERSION``).
A night that leaves a component's three as they were finds its cut (links cut, flags raised) under the
component's signature, a digest of the three; only the components that changed are cut again. The table holds
the cuts of the last clustering only. A store or snapshot without the table (written before it) cuts every
component, as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import duckdb
import pyarrow as pa

CUT_CACHE_TABLE = "clustering_cut_cache"
# Part of every signature: a change to how components are cut (the algorithm; its capacities are in the signature
# already) or to what a cut's flags say (their kinds, detail keys, texts) is a new version, and no cut of an
# earlier one is taken.
# 2: the links' probabilities are in the signature, and a cut's flag lists them (``cut_probabilities``).
CUT_VERSION = 2

Cut = tuple[list[tuple[int, int]], list[dict]]  # links cut, flags raised


def signature(links: Iterable[tuple], negatives: Iterable[tuple], constraints: Iterable[tuple], context: str) -> str:
    """Digest of one component's links (rid_l, rid_r, match weight, origin, probability), negative decisions
    (rid_l, rid_r, decision id) and contradicting pairs (rid_l, rid_r, reason), with ``context`` (what else the
    cut depends on: its version and capacities)."""
    text = repr((CUT_VERSION, context, sorted(links), sorted(negatives), sorted(constraints)))
    return hashlib.sha256(text.encode()).hexdigest()


def known_cuts(con: duckdb.DuckDBPyConnection, signatures: Iterable[str]) -> dict[str, Cut]:
    """The remembered cuts of the given signatures (those found)."""
    wanted = pa.table({"signature": pa.array(sorted(set(signatures)), pa.string())})
    con.register("_cut_signatures", wanted)
    try:
        rows = con.execute(f"SELECT c.signature, CAST(c.cut AS VARCHAR), CAST(c.flags AS VARCHAR)"
                           f" FROM {CUT_CACHE_TABLE} c SEMI JOIN _cut_signatures w USING (signature)").fetchall()
    finally:
        con.unregister("_cut_signatures")
    return {sig: ([tuple(pair) for pair in json.loads(cut)], json.loads(flags)) for sig, cut, flags in rows}


def remember_cuts(con: duckdb.DuckDBPyConnection, cuts: dict[str, Cut]) -> None:
    """Replace the remembered cuts with ``cuts`` (this clustering's components)."""
    table = pa.table({
        "signature": pa.array(list(cuts), pa.string()),
        "cut": pa.array([json.dumps(cut) for cut, _ in cuts.values()], pa.string()),
        "flags": pa.array([json.dumps(flags) for _, flags in cuts.values()], pa.string()),
    })
    con.register("_cuts_now", table)
    try:
        con.execute(f"DELETE FROM {CUT_CACHE_TABLE}")
        con.execute(f"INSERT INTO {CUT_CACHE_TABLE} SELECT signature, CAST(cut AS JSON), CAST(flags AS JSON)"
                    " FROM _cuts_now")
    finally:
        con.unregister("_cuts_now")
