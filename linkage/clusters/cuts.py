"""Cutting clusters apart: where a "not the same" decision or a consistency rule says two records of one
component are two people, the weakest set of model links between them is cut (a minimum cut, links weighted by
match weight; decision links are never cut), and the cut is flagged for review (``linkage.clusters.clustering``).
"""

from __future__ import annotations

import math
from collections import deque

import duckdb
import pyarrow as pa

from linkage.clusters import cut_cache
from linkage.clusters.components import connected_components
from linkage.clusters.consistency import ConsistencyRules, constraint_pairs
from linkage.store import has_table

# Capacity of a model link in the cut: its match weight, never less than this, so that
# links below even odds still count as (weak) evidence rather than none.
MIN_CUT_CAPACITY = 0.01


def _reachable(adj: dict[int, dict[int, float]], start: int, usable=None,
               stop: int | None = None) -> dict[int, int | None]:
    """Breadth-first search from ``start`` over links where ``usable(u, v)`` (every link when None); returns parents.

    With ``stop``, the search ends as soon as that node is reached.
    """
    parent: dict[int, int | None] = {start: None}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in adj[u]:
            if v not in parent and (usable is None or usable(u, v)):
                parent[v] = u
                if v == stop:
                    return parent
                queue.append(v)
    return parent


def _path(parent: dict[int, int | None], end: int) -> list[int]:
    path = [end]
    while parent[path[-1]] is not None:
        path.append(parent[path[-1]])
    return path[::-1]


def minimum_cut(capacity: dict[int, dict[int, float]], s: int, t: int) -> list[tuple[int, int]]:
    """Links of least total capacity whose removal separates ``s`` from ``t`` (Edmonds-Karp).

    ``capacity`` is symmetric (an undirected graph); infinite links are never in the cut,
    so there must be a path from s to t through at least one finite link.

    The links cut are those leaving the records ``s`` still reaches when no more flow gets through: the same for
    every maximum flow, so the order the search takes links in does not change them.
    """
    return _minimum_cut(capacity, s, t)[0]


def _minimum_cut(capacity: dict[int, dict[int, float]], s: int, t: int) -> tuple[list[tuple[int, int]], set[int]]:
    """:func:`minimum_cut`, and the records ``s`` still reaches (its side of the cut)."""
    flow: dict[int, dict[int, float]] = {}  # only links that carry flow: the rest of the graph is never copied
    while True:
        parent = _augmenting_path(capacity, flow, s, t)
        if t not in parent:
            break
        path = _path(parent, t)
        steps = list(zip(path, path[1:], strict=False))
        push = min(capacity[u][v] - flow.get(u, {}).get(v, 0.0) for u, v in steps)
        if math.isinf(push):
            raise ValueError("the two records are joined by links that may not be cut")
        for u, v in steps:
            out, back = flow.setdefault(u, {}), flow.setdefault(v, {})
            out[v] = out.get(v, 0.0) + push
            back[u] = back.get(u, 0.0) - push
    source_side = set(parent)
    return sorted(
        (min(u, v), max(u, v)) for u in source_side for v in capacity[u] if v not in source_side
    ), source_side


def _augmenting_path(capacity: dict[int, dict[int, float]], flow: dict[int, dict[int, float]], s: int,
                     t: int) -> dict[int, int | None]:
    """Breadth-first search from ``s`` over the links with residual capacity (over 1e-12) until ``t``; parents.
    :func:`_reachable` with that condition written out (a minimum cut's searches are most of clustering's time)."""
    parent: dict[int, int | None] = {s: None}
    queue = deque([s])
    while queue:
        u = queue.popleft()
        sent = flow.get(u)
        for v, cap in capacity[u].items():
            if v not in parent and (cap - sent.get(v, 0.0) if sent else cap) > 1e-12:
                parent[v] = u
                if v == t:
                    return parent
                queue.append(v)
    return parent


def _apply_negative_decisions(
    links: list[tuple[int, int, float, str]],
    negatives: list[tuple[int, int, int]],
    constraints: list[tuple[int, int, str]] = (),
) -> tuple[set[tuple[int, int]], list[dict]]:
    """Cut model links until each negative pair is apart; return the cut links and the flags.

    ``links``: (rid_l, rid_r, match_weight, origin) of the affected components;
    ``negatives``: (rid_l, rid_r, decision_id), applied in decision order; then
    ``constraints``: (rid_l, rid_r, reason) from the consistency rules, which yield silently
    to "same person" decisions (a steward saw both records and judged them one person).
    """
    capacity: dict[int, dict[int, float]] = {}
    for a, b, weight, origin in sorted(links):
        cap = math.inf if origin == "decision" else max(weight, MIN_CUT_CAPACITY)
        capacity.setdefault(a, {})[b] = cap
        capacity.setdefault(b, {})[a] = cap
    cut: set[tuple[int, int]] = set()
    flags: list[dict] = []
    # The records each record is still joined with (one set per part, itself included), found when asked and
    # forgotten when a cut goes through them: most contradicting pairs of a large component are apart after its
    # first cuts, and need no search then.
    joined: dict[int, set[int]] = {}

    def apart(a: int, b: int) -> bool:
        if a not in joined:
            part = set(_reachable(capacity, a))
            joined.update(dict.fromkeys(part, part))
        return b not in joined[a]

    def cut_apart(a: int, b: int, kind: str, detail: dict) -> None:
        """Cut the fewest-weight links that keep a and b together, and flag the cut as ``kind``."""
        pair_cut, side = _minimum_cut(capacity, a, b)
        if not pair_cut:
            return  # already apart after an earlier cut
        for u, v in pair_cut:
            del capacity[u][v]
            del capacity[v][u]
        for node in joined.get(a, ()):
            del joined[node]
        joined.update(dict.fromkeys(side, side))  # every link leaving a's side is cut: that side is its part now
        cut.update(pair_cut)
        flags.append(
            {
                "kind": kind,
                "rid_l": a,
                "rid_r": b,
                "links_cut": len(pair_cut),
                "detail": {**detail, "cut": [list(p) for p in pair_cut]},
            }
        )

    decided = {end for a, b, _, origin in links if origin == "decision" for end in (a, b)}  # never cut

    def by_decisions(a: int, b: int) -> dict[int, int | None]:
        """The search from ``a`` over decision links only (none to search when ``a`` has no decision link)."""
        if a not in decided:
            return {a: None}
        return _reachable(capacity, a, lambda u, v: math.isinf(capacity[u][v]), stop=b)

    for a, b, decision_id in sorted(negatives, key=lambda n: n[2]):
        if apart(a, b):
            continue  # apart after an earlier cut
        joined_by = by_decisions(a, b)
        if b in joined_by:
            chain = _path(joined_by, b)
            flags.append(
                {
                    "kind": "decision-conflict",
                    "rid_l": a,
                    "rid_r": b,
                    "links_cut": 0,
                    "detail": {
                        "negative_decision_id": decision_id,
                        "joined_by_positive_decisions": chain,
                        "resolution": "kept together: the 'same person' decisions join them",
                    },
                }
            )
            continue
        cut_apart(a, b, "negative-cut", {"negative_decision_id": decision_id})
    for a, b, reason in constraints:
        if apart(a, b):
            continue  # apart after an earlier cut
        if b not in by_decisions(a, b):
            cut_apart(a, b, "consistency-cut", {"reason": reason})
    return cut, flags


def cut_contradictions(
    con: duckdb.DuckDBPyConnection, decisions_table: str, consistency: ConsistencyRules | None, max_records: int,
    *, forget_others: bool = True,
) -> list[dict]:
    """Cut apart, in Python, the "not the same" pairs and the contradicting records the links still join;
    relabel the components cut. The flags of the cuts (each with the links it cut).
    A component as it was at the last clustering takes its remembered cut (``linkage.clusters.cut_cache``): only
    the components that changed come into Python. ``forget_others``: the cache keeps the cuts of these
    components only (False when they are some of the store's: ``linkage.clusters.scope``)."""
    negatives = con.execute(
        f"""
        SELECT d.rid_l, d.rid_r, d.decision_id, a.label
        FROM {decisions_table} d
        JOIN _labels a ON a.node = d.rid_l JOIN _labels b ON b.node = d.rid_r
        WHERE d.judgement = 'negative' AND a.label = b.label
        """
    ).fetchall()
    constraints = constraint_pairs(con, "_labels", consistency, max_records, "_links") if consistency else []
    cache = has_table(con, cut_cache.CUT_CACHE_TABLE)  # not in a snapshot written before it
    if not (negatives or constraints):
        if cache and forget_others:
            cut_cache.remember_cuts(con, {}, forget="all")
        return []
    _create_cut_components(con, negatives, constraints)
    signature_of = cut_cache.create_signatures(con, f"capacity>={MIN_CUT_CAPACITY}")
    known = cut_cache.known_cuts(con) if cache else {}
    todo = sorted(label for label, sig in signature_of.items() if sig not in known)
    rows = _component_links(con, todo)
    label_of = {node: row[0] for row in rows for node in row[1:3]}
    probability_of = {(min(row[1], row[2]), max(row[1], row[2])): row[5] for row in rows}
    searched = set(todo)
    new_cut, new_flags = _apply_negative_decisions(
        [row[1:5] for row in rows], [n[:3] for n in negatives if n[3] in searched],
        [c for c in constraints if c[0] in label_of])  # in their order: the cuts follow it
    for flag in new_flags:  # each cut link's probability as clustering weighed it (the review queue asks the likeliest)
        if "cut" in flag["detail"]:
            flag["detail"]["cut_probabilities"] = [probability_of[tuple(pair)] for pair in flag["detail"]["cut"]]
    new: dict[str, cut_cache.Cut] = {signature_of[label]: ([], []) for label in todo}
    for pair in sorted(new_cut):
        new[signature_of[label_of[pair[0]]]][0].append(pair)
    for flag in new_flags:
        new[signature_of[label_of[flag["rid_l"]]]][1].append(flag)
    if cache:
        cut_cache.remember_cuts(con, new, forget="others" if forget_others else "none")
    cuts = {**new, **known}  # the remembered cuts of this clustering's components only
    cut = {tuple(pair) for links_cut, _ in cuts.values() for pair in links_cut}
    if cut:
        _remove_cut_links(con, cut)
    con.execute("DROP TABLE _cut_negatives; DROP TABLE _cut_constraints; DROP TABLE _cut_signatures")
    return sorted((f for _, flags in cuts.values() for f in flags), key=_flag_order)


def _create_cut_components(con: duckdb.DuckDBPyConnection, negatives: list[tuple], constraints: list[tuple]) -> None:
    """``_cut_negatives`` and ``_cut_constraints`` with their component's label, and ``_cut_components``: the
    labels of the components that hold either."""
    con.register("_negatives_arrow", pa.table({
        "rid_l": pa.array([n[0] for n in negatives], pa.int64()),
        "rid_r": pa.array([n[1] for n in negatives], pa.int64()),
        "decision_id": pa.array([n[2] for n in negatives], pa.int64()),
        "label": pa.array([n[3] for n in negatives], pa.int64())}))
    con.register("_constraints_arrow", pa.table({
        "rid_l": pa.array([c[0] for c in constraints], pa.int64()),
        "rid_r": pa.array([c[1] for c in constraints], pa.int64()),
        "reason": pa.array([c[2] for c in constraints], pa.string())}))
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _cut_negatives AS SELECT * FROM _negatives_arrow;
            CREATE OR REPLACE TEMP TABLE _cut_constraints AS
            SELECT c.*, a.label FROM _constraints_arrow c JOIN _labels a ON a.node = c.rid_l;
            CREATE OR REPLACE TEMP TABLE _cut_components AS
            SELECT label FROM _cut_negatives UNION SELECT label FROM _cut_constraints;
            """
        )
    finally:
        con.unregister("_negatives_arrow")
        con.unregister("_constraints_arrow")


def _component_links(con: duckdb.DuckDBPyConnection, labels: list[int]) -> list[tuple]:
    """(label, rid_l, rid_r, match weight, origin, probability) of every link of the components ``labels``."""
    if not labels:
        return []
    return con.execute(
        """
        SELECT a.label, l.rid_l, l.rid_r, coalesce(l.match_weight, 0), l.origin, l.match_probability
        FROM _links l JOIN _labels a ON a.node = l.rid_l
        WHERE a.label IN (SELECT unnest($1::BIGINT[]))
        """,
        [labels],
    ).fetchall()


def _flag_order(flag: dict) -> tuple:
    """The order ``_apply_negative_decisions`` raises flags in: decisions by id, then contradictions by records."""
    if "negative_decision_id" in flag["detail"]:
        return (0, flag["detail"]["negative_decision_id"], 0, 0)
    return (1, 0, flag["rid_l"], flag["rid_r"])


def _remove_cut_links(con: duckdb.DuckDBPyConnection, cut: set[tuple[int, int]]) -> None:
    """Delete the cut links from ``_links`` and relabel the records of the components they were in
    (``_cut_components``): each part takes its lowest record as label, a record left alone its own."""
    cut_arrow = pa.table({"rid_l": pa.array([c[0] for c in cut], pa.int64()),
                          "rid_r": pa.array([c[1] for c in cut], pa.int64())})
    con.register("_cut_arrow", cut_arrow)
    try:
        con.execute("DELETE FROM _links WHERE (rid_l, rid_r) IN (SELECT (rid_l, rid_r) FROM _cut_arrow)")
    finally:
        con.unregister("_cut_arrow")
    con.execute("CREATE OR REPLACE TEMP TABLE _cut_graph AS SELECT l.rid_l, l.rid_r FROM _links l"
                " JOIN _labels a ON a.node = l.rid_l SEMI JOIN _cut_components c ON c.label = a.label")
    connected_components(con, "_cut_graph", "_cut_parts")
    con.execute(
        """
        UPDATE _labels SET label = coalesce(p.label, _labels.node)
        FROM _labels o LEFT JOIN _cut_parts p ON p.node = o.node
        WHERE o.node = _labels.node AND o.label IN (SELECT label FROM _cut_components);
        DROP TABLE _cut_graph; DROP TABLE _cut_parts;
        """
    )
