"""Which two persons the review queue's pair items ask about: a pair item asks whether two persons are one.

``_band_pairs`` (``linkage.clusters.review_queue``) holds one uncertain pair per two persons (clusters,
``key_a`` < ``key_b``). Two rules leave out the questions an answer would rarely change or that another answer
settles first:

- Two persons whose records, taken all together, barely look alike are not asked about. A pair item names the
  likeliest pair of records of the two persons, but a yes joins every record of both: the mean over every pair of
  their records of the stored match probability (a pair no blocking rule scored counts 0) under
  ``PERSON_EVIDENCE_MIN`` says their other records disagree. On the shifted 100,000-record demo (seed 1083, every
  knob of ``bench_steward.py``) those items were one person 7.5 % of the time (47 of 623), the other pair items
  47.7 %. Two single records are always asked about: their one pair is all the evidence there is.
- A person is asked about once at a time: its likeliest pair of those left. A yes joins the two persons, and their
  next question is about the joined person; a no (or a not sure) brings the next likeliest the next time the queue
  is built (a night, or a published decision). On the same data the 5,305 pair items left by the first rule
  became 3,906 that share no person, one person 52 % of the time (against 48 %), and the queue went from 7,192
  items (7.0 % of the records) to 5,169 (5.1 %).
"""

from __future__ import annotations

import duckdb

# A pair item's two persons are asked about when the mean probability over every pair of their records is at least
# this (module docstring).
PERSON_EVIDENCE_MIN = 0.1


def one_question_per_person(con: duckdb.DuckDBPyConnection) -> None:
    """Keep in ``_band_pairs`` at most one pair per person: greedily, the likeliest pair first (ties by records).

    Done in rounds: a round keeps every pair that is the likeliest left for both its persons and sets aside the
    other pairs of those persons; what the greedy order would keep, a round keeps as soon as no likelier pair is
    left beside it."""
    con.execute("CREATE OR REPLACE TEMP TABLE _candidates AS SELECT key_a, key_b, match_probability, rid_l, rid_r"
                " FROM _band_pairs")
    con.execute("CREATE OR REPLACE TEMP TABLE _asked (key_a BIGINT, key_b BIGINT)")
    while True:
        chosen = con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _chosen AS
            WITH ends AS (
                SELECT key_a AS person, key_a, key_b, match_probability, rid_l, rid_r FROM _candidates
                UNION ALL SELECT key_b, key_a, key_b, match_probability, rid_l, rid_r FROM _candidates),
            ranked AS (
                SELECT key_a, key_b, row_number() OVER (
                    PARTITION BY person ORDER BY match_probability DESC, rid_l, rid_r) AS r
                FROM ends)
            SELECT key_a, key_b FROM ranked GROUP BY key_a, key_b HAVING max(r) = 1;
            SELECT count(*) FROM _chosen
            """
        ).fetchall()[0][0]
        if not chosen:
            break
        con.execute(
            """
            INSERT INTO _asked SELECT * FROM _chosen;
            CREATE OR REPLACE TEMP TABLE _candidates AS
            WITH taken AS (SELECT key_a AS person FROM _chosen UNION SELECT key_b FROM _chosen)
            SELECT * FROM _candidates
            WHERE key_a NOT IN (SELECT person FROM taken) AND key_b NOT IN (SELECT person FROM taken)
            """
        )
    con.execute("CREATE OR REPLACE TEMP TABLE _band_pairs AS SELECT * FROM _band_pairs SEMI JOIN _asked USING "
                "(key_a, key_b)")
    con.execute("DROP TABLE _candidates; DROP TABLE _chosen; DROP TABLE _asked")
