"""Sources that list each person once: a record's match in such a source is one record, not several.

A register (one record per victim), a list of originals or a deduplicated export says so in its mapping
(``one_record_per_person: true``). Between two such sources the pairwise probability undersells a pair that is
the only plausible one: the model scores each pair as if the record could match any number of records of the
other source, against a prior spread over all pairs of the store. Knowing that record ``a`` of source A has at
most one match in source B, the probability that it is ``b`` is (a local form of the one-to-one assignment of
Sadinle, JASA 2017)::

    P(a ~ b) = odds(a, b) / (1 - covered(A, B) + sum of odds(a, b') over a's candidates b' in B)

where ``covered(A, B)``, the share of A's records that have their match in B, is the model's own expected number
of A-B matches (the sum of the pairs' probabilities) over A's size, capped at ``MAX_COVERAGE``. The smaller of
the two directions counts, and it only ever adds links: a pair the model already links stays linked. Two records
of one such source are never one person: clustering cuts them apart as a contradiction
(``linkage.clusters.consistency``).
"""

from __future__ import annotations

import duckdb

from linkage.sources.file_settings import record_setting_sql, source_settings_sql

LISTED_ONCE_TABLE = "_listed_once_sources"
ASSIGNMENT_TABLE = "_assignment"
MAX_COVERAGE = 0.99  # never treat a source as certainly holding every record's match: 1 - covered stays > 0


def listed_once_sources(con: duckdb.DuckDBPyConnection, *, refresh: bool = True) -> int:
    """(Re)create ``_listed_once_sources(source, records)``: sources all of whose records came from files whose
    mapping says ``one_record_per_person`` (a record posted through the API: its source's setting, the night's,
    ``file_settings.record_setting_sql``); return how many there are (0 for a store from before the setting).
    ``refresh`` False keeps the table this connection already made (clustering makes it once per run)."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?",
                         [LISTED_ONCE_TABLE]).fetchall()[0][0]
    if exists and not refresh:
        return con.execute(f"SELECT count(*) FROM {LISTED_ONCE_TABLE}").fetchall()[0][0]
    has_setting = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'ingested_files' AND column_name = "
        "'one_record_per_person' AND schema_name = 'main' AND database_name = current_database()"
    ).fetchall()[0][0]
    listed = f"bool_and(coalesce({record_setting_sql('one_record_per_person')}, false))" if has_setting else "false"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {LISTED_ONCE_TABLE} AS
            SELECT r.source, count(*) AS records FROM records r JOIN ingested_files f USING (file_id)
            JOIN ({source_settings_sql(con)}) s ON s.source = r.source
            GROUP BY r.source HAVING {listed}"""
    )
    return con.execute(f"SELECT count(*) FROM {LISTED_ONCE_TABLE}").fetchall()[0][0]


def create_assignment_probabilities(con: duckdb.DuckDBPyConnection) -> int:
    """``_assignment(rid_l, rid_r, match_weight, match_probability)``: the one-to-one probability of every scored
    pair between two different listed-once sources (``listed_once_sources`` first); return the pairs.

    The pair's evidence is its Bayes factor, the sum of its comparisons' weights (``mw_*``: the match weight
    without the store's prior), and the prior of one candidate is ``covered(A, B)`` over B's size."""
    weights = [c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'predictions' AND column_name LIKE 'mw\\_%' "
        "ESCAPE '\\' AND schema_name = 'main' AND database_name = current_database() ORDER BY column_index"
    ).fetchall()]
    evidence = " + ".join(f'coalesce(p."{c}", 0)' for c in weights) or "0"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {ASSIGNMENT_TABLE} AS
        WITH pairs AS (
            SELECT p.rid_l, p.rid_r, max(p.match_weight) AS match_weight,
                   max(p.match_probability) AS match_probability, max({evidence}) AS evidence,
                   any_value(a.source) AS source_l, any_value(b.source) AS source_r
            FROM predictions p
            JOIN records a ON a.rid = p.rid_l JOIN {LISTED_ONCE_TABLE} sa ON sa.source = a.source
            JOIN records b ON b.rid = p.rid_r JOIN {LISTED_ONCE_TABLE} sb ON sb.source = b.source
            WHERE a.source <> b.source
            GROUP BY p.rid_l, p.rid_r
        ),
        ends AS (  -- each pair seen from each of its records: (record, its source, the other source)
            SELECT rid_l AS rid, source_l AS source, source_r AS other, rid_l, rid_r, match_weight, evidence,
                   match_probability FROM pairs
            UNION ALL
            SELECT rid_r, source_r, source_l, rid_l, rid_r, match_weight, evidence, match_probability FROM pairs
        ),
        coverage AS (
            SELECT e.source, e.other, least({MAX_COVERAGE}, sum(e.match_probability) / any_value(s.records))
                       AS covered, any_value(o.records) AS other_records
            FROM ends e JOIN {LISTED_ONCE_TABLE} s USING (source) JOIN {LISTED_ONCE_TABLE} o ON o.source = e.other
            GROUP BY e.source, e.other
        ),
        candidates AS (
            SELECT e.rid, e.other, e.rid_l, e.rid_r, e.match_weight, c.covered,
                   pow(2.0, least(e.evidence, 200.0)) * c.covered / c.other_records AS prior_times_evidence
            FROM ends e JOIN coverage c USING (source, other)
        ),
        directed AS (
            SELECT rid_l, rid_r, match_weight, prior_times_evidence
                       / (1 - covered + sum(prior_times_evidence) OVER (PARTITION BY rid, other)) AS probability
            FROM candidates
        )
        SELECT rid_l, rid_r, any_value(match_weight) AS match_weight, min(probability) AS match_probability
        FROM directed GROUP BY rid_l, rid_r
        """
    )
    return con.execute(f"SELECT count(*) FROM {ASSIGNMENT_TABLE}").fetchall()[0][0]
