"""Which backend Splink runs on: DuckDB (the default, one server) or Spark (a cluster).

The store stays in DuckDB either way. With ``engine="spark"`` the model input goes to Spark
as Arrow, Splink trains or scores there with the same settings, blocking rules and
comparisons (its SQL is transpiled from DuckDB's dialect by sqlglot), and the scored pairs
come back to DuckDB as Arrow, in the same shape as DuckDB's own.

The Spark session is local (``local[2]``) unless ``LAOLINK_SPARK_MASTER`` names a cluster,
e.g. ``spark://host:7077`` or ``yarn``; other Spark settings (executor memory, cores) go in
``$SPARK_CONF_DIR/spark-defaults.conf`` as for any Spark application. ``LAOLINK_SPARK_DRIVER_MEMORY``
(default 4g) sizes the driver, which holds the Arrow batches on their way in and out.
"""

from __future__ import annotations

import copy
import os
import re
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot
from splink import Linker, SettingsCreator

from linkage.errors import LaoLinkError
from linkage.model.model_input import MODEL_INPUT_TABLE, Workspace
from linkage.model.person_tf import level_u_of_columns, own_records, person_tf_sql, sharing_pairs_sql, tf_scale
from linkage.model.splink_adapter import (
    linker_dialect,
    linker_spark_session,
    linker_term_frequency_columns,
    predict_levels_only,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("duckdb", "spark")
_sessions: dict[str, SparkSession] = {}


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise LaoLinkError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    return engine


def spark_session(work_dir: Path | None = None) -> SparkSession:
    """One Spark session per process, with Splink's similarity jar (its Scala UDFs) on the classpath."""
    master = os.environ.get("LAOLINK_SPARK_MASTER", "local[2]")
    if master in _sessions:
        return _sessions[master]
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:  # pragma: no cover - pyspark is in the project's dependencies
        raise LaoLinkError("the Spark engine needs pyspark: pip install 'laolink[spark]'") from exc
    scratch = Path(work_dir or os.environ.get("TMPDIR", "/tmp")) / "spark"
    scratch.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.master(master)
        .appName("laolink")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", os.environ.get("LAOLINK_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(scratch / "local"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if master.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", "8").config("spark.default.parallelism", "8")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))
    _sessions[master] = session
    return session


def make_linker(ws: Workspace, settings: Any, engine: str = "duckdb", input_name: str = "laolink_records") -> Linker:
    """A Splink linker over the workspace's model input, on ``engine``; ``input_name``: the name it is registered
    under, one per linker of the workspace."""
    if check_engine(engine) == "duckdb":
        # Splink's settings validation only logs a column a rule or level names that the input lacks; it costs
        # 0.8 s per linker (sqlglot parses every level), and the model input's columns are fixed:
        # tests/test_model.py::test_the_model_and_rules_name_only_model_input_columns runs it.
        return Linker(ws.register_model_input(input_name), settings, validate_settings=False)
    from splink import SparkAPI

    if isinstance(settings, SettingsCreator):
        settings = settings.create_settings_dict("duckdb")
    spark = spark_session(_work_dir(ws))
    frame = spark.createDataFrame(ws.con.sql(f"SELECT * FROM {MODEL_INPUT_TABLE}").to_arrow_table())
    db_api = SparkAPI(spark_session=spark, num_partitions_on_repartition=8)
    records = db_api.register(frame, dataset_display_name=input_name, table_name=input_name)
    linker = Linker(records, spark_settings(settings))
    linker._laolink_duckdb_settings = settings  # to save the trained model in DuckDB's dialect
    return linker


def _spark_sql(sql: str) -> str:
    """DuckDB SQL of a level or blocking rule as Spark SQL with Splink's Scala similarity UDFs."""
    out = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
    return re.sub(r"\bJAROWINKLER_SIMILARITY\(", "jaro_winkler(", out, flags=re.IGNORECASE)


def _spark_rule(rule: Any) -> Any:
    if isinstance(rule, str):
        return _spark_sql(rule)
    return {**rule, "blocking_rule": _spark_sql(rule["blocking_rule"]), "sql_dialect": "spark"}


def spark_settings(settings: dict) -> dict:
    """A DuckDB-dialect settings dict (or saved model) with every SQL condition and rule in Spark's dialect."""
    out = copy.deepcopy(settings)
    out["sql_dialect"] = "spark"
    for comparison in out.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            if level["sql_condition"].strip().upper() != "ELSE":
                level["sql_condition"] = _spark_sql(level["sql_condition"])
    for key in ("blocking_rules_to_generate_predictions", "deterministic_rules"):
        if key in out:
            out[key] = [_spark_rule(r) for r in out[key]]
    return out


def model_json(linker: Linker) -> dict:
    """The trained model as Splink saves it, in DuckDB's dialect whichever engine trained it."""
    model = linker.misc.save_model_to_json()
    duckdb_settings = getattr(linker, "_laolink_duckdb_settings", None)
    if duckdb_settings is None:
        return model
    model["sql_dialect"] = "duckdb"
    for comparison, original in zip(model["comparisons"], duckdb_settings["comparisons"], strict=True):
        for level, level_original in zip(comparison["comparison_levels"], original["comparison_levels"], strict=True):
            level["sql_condition"] = level_original["sql_condition"]
    for key in ("blocking_rules_to_generate_predictions", "deterministic_rules"):
        if key in duckdb_settings:
            model[key] = copy.deepcopy(duckdb_settings[key])
    return model


def _work_dir(ws: Workspace) -> Path | None:
    from linkage.paths import store_paths

    rows = ws.con.execute("SELECT path FROM duckdb_databases() WHERE database_name = ?", [ws.store]).fetchall()
    return store_paths(rows[0][0]).work_dir if rows and rows[0][0] else None


def copy_to_engine(ws: Workspace, linker: Linker, table: str) -> None:
    """Make a workspace table (e.g. training labels) visible to the linker's backend under the same name."""
    if linker_dialect(linker) == "duckdb":
        return
    arrow = ws.con.sql(f"SELECT * FROM {table}").to_arrow_table()
    linker_spark_session(linker).createDataFrame(arrow).createOrReplaceTempView(table)


def register_term_frequencies(ws: Workspace, linker: Linker, model: dict, table: str = MODEL_INPUT_TABLE,
                              own_by_count: Mapping[str, Mapping[int, float]] | None = None) -> None:
    """Give Splink every term-frequency table, counted over ``table``: those of ``linkage.model.person_tf`` (the
    person's own records left out) where the level has a minimum u, the plain share of the values elsewhere; times
    the level's share of the pairs equal on the column where the level asks more than equality (``tf_scale``).

    ``table`` is the whole model input when Splink scores only part of it (an incremental night): the
    frequencies are the store's, not those of the records that night compares. ``own_by_count``: what training
    learned of a person's own records per number of records carrying a value (``person_tf.learned_own_by_count``)."""
    n_records = ws.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    own = own_records(model, n_records, own_by_count)
    level_u = level_u_of_columns(model)
    for column in dict.fromkeys([*own, *linker_term_frequency_columns(linker)]):
        scale = (tf_scale(level_u[column], int(ws.con.execute(sharing_pairs_sql(table, column)).fetchall()[0][0]),
                          n_records) if column in level_u else 1.0)
        # no own records: the plain share
        frame = ws.con.sql(person_tf_sql(table, column, own.get(column), scale)).df()
        registered = linker.table_management.register_table(frame, f"laolink_tf_{column}", overwrite=True)
        linker.table_management.register_term_frequency_lookup(registered, column)


def predict_pairs(ws: Workspace, model: dict, threshold_match_weight: float | None, engine: str,
                  tf_table: str = MODEL_INPUT_TABLE,
                  check_blocked: Callable[[dict[int, int]], None] | None = None,
                  own_by_count: Mapping[str, Mapping[int, float]] | None = None,
                  input_name: str = "laolink_records") -> tuple[str, set[str]]:
    """Score the blocked pairs of the model input; return the workspace table holding them and its column names.
    ``tf_table`` and ``own_by_count``: how the term frequencies are counted (:func:`register_term_frequencies`);
    ``check_blocked``: given the blocked pairs per rule before any is scored; ``input_name``: as ``make_linker``."""
    linker = make_linker(ws, model | {"retain_matching_columns": False}, engine, input_name)
    register_term_frequencies(ws, linker, model, tf_table, own_by_count)
    scored = predict_levels_only(linker, threshold_match_weight, check_blocked)
    columns = {c.unquote().name for c in scored.columns}
    if engine == "duckdb":
        return scored.physical_name, columns
    table = f"spark_scored_{uuid.uuid4().hex[:8]}"
    arrow = scored.as_spark_dataframe().toArrow()
    ws.con.register("laolink_spark_arrow", arrow)
    try:
        ws.con.execute(f"CREATE TABLE {table} AS SELECT * FROM laolink_spark_arrow")
    finally:
        ws.con.unregister("laolink_spark_arrow")
    scored.drop_table_from_database_and_remove_from_cache()
    return table, columns
