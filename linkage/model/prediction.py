"""Score candidate pairs with a trained model and store them with their explanation.

Every stored pair keeps, besides its match weight and probability, the level it reached on
each comparison (``gamma_*``) and that comparison's share of the weight (``mw_*``, term
frequencies included), so any pair can be explained field by field later without re-running
the model; ``comparison_levels`` turns each gamma into the label a steward reads.

Pairs are stored down to match weight -5 (probability about 0.03): well below any review
band, so stewards see borderline pairs, while the long tail of obvious non-matches that
blocking produces is not kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from splink.internals.blocking_rule_library import CustomRule

from linkage.errors import LaoLinkError
from linkage.model.blocking import DEFAULT_MAX_PAIRS, NamedRule, check_cap, count_pairs, load_rules, raise_over_cap
from linkage.model.blocking_sql import sharing_a_key_sql
from linkage.model.engines import predict_pairs
from linkage.model.model_file import model_version, read_given_model, settings_for_store
from linkage.model.model_input import (
    MODEL_INPUT_TABLE,
    WORKSPACE,
    Workspace,
    default_work_dir,
    splink_workspace,
)
from linkage.model.person_tf import learned_own_by_count
from linkage.model.shipped import DEFAULT_MODEL

STORE_THRESHOLD_MATCH_WEIGHT = -5.0
ESTIMATE_RECORDS = 200_000  # above this, the pairs to score are estimated on a sample of the records
WHOLE_INPUT_TABLE = "model_input_whole"  # an incremental night's whole model input, beside the part it scores
# A night whose new records are at most this share of the model input blocks over them and their partners only
# (``_keep_new_and_partners``); a larger one over the whole input. Finding the partners costs one join per rule key
# over the whole input; what it saves shrinks as they become most of it. At 1M records (1,024,926 to 1,123,905,
# load 2-3): a night of 1,000 new records (0.08 %) has 40,066 partners, found in 1.5 s, and predicts in 3.7 s
# against 4.8 s without them; 10,000 (0.9 %): 5.3 s against 6.1 s; 100,000 (8.2 %): 821,687 partners (73 %) in
# 2.6 s, blocking as long as over the whole input (4.6 s both), predict 13.9 s against 11.2 s. The same pairs.
PARTNERS_MAX_NEW_SHARE = 0.03


@dataclass
class PredictReport:
    model_version: str
    run_id: int | None
    records: int
    new_records: int | None
    pairs_estimated: int
    pairs_stored: int
    seconds: float
    prior: float  # the probability two random records match, scaled to the store (linkage.model.model_file)


def comparison_names(model: dict) -> list[str]:
    return [c["output_column_name"] for c in model["comparisons"]]


def level_labels(model: dict) -> list[tuple[str, int, str]]:
    """(comparison, gamma, label) for every level, null levels as gamma -1 as Splink numbers them."""
    rows = []
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        gamma = len([lv for lv in levels if not lv.get("is_null_level")]) - 1
        for level in levels:
            label = level.get("label_for_charts") or level["sql_condition"]
            if level.get("is_null_level"):
                rows.append((comparison["output_column_name"], -1, label))
            else:
                rows.append((comparison["output_column_name"], gamma, label))
                gamma -= 1
    return rows


def _prediction_columns(names: list[str]) -> list[tuple[str, str]]:
    columns = [
        ("rid_l", "BIGINT"),
        ("rid_r", "BIGINT"),
        ("match_weight", "DOUBLE"),
        ("match_probability", "DOUBLE"),
        ("model_version", "VARCHAR"),
        ("run_id", "BIGINT"),
    ]
    columns += [(f"gamma_{n}", "INTEGER") for n in names]
    columns += [(f"mw_{n}", "DOUBLE") for n in names]
    return columns


def ensure_prediction_tables(con: duckdb.DuckDBPyConnection, names: list[str], *, replace: bool) -> None:
    """Create ``predictions`` (columns follow the model's comparisons) and ``comparison_levels``.

    A model with other comparisons than the stored predictions needs a full run (``replace``).
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS comparison_levels (model_version VARCHAR NOT NULL, comparison VARCHAR NOT NULL, "
        "gamma INTEGER NOT NULL, label VARCHAR NOT NULL, PRIMARY KEY (model_version, comparison, gamma))"
    )
    wanted = _prediction_columns(names)
    existing = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'predictions' AND schema_name = 'main' "
        "AND database_name = current_database() ORDER BY column_index"
    ).fetchall()
    if existing and [c for (c,) in existing] != [c for c, _ in wanted]:
        if not replace:
            raise LaoLinkError(
                "the stored predictions were made by a model with other comparisons: run a full predict first"
            )
        con.execute("DROP TABLE predictions")
        existing = []
    if not existing:
        columns_sql = ", ".join(f"{c} {t}" for c, t in wanted)
        con.execute(f"CREATE TABLE predictions ({columns_sql})")


def _incremental_rules(rules: list[NamedRule]) -> list[CustomRule]:
    """Each rule, restricted to pairs with at least one new or changed record: twice, once with the new record
    on the left and once on the right only, so that DuckDB filters one side of each join to the night's records
    before joining (``l.laolink_new OR r.laolink_new`` is tested on every pair the keys make)."""
    return [CustomRule(f"({r.sql}) AND {side}", sql_dialect="duckdb") for r in rules
            for side in ("l.laolink_new", "r.laolink_new AND NOT l.laolink_new")]


def predict(
    con: duckdb.DuckDBPyConnection,
    model_path: str | Path = DEFAULT_MODEL,
    only_rids_table: str | None = None,
    run_id: int | None = None,
    *,
    threshold_match_weight: float = STORE_THRESHOLD_MATCH_WEIGHT,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    work_dir: Path | None = None,
    engine: str = "duckdb",
) -> PredictReport:
    """Score candidate pairs and store them in ``predictions``.

    Full run (``only_rids_table`` None): every stored prediction is replaced. Incremental run:
    ``only_rids_table`` names a table (in the store, or temporary) with a ``rid`` column (new or changed records);
    only pairs involving one of them are deleted and re-scored, against all records.
    Raises BlockingCapError, before scoring anything, if the blocking rules would generate
    more than ``max_pairs`` pairs. Splink's intermediate tables go to parquet files under
    ``work_dir`` (default: the store's ``<db stem>.work/``).
    """
    started = time.perf_counter()
    work_dir = work_dir or default_work_dir(con)
    model_file, version = _read_model(Path(model_path))
    names = comparison_names(model_file)
    rules = load_rules_from_model(model_file)
    with splink_workspace(con, work_dir) as ws:
        new_records = None
        n_records = ws.create_model_input(new_rids=None if only_rids_table is None else _table(ws, only_rids_table))
        tf_table = MODEL_INPUT_TABLE
        model = settings_for_store(model_file, n_records)
        if only_rids_table is None:
            blocking = [r.rule for r in rules]
            # estimated before blocking (on a sample above 200,000 records)
            pairs_estimated = _check_pairs_cap(ws, rules, n_records, max_pairs)
            blocked_cap = None
        else:
            new_records = ws.con.execute(f"SELECT count(*) FROM {MODEL_INPUT_TABLE} WHERE laolink_new").fetchall()[0][0]
            tf_table = (_keep_new_and_partners(ws, rules) if new_records <= PARTNERS_MAX_NEW_SHARE * n_records
                        else MODEL_INPUT_TABLE)
            blocking = _incremental_rules(rules)
            blocked_cap = _BlockedPairsCap(rules, max_pairs)  # a night's pairs: counted once blocked, before scoring
        model["blocking_rules_to_generate_predictions"] = [r.get_blocking_rule("duckdb").as_dict() for r in blocking]
        model["retain_intermediate_calculation_columns"] = True  # mw_* and the term-frequency adjustments
        scored_table, scored_columns = predict_pairs(ws, model, threshold_match_weight, engine, tf_table,
                                                     blocked_cap.check if blocked_cap else None,
                                                     learned_own_by_count(model_file))
        if blocked_cap:
            pairs_estimated = blocked_cap.pairs
        ws.con.execute(f'USE "{ws.store}"')
        try:
            pairs_stored = _store_predictions(con, f"laolink_work.main.{scored_table}", scored_columns, names,
                                              model, version, run_id, only_rids_table)
        finally:
            ws.con.execute(f"USE {WORKSPACE}")
    return PredictReport(
        model_version=version,
        run_id=run_id,
        records=n_records,
        new_records=new_records,
        pairs_estimated=pairs_estimated,
        pairs_stored=pairs_stored,
        seconds=time.perf_counter() - started,
        prior=model["probability_two_random_records_match"],
    )


def _read_model(model_path: Path) -> tuple[dict, str]:
    """The model file's settings and its version; refused when it cannot score (``model_file.read_given_model``)."""
    return read_given_model(model_path), model_version(model_path)


def _table(ws: Workspace, name: str) -> str:
    """A table of the store, or a temporary table of the connection, by name as the workspace reads it."""
    temporary = ws.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [name]
    ).fetchall()[0][0]
    return name if temporary else ws.table(name)


def _keep_new_and_partners(ws: Workspace, rules: list[NamedRule]) -> str:
    """Leave in the model input only the new records and those a rule's key could pair with one, so that a
    night's blocking joins what changed, not the store with itself (the same pairs: a pair a rule makes shares
    its key). The whole input stays as ``WHOLE_INPUT_TABLE``, whose term frequencies the night scores with;
    returns the name of the table to count them over."""
    partners = sharing_a_key_sql([r.sql for r in rules], WHOLE_INPUT_TABLE, "laolink_new")
    if partners is None:
        return MODEL_INPUT_TABLE
    ws.con.execute(f"ALTER TABLE {MODEL_INPUT_TABLE} RENAME TO {WHOLE_INPUT_TABLE}")
    ws.con.execute(f"CREATE TABLE {MODEL_INPUT_TABLE} AS SELECT * FROM {WHOLE_INPUT_TABLE} WHERE laolink_new"
                   f" OR rid IN ({partners})")
    return WHOLE_INPUT_TABLE


def _check_pairs_cap(ws: Workspace, rules: list[NamedRule], n_records: int, max_pairs: int) -> int:
    """The pairs the blocking rules are estimated to generate (on a sample above ``ESTIMATE_RECORDS`` records);
    BlockingCapError naming the rule over the cap."""
    counts = count_pairs(ws, rules, sample=min(1.0, ESTIMATE_RECORDS / max(n_records, 1)), alone=False)
    check_cap(counts, max_pairs, estimated=True)
    return counts[-1].cumulative if counts else 0


@dataclass
class _BlockedPairsCap:
    """The cap checked on the pairs an incremental night blocked, by rule, before any is scored."""

    rules: list[NamedRule]
    max_pairs: int
    pairs: int = 0

    def check(self, per_rule: dict[int, int]) -> None:
        """``per_rule``: blocked pairs by number of :func:`_incremental_rules`' halves (two per rule);
        BlockingCapError naming the first rule that takes them over the cap."""
        for number, rule in enumerate(self.rules):
            self.pairs += per_rule.get(2 * number, 0) + per_rule.get(2 * number + 1, 0)
            raise_over_cap(rule.name, self.pairs, self.max_pairs, estimated=True)


def _store_predictions(
    con: duckdb.DuckDBPyConnection, scored: str, scored_columns: set[str], names: list[str], model: dict,
    version: str, run_id: int | None, only_rids_table: str | None,
) -> int:
    """Replace the stored predictions (all of them, or those of the new records) with the ``scored`` pairs and
    record the model's level labels, in one transaction; return the pairs stored by this run."""
    gamma_sql = ", ".join(f"gamma_{n}" for n in names)
    # mw_<comparison> includes its term-frequency adjustment: prior + sum(mw_*) = match_weight.
    mw_sql = ", ".join(
        f"mw_{n} + coalesce(mw_tf_adj_{n}, 0)" if f"mw_tf_adj_{n}" in scored_columns else f"mw_{n}" for n in names
    )
    ensure_prediction_tables(con, names, replace=only_rids_table is None)
    con.execute("BEGIN TRANSACTION")
    try:
        if only_rids_table is None:
            con.execute("DELETE FROM predictions")
        else:
            con.execute(
                f"DELETE FROM predictions WHERE rid_l IN (SELECT rid FROM {only_rids_table}) "
                f"OR rid_r IN (SELECT rid FROM {only_rids_table})"
            )
        con.execute(
            f"""
            INSERT INTO predictions
            SELECT least(rid_l, rid_r), greatest(rid_l, rid_r), match_weight, match_probability, ?, ?,
                   {gamma_sql}, {mw_sql}
            FROM {scored}
            """,
            [version, run_id],
        )
        pairs_stored = con.execute(
            "SELECT count(*) FROM predictions WHERE model_version = ? AND run_id IS NOT DISTINCT FROM ?",
            [version, run_id],
        ).fetchall()[0][0]
        con.execute(
            "INSERT INTO comparison_levels SELECT * FROM (SELECT ?::VARCHAR, unnest(?::VARCHAR[]), "
            "unnest(?::INTEGER[]), unnest(?::VARCHAR[])) ON CONFLICT DO NOTHING",
            [version, *map(list, zip(*level_labels(model), strict=True))],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return pairs_stored


def load_rules_from_model(model: dict) -> list[NamedRule]:
    """The model's own prediction rules, named after blocking_rules/predict.yaml where they match."""
    named = {r.sql: r for r in load_rules()}
    rules = []
    for i, entry in enumerate(model["blocking_rules_to_generate_predictions"]):
        sql = entry["blocking_rule"] if isinstance(entry, dict) else str(entry)
        rules.append(named.get(sql) or NamedRule(f"rule {i + 1}", "", CustomRule(sql, sql_dialect="duckdb")))
    return rules
