"""Term frequencies that count the other people carrying a value, not the person's own records.

Splink's term frequency of a value is its share of the records, and the u probability of "equal on
this value" becomes that share. But a value carried by k records is carried, on average, by the
person's own record and ``own - 1`` more records of the same person as well: only ``k - own`` are
other people's. A whole name seen on 3 records of a 10,000-record store is most often one person's
three records, yet the plain frequency weighs it as 3 people's name. On DEV variants of the shifted
demo data (seeds 1001-1006, never the held-out ones), pairs sharing only a name held by 2-6 records
were the same person 86-98 % of the time while the model said 38-66 %.

``own`` comes from the model alone: 1 + m(the level) x the expected matches of a record, which is the
prior at the store's size times (N - 1). The level's ``tf_minimum_u_value`` still bounds how much a
rare value says; levels without one keep Splink's plain frequencies.
"""

from __future__ import annotations

from typing import Any

import duckdb


def own_records(model: dict[str, Any], n_records: int) -> dict[str, float]:
    """Per term-frequency column with a minimum u, the expected records of one person carrying its value.

    ``model``: Splink settings with the prior already at the store's size (``model_file.settings_for_store``).
    """
    expected_matches = float(model["probability_two_random_records_match"]) * max(n_records - 1, 0)
    out: dict[str, float] = {}
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            column = level.get("tf_adjustment_column")
            if column and level.get("tf_minimum_u_value") and column not in out:
                out[column] = 1.0 + float(level.get("m_probability") or 0.0) * expected_matches
    return out


def person_tf_sql(table: str, column: str, own: float) -> str:
    """SELECT of ``column`` and ``tf_<column>``: the value's share of the non-null values, less ``own`` records."""
    return (
        f'SELECT "{column}", greatest(count(*) - {own!r}, 0) / sum(count(*)) OVER () AS "tf_{column}" '
        f'FROM {table} WHERE "{column}" IS NOT NULL GROUP BY "{column}"'
    )


def person_tf_value(count: int, total: int, own: float) -> float:
    """What :func:`person_tf_sql` gives a value ``count`` records of ``total`` carry, to the last bit: DuckDB reads
    the literal ``own`` as a decimal, so the subtraction is exact there and rounded once to a double."""
    from decimal import Decimal

    return max(float(Decimal(count) - Decimal(repr(own))), 0.0) / total


def person_term_frequencies(
    con: duckdb.DuckDBPyConnection, table: str, model: dict[str, Any], n_records: int
) -> dict[str, dict[Any, float]]:
    """Each corrected column's value -> term frequency (for real-time scoring, as batch prediction registers them)."""
    return {
        column: dict(con.execute(person_tf_sql(table, column, own)).fetchall())
        for column, own in own_records(model, n_records).items()
    }
