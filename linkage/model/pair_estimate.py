"""How many pairs the prediction rules will make, estimated before any is blocked, a few rules per statement.

Splink's ``count_comparisons_from_blocking_rules`` counts every rule in one query: a union of all the rules'
joins, each excluding the pairs of the rules before it. With 38 rules its hash tables outgrow a tight DuckDB memory
limit (a 750-record store at 200 MB: "failed to pin block"). Here the rules are counted ``RULES_PER_STATEMENT`` at
a time, as they are blocked (``splink_adapter``), over the model input (a fixed sample of it above
``sample_records``, scaled back up by the square of the sampled share).
"""

from __future__ import annotations

import duckdb

from linkage.model.blocking import NamedRule
from linkage.model.splink_adapter import RULES_PER_STATEMENT

SAMPLE_RECORDS = 200_000
_SAMPLE = "laolink_pair_estimate_sample"


def cumulative_pairs(con: duckdb.DuckDBPyConnection, table: str, rules: list[NamedRule], n_records: int,
                     sample_records: int = SAMPLE_RECORDS) -> list[float]:
    """For each rule, the pairs of ``table`` (one row per record, ``rid``) that it or a rule before it makes: exact
    up to ``sample_records`` records, above that counted on a fixed sample of the records and scaled by the square
    of the sampled share."""
    share = min(1.0, sample_records / max(n_records, 1))
    source = table
    if share < 1.0:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_SAMPLE} AS SELECT * FROM {table}"
                    f" WHERE hash(rid) % 1000000 < {round(share * 1_000_000)}")
        source = _SAMPLE
    counts: dict[int, int] = {}
    try:
        for first in range(0, len(rules), RULES_PER_STATEMENT):
            parts = []
            for n in range(first, min(first + RULES_PER_STATEMENT, len(rules))):
                before = " OR ".join(f"coalesce(({r.sql}), false)" for r in rules[:n])
                parts.append(f"SELECT {n} AS rule, count(*) AS pairs FROM {source} l JOIN {source} r"
                             f" ON l.rid < r.rid AND ({rules[n].sql})" + (f" WHERE NOT ({before})" if before else ""))
            counts.update(con.execute(" UNION ALL ".join(parts)).fetchall())
    finally:
        if source == _SAMPLE:
            con.execute(f"DROP TABLE {_SAMPLE}")
    out, total = [], 0.0
    for n in range(len(rules)):
        total += counts[n] / (share * share)
        out.append(total)
    return out
