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

``own`` is the same for every value, yet a name few records carry is most often one person's records: on DEV
dev-missing a name on 4 / 5 / 6 records was 3.7 / 4.5 / 5.0 records of the one person, where the mean gave 3.2
(and said 67 / 57 % where such pairs were one person 88 / 83 % of the time). Training learns ``own`` per number
of records (``linkage.model.own_by_count``, kept in the model file); other numbers keep the mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# How stored pairs' term frequencies were counted: part of the nightly's scoring version, so a change re-scores every
# pair (2: a level that asks more than equality weighs its share of the pairs, tf_scale).
TERM_FREQUENCY_VERSION = 2
OWN_BY_COUNT_KEY = "own_records_by_count"  # in the model file's ``laolink`` part


@dataclass(frozen=True)
class Own:
    """The expected records of one person carrying a value: ``by_count[k]`` for a value k records carry, where
    training learned it, else ``default`` (the mean over all records)."""

    default: float
    by_count: Mapping[int, float] = field(default_factory=dict)

    def at(self, count: int) -> float:
        return self.by_count.get(count, self.default)

    def sql(self, count: str) -> str:
        """SQL of the value for ``count`` records; decimal literals, as :func:`person_tf_value` reads them."""
        if not self.by_count:
            return repr(self.default)
        whens = " ".join(f"WHEN {k} THEN {v!r}" for k, v in sorted(self.by_count.items()))
        return f"CASE {count} {whens} ELSE {self.default!r} END"


def own_records(model: dict[str, Any], n_records: int,
                by_count: Mapping[str, Mapping[int, float]] | None = None) -> dict[str, Own]:
    """Per term-frequency column with a minimum u, the expected records of one person carrying its value.

    ``model``: Splink settings with the prior already at the store's size (``model_file.settings_for_store``);
    ``by_count``: what training learned per number of records (:func:`learned_own_by_count` of the model file).
    """
    expected_matches = float(model["probability_two_random_records_match"]) * max(n_records - 1, 0)
    out: dict[str, Own] = {}
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            column = level.get("tf_adjustment_column")
            if column and level.get("tf_minimum_u_value") and column not in out:
                out[column] = Own(1.0 + float(level.get("m_probability") or 0.0) * expected_matches,
                                  dict((by_count or {}).get(column) or {}))
    return out


def learned_own_by_count(model_file: dict[str, Any]) -> dict[str, dict[int, float]]:
    """What training learned of ``own`` per number of records (``laolink.own_records_by_count``; JSON keys are
    text), per column; empty for a model trained before it was learned."""
    from linkage.model.model_file import LAOLINK_KEY

    learned = (model_file.get(LAOLINK_KEY) or {}).get(OWN_BY_COUNT_KEY) or {}
    return {column: {int(k): float(v) for k, v in table.items()} for column, table in learned.items()}


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


def person_tf_sql(table: str, column: str, own: Own | None, scale: float = 1.0) -> str:
    """SELECT of ``column`` and ``tf_<column>``: the value's share of the non-null values, less ``own`` records
    (none: the plain share), times ``scale`` (:func:`tf_scale`)."""
    own_sql = "0.0" if own is None else own.sql("count(*)")
    return (
        f'SELECT "{column}", greatest(count(*) - {own_sql}, 0) / sum(count(*)) OVER () * CAST({scale!r} AS DOUBLE)'
        f' AS "tf_{column}" FROM {table} WHERE "{column}" IS NOT NULL GROUP BY "{column}"'
    )


def sharing_pairs_sql(table: str, column: str) -> str:
    """The ordered pairs of ``table``'s records equal on ``column`` (for :func:`tf_scale`)."""
    return (f'SELECT coalesce(sum(k * (k - 1)), 0)::HUGEINT FROM (SELECT count(*) AS k FROM {table}'
            f' WHERE "{column}" IS NOT NULL GROUP BY "{column}")')


def person_tf_value(count: int, total: int, own: Own) -> float:
    """What :func:`person_tf_sql` gives a value ``count`` records of ``total`` carry, to the last bit: DuckDB reads
    the literal ``own`` as a decimal, so the subtraction is exact there and rounded once to a double."""
    from decimal import Decimal

    return max(float(Decimal(count) - Decimal(repr(own.at(count)))), 0.0) / total
