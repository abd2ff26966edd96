"""The one place that reads Splink's private attributes: a trained model's comparisons as plain data,
and the linker's parameters training adjusts between Splink's own steps.

Real-time matching scores pairs the way Splink's predict SQL does, which needs what Splink keeps
private: each comparison's CASE statement and the columns it reads, each level's match weight and
its term-frequency adjustment. Training restores parameters after a failed EM pass and sets the prior
it measured. Predict runs Splink's own pipeline keeping the levels without both records' values.
Reading them here, and only here, leaves one module to check when Splink changes (they are those of
Splink 5.0's ``settings.py``, ``comparison.py`` and ``comparison_level.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TermFrequencyAdjustment:
    """Splink's adjustment of a level for the value's term frequency ``tf``:
    ``weight * (log2_u_exact - log2(max(tf, minimum_u)))``."""

    column: str
    weight: float
    log2_u_exact: float  # log2 of the u probability of the comparison's exact-match level
    minimum_u: float


@dataclass(frozen=True)
class LevelSpec:
    gamma: int
    label: str
    match_weight: float
    tf: TermFrequencyAdjustment | None  # None when the level has no adjustment (or a zero one)


@dataclass(frozen=True)
class ComparisonSpec:
    name: str
    case_sql: str  # CASE ... END AS gamma_<name>
    input_columns: tuple[str, ...]  # the columns the CASE statement reads, in Splink's order
    levels: tuple[LevelSpec, ...]


def comparison_specs(splink_settings: dict[str, Any]) -> list[ComparisonSpec]:
    """The comparisons of Splink settings (as ``model_file.splink_settings`` gives them), in the model's order."""
    from splink.internals.settings_creator import SettingsCreator

    spl = SettingsCreator.from_path_or_dict(splink_settings).get_settings("duckdb")
    specs = []
    for comp in spl.comparisons:
        levels = comp.comparison_levels
        specs.append(ComparisonSpec(
            name=comp.output_column_name,
            case_sql=comp._case_statement,
            input_columns=tuple(col.input_name for col in comp._input_columns_used_by_case_statement),
            levels=tuple(LevelSpec(gamma=cl.comparison_vector_value, label=cl.label_for_charts,
                                   match_weight=float(cl._match_weight), tf=_tf_adjustment(cl, levels))
                         for cl in levels),
        ))
    return specs


def _tf_adjustment(cl: Any, levels: list[Any]) -> TermFrequencyAdjustment | None:
    """The level's adjustment when its ``_tf_adjustment_sql`` is not 0 (Splink's comparison_level.py)."""
    if (cl.comparison_vector_value == -1 or not cl._has_tf_adjustments or cl._tf_adjustment_weight == 0
            or cl._is_else_level):
        return None
    return TermFrequencyAdjustment(
        column=cl._tf_adjustment_input_column.input_name, weight=float(cl._tf_adjustment_weight),
        log2_u_exact=math.log2(cl._u_probability_corresponding_to_exact_match(levels)),
        minimum_u=float(cl._tf_minimum_u_value))


def linker_comparison_levels(linker: Any, output_column_name: str) -> list[Any]:
    """The levels of a linker's comparison named by its output column (its trained m and u included)."""
    return linker._settings_obj._get_comparison_by_output_column_name(output_column_name).comparison_levels


def linker_term_frequency_columns(linker: Any) -> list[str]:
    """The input column names of every term-frequency adjustment of a linker's model."""
    return [column.unquote().name for column in linker._settings_obj._term_frequency_columns]


def linker_comparison_names(linker: Any) -> list[str]:
    """The output column names of a linker's comparisons, in order."""
    return [c.output_column_name for c in linker._settings_obj.comparisons]


def core_model_settings(linker: Any) -> Any:
    """The linker's trainable parameters (copied before an EM pass Splink may abandon half way)."""
    return linker._settings_obj.core_model_settings


def set_core_model_settings(linker: Any, core: Any) -> None:
    """Put back parameters :func:`core_model_settings` gave."""
    linker._settings_obj.core_model_settings = core


def em_session(linker: Any, rule: Any, max_pairs: float, estimate_without_term_frequencies: bool,
               least_start: float, even_start: float) -> tuple[Any, float]:
    """One EM session as Splink 5.0's ``estimate_parameters_using_expectation_maximisation`` runs it (u fixed), but
    started from ``even_start`` matches among its pairs where Splink would start below ``least_start``; the session
    and the start Splink chose.

    Splink starts from the prior adjusted by the levels exact on the blocking rule's columns (their m / u). A name-key
    pass reverses through "given name key equal, family name different", whose m the birth-date pass before it finds
    near 0: the pass starts at 1e-37 to 1e-61 matches. EM climbed from there on the demo stores, but not always: on a
    store without phones it stopped at 0.28 (pairwise F1 0.59; from 0.5: 0.68 and 0.97), and on one gaining a few
    phones it stayed at 3.5e-31 (no match at all, which made the prior 1.0)."""
    from splink.internals.blocking_rule_creator_utils import to_blocking_rule_creator
    from splink.internals.em_training_session import EMTrainingSession
    from splink.internals.term_frequencies import ensure_term_frequencies_for_linker

    ensure_term_frequencies_for_linker(linker)
    settings = linker._settings_obj
    session = EMTrainingSession(
        linker, db_api=linker._db_api,
        blocking_rule_for_training=to_blocking_rule_creator(rule).get_blocking_rule(linker._sql_dialect_str),
        core_model_settings=settings.core_model_settings, training_settings=settings.training_settings,
        unique_id_input_columns=settings.column_info_settings.unique_id_input_columns, fix_u_probabilities=True,
        estimate_without_term_frequencies=estimate_without_term_frequencies, max_pairs=max_pairs,
    )  # fmt: skip
    start = session.core_model_settings.probability_two_random_records_match
    if start < least_start:
        session.core_model_settings.probability_two_random_records_match = even_start
    settings.core_model_settings = session._train()
    linker._em_training_sessions.append(session)
    linker._populate_m_u_from_trained_values()
    return session, start


def em_session_description(session: Any) -> str:
    """What an EM session wrote beside each m it trained (Splink 5.0's ``em_training_session.py``)."""
    return f"EM, blocked on: {session._blocking_rule_for_training.blocking_rule_sql}"


def trained_m(level: Any) -> float | None:
    """A level's m when training gave it one (None for Splink's default of an untrained level)."""
    return level.m_probability if level._m_is_trained else None


def untrained_m_values(linker: Any) -> dict[tuple[str, int], Any]:
    """Each non-null level's m as it is before EM (kept to put back when no EM pass is left to give one)."""
    return {(comparison.output_column_name, level.comparison_vector_value): level._m_probability
            for comparison in linker._settings_obj.comparisons
            for level in comparison._comparison_levels_excluding_null}


def forget_em_session(linker: Any, description: str, untrained: dict[tuple[str, int], Any]) -> None:
    """Every m as if the EM session that wrote ``description`` had not trained: its values dropped, each level's m
    the median of the other sessions' (Splink's ``_populate_m_u_from_trained_values``), else its ``untrained``."""
    from statistics import median

    for comparison in linker._settings_obj.comparisons:
        for level in comparison._comparison_levels_excluding_null:
            if level._fix_m_probability:
                continue
            kept = [r for r in level._trained_m_probabilities if r["description"] != description]
            level._trained_m_probabilities = kept
            values = [r["probability"] for r in kept if isinstance(r["probability"], int | float)]
            if values:
                level.m_probability = median(values)
            else:
                level._m_probability = untrained[(comparison.output_column_name, level.comparison_vector_value)]


def linker_prior(linker: Any) -> float:
    """The linker's probability that two random records match."""
    return linker._settings_obj._probability_two_random_records_match


def set_linker_prior(linker: Any, probability: float) -> None:
    linker._settings_obj._probability_two_random_records_match = probability


def linker_dialect(linker: Any) -> str:
    """The linker's SQL dialect: ``duckdb`` or ``spark``."""
    return linker._db_api.sql_dialect.sql_dialect_str


def linker_spark_session(linker: Any) -> Any:
    """The Spark session behind a linker on Splink's Spark backend."""
    return linker._db_api.spark


def _pairs_per_rule(linker: Any, blocked: Any) -> dict[int, int]:
    """The blocked pairs per blocking rule (Splink's match_key: the rule's position)."""
    from splink.internals.pipeline import CTEPipeline

    pipeline = CTEPipeline([blocked])
    pipeline.enqueue_sql(f"select match_key, count(*) as n from {blocked.physical_name} group by match_key",
                         "__laolink_blocked_per_rule")
    counts = linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)
    try:
        return {int(row["match_key"]): int(row["n"]) for row in counts.as_record_list()}
    finally:
        counts.drop_table_from_database_and_remove_from_cache()


# Prediction rules joined per blocking statement. Splink's own SQL leaves out of each rule's pairs those of every rule
# before it (a NOT over all their conditions, tested on every pair a join makes: quadratic in the rules, and about
# half of blocking's time with 40 rules, twice over on a night's 80 halves); here each rule's join is plain and a
# pair keeps the first rule that makes it by grouping. Splink's one union of every join outgrew a tight memory limit
# with 38 rules (a 750-record store at 200 MB), so the joins go ``RULES_PER_STATEMENT`` rules per statement.
RULES_PER_STATEMENT = 10


def _blocked_grouped(linker: Any) -> Any | None:
    """The blocked pairs of the prediction rules, each pair once under the first rule that makes it (Splink's match
    key: the same pairs and keys as Splink's own blocking), ``RULES_PER_STATEMENT`` rules' joins per statement; None
    where Splink's own blocking is kept (another engine, or an exploding rule)."""
    import uuid

    from splink.internals.blocking import (
        ExplodingBlockingRule,
        _sql_gen_where_condition,
        combine_unique_id_input_columns,
    )
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.unique_id_concat import _composite_unique_id_from_nodes_sql
    from splink.internals.vertically_concatenate import enqueue_df_concat

    settings = linker._settings_obj
    rules = settings._blocking_rules_to_generate_predictions
    if linker._sql_dialect_str != "duckdb" or not rules or any(isinstance(r, ExplodingBlockingRule) for r in rules):
        return None
    columns = settings.column_info_settings
    ids = combine_unique_id_input_columns(columns.source_dataset_input_column, columns.unique_id_input_column)
    where = _sql_gen_where_condition(settings._link_type, ids)
    key_l, key_r = (_composite_unique_id_from_nodes_sql(ids, side) for side in ("l", "r"))
    table = f"__splink__blocked_id_pairs_laolink_{uuid.uuid4().hex[:12]}"
    con = linker._db_api.duckdb_con
    for first in range(0, len(rules), RULES_PER_STATEMENT):
        joins = " UNION ALL ".join(
            f"SELECT {n} AS match_key, {key_l} AS join_key_l, {key_r} AS join_key_r FROM __splink__df_concat AS l"
            f" INNER JOIN __splink__df_concat AS r ON ({rules[n].blocking_rule_sql}) {where}"
            for n in range(first, min(first + RULES_PER_STATEMENT, len(rules))))
        pipeline = CTEPipeline()
        enqueue_df_concat(linker, pipeline)
        pipeline.enqueue_sql(f"SELECT min(match_key) AS match_key, join_key_l, join_key_r FROM ({joins}) GROUP BY ALL",
                             "__laolink_blocked_batch")
        sql = pipeline.generate_cte_pipeline_sql()
        con.execute(f"CREATE TABLE {table}_all AS {sql}" if first == 0 else f"INSERT INTO {table}_all {sql}")
    con.execute(f"CREATE TABLE {table} AS SELECT min(match_key)::VARCHAR AS match_key, join_key_l, join_key_r"
                f" FROM {table}_all GROUP BY ALL")
    con.execute(f"DROP TABLE {table}_all")
    return linker._db_api.table_to_splink_dataframe("__splink__blocked_id_pairs", table)


def predict_levels_only(
    linker: Any, threshold_match_weight: float, check_blocked: Callable[[dict[int, int]], None] | None = None
) -> Any:
    """Splink's own predict SQL, keeping per pair only the ids, levels (gamma), term frequencies and weights.

    ``check_blocked`` is given the blocked pairs per blocking rule (its number) before any pair is scored.

    ``linker.inference.predict`` gives the levels only with ``retain_matching_columns``, which also
    carries both records' value of every compared column through every scored pair (72 columns
    instead of 23 at a million records); this is the same pipeline as Splink 5.0's
    ``_predict_chunk`` with Splink's training-mode selection (levels without the values).
    """
    from splink.internals.comparison_vector_values import compute_comparison_vector_values_from_id_pairs_sqls
    from splink.internals.dialects import SplinkDialect
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.predict import predict_from_comparison_vectors_sqls
    from splink.internals.vertically_concatenate import enqueue_df_concat_with_tf

    settings = linker._settings_obj
    blocked, cached = _blocked_grouped(linker), False
    ours = blocked is not None
    if not ours:
        blocked, cached = linker.inference._get_or_compute_blocked_pairs_for_predict_chunk((1, 1), (1, 1))
    try:
        if check_blocked is not None:
            check_blocked(_pairs_per_rule(linker, blocked))
        pipeline = CTEPipeline([blocked])
        enqueue_df_concat_with_tf(linker, pipeline)
        columns = settings.column_info_settings
        pipeline.enqueue_list_of_sqls(compute_comparison_vector_values_from_id_pairs_sqls(
            settings._columns_to_select_for_blocking, settings._columns_to_select_for_comparison_vector_values,
            input_tablename_l="__splink__df_concat_with_tf", input_tablename_r="__splink__df_concat_with_tf",
            source_dataset_input_column=columns.source_dataset_input_column,
            unique_id_input_column=columns.unique_id_input_column, link_type=settings._link_type,
            sql_dialect_str=linker._sql_dialect_str,
        ))  # fmt: skip
        pipeline.enqueue_list_of_sqls(predict_from_comparison_vectors_sqls(
            unique_id_input_columns=columns.unique_id_input_columns,
            core_model_settings=settings.core_model_settings,
            sql_dialect=SplinkDialect.from_string(settings._sql_dialect_str),
            threshold_match_weight=threshold_match_weight, retain_matching_columns=False,
            retain_intermediate_calculation_columns=True, training_mode=True,
        ))  # fmt: skip
        return linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)
    finally:
        if not cached:
            blocked.drop_table_from_database_and_remove_from_cache(force_non_splink_table=ours)
