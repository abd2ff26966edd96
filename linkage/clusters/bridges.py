"""Bridge links: model links that alone hold a cluster together, remembered from one night to the next.

A link is a bridge when removing it splits its cluster into two groups of at least two records; the review
queue asks about those (``linkage.clusters.review_queue``). Bridges depend only on a cluster's links, so the
bridges of each cluster of the last queue are kept under a signature of its links (``BRIDGE_CACHE_TABLE``): a
night that leaves a cluster's links as they were takes its bridges from there, and only the clusters that
changed are searched. A store or snapshot without the table (written before it) searches every cluster.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, depth_first_order

from linkage.store import has_table, multiset_hash_sql

BRIDGE_CACHE_TABLE = "queue_bridge_cache"
# Part of every signature: a change to what counts as a bridge is a new version, and no earlier bridges are taken.
BRIDGE_VERSION = 1
MIN_CLUSTER_RECORDS = 4  # a bridge splits off two records on each side
MIN_SIDE = 2


def _bridges(rid_l: np.ndarray, rid_r: np.ndarray, min_side: int = 2) -> list[int]:
    """Indexes of links whose removal splits their component into two parts of at least ``min_side`` nodes.

    One depth-first search over every cluster at once (scipy), from a root joined to each component through a
    binary tree of added nodes (a root joined to each directly made scipy's search rescan its neighbours: 5 s at
    1M records). A link of the search tree is a bridge when no other link leaves the part below it for a node above
    (every other link joins a node to one of its ancestors); the lowest ancestor each part reaches and its size
    are gathered level by level, deepest first, in numpy: at 1M records (714,000 links of clusters of four records
    or more) 0.6 s, where Tarjan's search node by node in Python took 4.7 s; the same links.
    """
    m = len(rid_l)
    if m == 0:
        return []
    nodes, inverse = np.unique(np.concatenate([rid_l, rid_r]), return_inverse=True)
    n = len(nodes)
    a, b = inverse[:m], inverse[m:]
    _, label = connected_components(csr_matrix((np.ones(m, bool), (a, b)), shape=(n, n)), directed=False)
    first = np.unique(label, return_index=True)[1]  # the node each component is entered by
    k = len(first)
    root, total = n, n + k  # added node n + i enters component i and leads to added nodes n + 2i + 1, n + 2i + 2
    added = np.arange(k)
    left, right = 2 * added + 1, 2 * added + 2
    tails = np.concatenate([a, n + added, (n + added)[left < k], (n + added)[right < k]])
    heads = np.concatenate([b, first, n + left[left < k], n + right[right < k]])
    graph = csr_matrix((np.ones(len(tails), np.int8), (tails, heads)), shape=(total, total))
    order, parent = depth_first_order(graph, root, directed=False, return_predecessors=True)
    parent[root] = root
    pre = np.empty(total, np.int64)
    pre[order] = np.arange(total)
    depth, up = (np.arange(total) != root).astype(np.int64), parent.copy()
    while (up != root).any():  # pointer jumping: each node's distance from the root
        depth, up = depth + depth[up] * (up != root), up[up]
    # a tree link joins a node (its child end) to its parent; a pair linked twice is never a bridge
    key = np.minimum(a, b).astype(np.int64) * total + np.maximum(a, b)
    _, pair_of, pair_count = np.unique(key, return_inverse=True, return_counts=True)
    child = np.where(parent[b] == a, b, np.where(parent[a] == b, a, -1))
    tree = (child >= 0) & (pair_count[pair_of] == 1)
    low = pre.copy()  # the first node in search order that the part below each node reaches
    below_end = np.where(pre[a] > pre[b], a, b)[~tree]
    above_end = np.where(pre[a] > pre[b], b, a)[~tree]
    np.minimum.at(low, below_end, pre[above_end])
    size = np.ones(total, np.int64)
    by_depth = np.argsort(-depth, kind="stable")
    for level in np.split(by_depth, np.flatnonzero(np.diff(depth[by_depth])) + 1):
        if depth[level[0]] > 0:
            np.minimum.at(low, parent[level], low[level])
            np.add.at(size, parent[level], size[level])
    c = child[tree]
    split_off, whole = size[c], size[first[label[c]]]
    bridge = (low[c] == pre[c]) & (np.minimum(split_off, whole - split_off) >= min_side)
    return np.flatnonzero(tree)[bridge].tolist()


def create_bridge_links(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> None:
    """``_bridge_links``: the model links that alone hold a cluster of four records or more together;
    ``_qb_signatures``: those clusters' signatures (the caller drops it). ``_cluster_info`` gives the clusters'
    sizes; with ``scope`` (``linkage.clusters.queue_cache``), only the clusters of its records are looked at.

    A cluster's signature is the number of its links and the sum of their 64-bit hashes (a multiset hash, as the
    snapshot delta compares rows): a changed cluster keeps its old signature only with a chance of 2^-64."""
    cache = has_table(con, BRIDGE_CACHE_TABLE)
    links, clusters = ("cluster_links", "record_cluster") if scope is None else ("_q_links", "_q_rc")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _qb_links AS
        SELECT c.cluster_key, l.rid_l, l.rid_r, l.origin = 'model' AS is_model FROM {links} l
        JOIN {clusters} c ON c.rid = l.rid_l
        WHERE c.cluster_key IN (SELECT cluster_key FROM _cluster_info WHERE size >= {MIN_CLUSTER_RECORDS});
        CREATE OR REPLACE TEMP TABLE _qb_signatures AS
        SELECT cluster_key, '{BRIDGE_VERSION}:' || count(*) || ':' || {multiset_hash_sql("rid_l, rid_r, is_model")}
               AS signature
        FROM _qb_links GROUP BY cluster_key;
        CREATE OR REPLACE TEMP TABLE _bridge_links (rid_l BIGINT, rid_r BIGINT);
        """
    )
    if cache:
        con.execute(
            f"""
            INSERT INTO _bridge_links SELECT b.rid_l, b.rid_r
            FROM (SELECT unnest(c.bridges) AS b FROM {BRIDGE_CACHE_TABLE} c
                  SEMI JOIN _qb_signatures s USING (signature))
            """
        )
    searched = con.sql(
        f"""
        SELECT l.cluster_key, l.rid_l, l.rid_r, l.is_model FROM _qb_links l
        JOIN _qb_signatures s USING (cluster_key)
        {f"ANTI JOIN {BRIDGE_CACHE_TABLE} c ON c.signature = s.signature" if cache else ""}
        """
    ).to_arrow_table()
    is_model = searched["is_model"].to_numpy(zero_copy_only=False)
    found = np.array(_bridges(searched["rid_l"].to_numpy(), searched["rid_r"].to_numpy(), MIN_SIDE), dtype=np.int64)
    found = np.sort(found[is_model[found]]) if len(found) else found
    con.register("_bridge_arrow", searched.select(["cluster_key", "rid_l", "rid_r"]).take(pa.array(found, pa.int64())))
    con.register("_searched_arrow", searched.select(["cluster_key"]))
    try:
        con.execute("INSERT INTO _bridge_links SELECT rid_l, rid_r FROM _bridge_arrow")
        if cache:
            _remember(con, scoped=scope is not None)
    finally:
        con.unregister("_bridge_arrow")
        con.unregister("_searched_arrow")
        con.execute("DROP TABLE _qb_links")


def _remember(con: duckdb.DuckDBPyConnection, *, scoped: bool) -> None:
    """Keep the bridges of this queue's clusters only: the signatures gone are dropped, the new ones added
    (a cluster searched tonight with no bridge is remembered with none). ``scoped``: the clusters looked at are
    those that changed since the last queue, whose signatures then are ``_q_old_signatures``: those are the ones
    that may be gone."""
    gone = "c.signature IN (SELECT signature FROM _q_old_signatures) AND " if scoped else ""
    con.execute(
        f"""
        DELETE FROM {BRIDGE_CACHE_TABLE} c WHERE {gone}NOT EXISTS (SELECT 1 FROM _qb_signatures s
                                                                 WHERE s.signature = c.signature);
        INSERT INTO {BRIDGE_CACHE_TABLE}
        SELECT DISTINCT ON (s.signature) s.signature,
               coalesce(b.bridges, []::STRUCT(rid_l BIGINT, rid_r BIGINT)[])
        FROM _qb_signatures s
        SEMI JOIN (SELECT DISTINCT cluster_key FROM _searched_arrow) d USING (cluster_key)
        LEFT JOIN (SELECT cluster_key, list({{'rid_l': rid_l, 'rid_r': rid_r}} ORDER BY rid_l, rid_r) AS bridges
                   FROM _bridge_arrow GROUP BY cluster_key) b USING (cluster_key)
        ANTI JOIN {BRIDGE_CACHE_TABLE} c ON c.signature = s.signature
        """
    )
