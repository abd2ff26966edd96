"""Connected components of a link table in SQL, for millions of links (clustering, statistics, cuts)."""

from __future__ import annotations

import duckdb


def connected_components(con: duckdb.DuckDBPyConnection, links: str, out: str) -> int:
    """Write ``out(node, label)`` (label = lowest rid of the component) for every linked node.

    Graph contraction: each round every node takes the lowest of itself and its neighbours,
    pointer jumping makes those choices point straight at their lowest, the links are
    rewritten between the chosen nodes (dropping those inside one), and each original
    node's label follows. Both the nodes and the links shrink every round, so the number
    of rounds grows with the logarithm of the component size, not with its length.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cc_links AS
        SELECT DISTINCT least(rid_l, rid_r) AS a, greatest(rid_l, rid_r) AS b FROM {links} WHERE rid_l <> rid_r;
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT a AS node, a AS label FROM _cc_links UNION SELECT b, b FROM _cc_links;
        """
    )
    rounds = 0
    while con.execute("SELECT count(*) FROM _cc_links").fetchall()[0][0] > 0:
        rounds += 1
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _cc_hook AS
            SELECT a AS node, least(a, min(b)) AS label
            FROM (SELECT a, b FROM _cc_links UNION ALL SELECT b, a FROM _cc_links)
            GROUP BY a
            """
        )
        while True:  # pointer jumping until every node points at the end of its chain
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE _cc_jump AS
                SELECT h.node, p.label, p.label <> h.label AS changed
                FROM _cc_hook h JOIN _cc_hook p ON p.node = h.label
                """
            )
            changed = con.execute("SELECT count(*) FROM _cc_jump WHERE changed").fetchall()[0][0]
            con.execute("DROP TABLE _cc_hook; ALTER TABLE _cc_jump RENAME TO _cc_hook")
            if changed == 0:
                break
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _cc_next AS
            SELECT DISTINCT least(ha.label, hb.label) AS a, greatest(ha.label, hb.label) AS b
            FROM _cc_links l JOIN _cc_hook ha ON ha.node = l.a JOIN _cc_hook hb ON hb.node = l.b
            WHERE ha.label <> hb.label;
            DROP TABLE _cc_links;
            ALTER TABLE _cc_next RENAME TO _cc_links;
            CREATE OR REPLACE TEMP TABLE _cc_relabelled AS
            SELECT o.node, coalesce(h.label, o.label) AS label FROM {out} o LEFT JOIN _cc_hook h ON h.node = o.label;
            DROP TABLE {out};
            ALTER TABLE _cc_relabelled RENAME TO {out};
            """
        )
    con.execute("DROP TABLE IF EXISTS _cc_links; DROP TABLE IF EXISTS _cc_hook")
    return rounds
