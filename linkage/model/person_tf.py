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

A level that asks more than equality on its term-frequency column ("given name key equal, family name
missing on one side") is its own reference in Splink (``disable_tf_exact_match_detection``): the weight
becomes log2(m / tf), as if every pair sharing the given name were at that level. Only a share of them is
(``scale`` = the level's u / the u of equality on the column, counted over the store's records: 0.30 on
DEV dev-nicknames-typos), so a nickname pair was weighed 1.8 bits too low there: pairs the model put at
0.2 / 0.3 / 0.5 were one person 52 / 62 / 83 % of the time. The frequencies of such a column are
multiplied by ``scale`` (at most 1): log2(m / (tf x scale)) is the level's own odds for the value.
"""

from __future__ import annotations

from typing import Any

# How stored pairs' term frequencies were counted: part of the nightly's scoring version, so a change re-scores every
# pair (2: a level that asks more than equality weighs its share of the pairs, tf_scale).
TERM_FREQUENCY_VERSION = 2


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


def level_u_of_columns(model: dict[str, Any]) -> dict[str, float]:
    """Per term-frequency column whose one level is its own reference (``disable_tf_exact_match_detection``), that
    level's u probability: the columns whose frequencies :func:`tf_scale` corrects."""
    levels: dict[str, list[dict[str, Any]]] = {}
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("tf_adjustment_column"):
                levels.setdefault(level["tf_adjustment_column"], []).append(level)
    return {column: float(found[0]["u_probability"]) for column, found in levels.items()
            if len(found) == 1 and found[0].get("disable_tf_exact_match_detection") and found[0].get("u_probability")}


def tf_scale(level_u: float, sharing_pairs: int, n_records: int) -> float:
    """The share of the pairs equal on a column that are at its level (module docstring): the level's u over the
    probability that two of the ``n_records`` records are equal on it (``sharing_pairs``: the ordered pairs of
    records with an equal value, sum of k(k - 1)); 1 when none are."""
    if sharing_pairs <= 0 or n_records < 2:
        return 1.0
    return min(1.0, level_u * n_records * (n_records - 1) / sharing_pairs)


def person_tf_sql(table: str, column: str, own: float, scale: float = 1.0) -> str:
    """SELECT of ``column`` and ``tf_<column>``: the value's share of the non-null values, less ``own`` records,
    times ``scale`` (:func:`tf_scale`)."""
    return (
        f'SELECT "{column}", greatest(count(*) - {own!r}, 0) / sum(count(*)) OVER () * CAST({scale!r} AS DOUBLE)'
        f' AS "tf_{column}" FROM {table} WHERE "{column}" IS NOT NULL GROUP BY "{column}"'
    )


def sharing_pairs_sql(table: str, column: str) -> str:
    """The ordered pairs of ``table``'s records equal on ``column`` (for :func:`tf_scale`)."""
    return (f'SELECT coalesce(sum(k * (k - 1)), 0)::HUGEINT FROM (SELECT count(*) AS k FROM {table}'
            f' WHERE "{column}" IS NOT NULL GROUP BY "{column}")')


def person_tf_value(count: int, total: int, own: float) -> float:
    """What :func:`person_tf_sql` gives a value ``count`` records of ``total`` carry, to the last bit: DuckDB reads
    the literal ``own`` as a decimal, so the subtraction is exact there and rounded once to a double."""
    from decimal import Decimal

    return max(float(Decimal(count) - Decimal(repr(own))), 0.0) / total
