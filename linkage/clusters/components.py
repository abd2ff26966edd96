"""Connected components of a link table, for millions of links (clustering, statistics, cuts)."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components as _components

# Record ids come from a sequence: the links' ends are numbered by their distance from the lowest, unless they are
# spread over more than this many numbers for each end (then they are numbered by rank, a sort).
SPREAD_PER_END = 4


def connected_components(con: duckdb.DuckDBPyConnection, links: str, out: str) -> None:
    """Write ``out(node, label)`` (label = lowest rid of the component) for every linked node.

    The links (``links``: a table, or a subquery with an alias, with ``rid_l`` and ``rid_r``) are read once into
    arrays and their components found by scipy's graph search: at 1M records (569,000 links) 0.2-0.3 s, where
    finding them in SQL by graph contraction (4-5 rounds of hooking and pointer jumping) took 0.6-0.7 s.
    """
    arrow = con.sql(f"SELECT rid_l, rid_r FROM {links} WHERE rid_l <> rid_r").to_arrow_table()
    left = arrow.column("rid_l").to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    right = arrow.column("rid_r").to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    del arrow
    nodes, labels = _labelled(left, right)
    con.register("_cc_arrow", pa.table({"node": pa.array(nodes, pa.int64()), "label": pa.array(labels, pa.int64())}))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT node, label FROM _cc_arrow")
    finally:
        con.unregister("_cc_arrow")


def _labelled(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The linked nodes (ascending) and each one's component label: the lowest node of its component."""
    if len(left) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ends = np.concatenate([left, right])
    low = int(ends.min())
    if int(ends.max()) - low + 1 <= SPREAD_PER_END * len(ends):
        numbers, index = np.arange(low, int(ends.max()) + 1, dtype=np.int64), ends - low
        present = np.zeros(len(numbers), dtype=bool)
        present[index] = True
    else:
        numbers, index = np.unique(ends, return_inverse=True)
        present = np.ones(len(numbers), dtype=bool)
    n, m = len(numbers), len(left)
    graph = csr_matrix((np.ones(m, dtype=bool), (index[:m], index[m:])), shape=(n, n))
    count, component = _components(graph, directed=True, connection="weak")
    lowest = np.full(count, n, dtype=np.int64)
    np.minimum.at(lowest, component, np.arange(n, dtype=np.int64))  # numbers ascend: a component's lowest number
    linked = np.flatnonzero(present)
    return numbers[linked], numbers[lowest[component[linked]]]
