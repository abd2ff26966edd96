"""Train the match model without labels, optionally sharpened by stewards' decisions.

Order: the probability that two random records match (from deterministic rules with an
assumed recall), u by random sampling with a fixed seed, then m by expectation maximisation
over several blocking passes (blocking_rules/train.yaml), each pass learning the comparisons
it does not block on. With ``decisions``, the pairs stewards judged the same person add an
estimate of m from labels. The model is written as Splink JSON with a model card beside it.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
from splink import Linker, SettingsCreator

from linkage.model.blocking import NamedRule, load_rules, load_setting
from linkage.model.comparisons import comparisons
from linkage.model.consistency_evidence import (
    apply_district_share,
    apply_far_apart_share,
    district_differs_share,
    evidence_card_lines,
    far_apart_share,
)
from linkage.model.em_passes import measure_prior, run_em_passes
from linkage.model.engines import copy_to_engine, make_linker, model_json
from linkage.model.model_file import (
    LAOLINK_KEY,
    M_FLOOR,
    ModelRejected,
    model_problems,
    model_version,
    splink_settings,
    write_model,
)
from linkage.model.model_input import Workspace, default_work_dir, splink_workspace
from linkage.model.model_rules import CARD_TITLE
from linkage.model.own_by_count import learn_own_by_count
from linkage.model.person_tf import OWN_BY_COUNT_KEY
from linkage.model.shipped import PREDICT_RULES, TRAIN_RULES
from linkage.model.splink_adapter import (
    linker_comparison_levels,
    linker_comparison_names,
    linker_prior,
    set_linker_prior,
)
from linkage.model.store_model import comparison_digests, learned_fields

DEFAULT_SEED = 42
DEFAULT_U_PAIRS = 2_000_000
DEFAULT_EM_PAIRS = 500_000


def settings(predict_rules: str | Path = PREDICT_RULES) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="rid",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[r.rule for r in load_rules(predict_rules)],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,  # Splink only keeps gamma_* columns with the matching columns
    )


@dataclass
class TrainReport:
    model_path: Path
    card_path: Path
    chart_path: Path
    model_version: str
    n_records: int
    n_positive_decisions: int
    seconds: float
    parameters: dict = field(default_factory=dict)


def decision_labels(ws: Workspace, service_db: Path) -> int:
    """Load the current positive decisions as Splink pairwise labels (``labels`` table, ordered by rid).

    The current decision of each pair as clustering applies it (``linkage.service.decisions``): a reversed
    decision is gone, and a pair stewards disagree on teaches nothing. Decisions name records by
    (source, record_id); pairs whose records are not in the store are skipped (they cannot teach anything
    about records we do not have).
    """
    from linkage.service.decisions import current_positive_pairs

    ws.con.execute("CREATE OR REPLACE TABLE labels (rid_l BIGINT, rid_r BIGINT, clerical_match_score DOUBLE)")
    if not service_db.exists():
        return 0
    with sqlite3.connect(service_db) as sconn:
        pairs = current_positive_pairs(sconn)
    decisions = pd.DataFrame(pairs, columns=["source_l", "record_id_l", "source_r", "record_id_r"])
    if decisions.empty:
        return 0
    ws.con.register("laolink_decisions_df", decisions)
    records, a, b = ws.table("records"), ws.key_id("a"), ws.key_id("b")  # the model input's ids (train)
    ws.con.execute(
        f"""
        INSERT INTO labels
        SELECT least({a}, {b}), greatest({a}, {b}), 1.0
        FROM laolink_decisions_df d
        JOIN {records} a ON a.source = d.source_l AND a.record_id = d.record_id_l
        JOIN {records} b ON b.source = d.source_r AND b.record_id = d.record_id_r
        WHERE a.rid <> b.rid
        ORDER BY 1, 2
        """
    )
    ws.con.unregister("laolink_decisions_df")
    return ws.con.execute("SELECT count(*) FROM labels").fetchall()[0][0]


def train(
    con: duckdb.DuckDBPyConnection,
    out_path: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    service_db: Path | None = None,
    u_max_pairs: float = DEFAULT_U_PAIRS,
    em_max_pairs: float = DEFAULT_EM_PAIRS,
    work_dir: Path | None = None,
    data_description: str = "",
    engine: str = "duckdb",
    store_facts: dict | None = None,
) -> TrainReport:
    """Train on every standardized record of the store; write ``out_path`` (JSON) and its model card.

    ``store_facts`` are kept in the model file beside the training size (what the store held, to know when
    to retrain: ``linkage.model.store_model``).
    """
    started = time.perf_counter()
    work_dir = work_dir or default_work_dir(con)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    with splink_workspace(con, work_dir) as ws:
        n_records = ws.create_model_input(key_ids=True)
        linker = make_linker(ws, settings(), engine)
        deterministic, recall = _estimate_prior_and_u(linker, seed, u_max_pairs, seconds)
        em = run_em_passes(ws, linker, em_max_pairs, seconds)
        lambda_deterministic = linker_prior(linker)
        lambda_by_pass, measured = measure_prior(ws, linker, em, lambda_deterministic)
        if measured is not None:
            set_linker_prior(linker, measured)
        n_labels = _learn_from_decisions(ws, linker, service_db, n_records) if service_db is not None else 0
        model = stable_model(model_json(linker)) | {LAOLINK_KEY: {"training_records": n_records, **(store_facts or {})}}
        model = apply_far_apart_share(model, *far_apart_share(ws))
        model = apply_district_share(model, *district_differs_share(ws))
        mark = time.perf_counter()
        model[LAOLINK_KEY][OWN_BY_COUNT_KEY] = learn_own_by_count(ws, splink_settings(model), n_records, engine)
        seconds["own_records_by_count"] = round(time.perf_counter() - mark, 1)
        left_out = frozenset(c for name in em.failed | em.skipped | em.degenerate for c in em.columns.get(name) or [])
        model[LAOLINK_KEY]["training_learned_fields"] = learned_fields(model, left_out)
        model[LAOLINK_KEY]["training_comparisons"] = comparison_digests()
        problems = model_problems(model)
        if problems:
            raise ModelRejected(f"the trained model is not usable ({'; '.join(problems)}); passes undone: "
                                f"failed {em.failed}, degenerate {em.degenerate}")
        write_model(out_path, model)
        sources = ws.con.execute(
            f"SELECT source, count(*) FROM {ws.table('records')} WHERE std_version IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).fetchall()
    version = model_version(out_path)
    parameters = {
        "seed": seed,
        "u_max_pairs": u_max_pairs,
        "em_max_pairs": em_max_pairs,
        "deterministic_rules": [r.name for r in deterministic],
        "deterministic_recall": recall,
        "probability_two_random_records_match_from_deterministic_rules": lambda_deterministic,
        "probability_two_random_records_match_by_em_pass": lambda_by_pass,
        "em_passes": em.learned(),
        "em_passes_failed": em.failed,
        "em_passes_skipped": em.skipped,
        "em_passes_degenerate": em.degenerate,
        "em_passes_started_at_half": em.started_even,
        "positive_decisions_used": n_labels,
        "probability_two_random_records_match": model["probability_two_random_records_match"],
        "seconds": seconds,
    }
    chart_path = out_path.with_suffix(".png")
    write_mu_chart(model, chart_path)
    card_path = out_path.with_suffix(".md")
    card_path.write_text(
        model_card(model, version, n_records, sources, parameters, chart_path, data_description), encoding="utf-8"
    )
    return TrainReport(
        model_path=out_path,
        card_path=card_path,
        chart_path=chart_path,
        model_version=version,
        n_records=n_records,
        n_positive_decisions=n_labels,
        seconds=time.perf_counter() - started,
        parameters=parameters,
    )


def _estimate_prior_and_u(
    linker: Linker, seed: int, u_max_pairs: float, seconds: dict[str, float]
) -> tuple[list[NamedRule], float]:
    """The prior from the deterministic rules (at their assumed recall), then u by random sampling; the rules and
    the recall used. Each step's time goes to ``seconds``."""
    deterministic = load_rules(TRAIN_RULES, "deterministic")
    recall = float(load_setting(TRAIN_RULES, "deterministic_recall", 0.6))
    mark = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match([r.rule for r in deterministic], recall=recall)
    seconds["probability_two_random_records_match"] = round(time.perf_counter() - mark, 1)
    mark = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    seconds["u"] = round(time.perf_counter() - mark, 1)
    return deterministic, recall


def _learn_from_decisions(ws: Workspace, linker: Linker, service_db: Path, n_records: int) -> int:
    """Sharpen m with the pairs stewards judged the same person; return how many there were.

    Those pairs come from the review queue: the uncertain ones, not a sample of all matches, so Splink's m from
    them alone (which replaced EM's) weighs weak agreements as typical of a match. On bench_steward.py (shifted
    demo, 11,587 records) 300 decisions then cost 0.059 F1 against the decided pairs alone. Each level's m is
    instead EM's and the labels' counted together: the labelled pairs beside the store's expected matches
    (prior x record pairs), each as one observation."""
    n_labels = decision_labels(ws, service_db)
    if not n_labels:
        return 0
    def levels(name: str) -> list:
        return [level for level in linker_comparison_levels(linker, name) if not level.is_null_level]

    names = linker_comparison_names(linker)
    from_em = {n: [level.m_probability for level in levels(n)] for n in names}
    copy_to_engine(ws, linker, "labels")
    linker.training.estimate_m_from_pairwise_labels("labels")
    expected_matches = linker_prior(linker) * n_records * (n_records - 1) / 2
    share = n_labels / (n_labels + expected_matches)
    for name in names:
        for level, m_em in zip(levels(name), from_em[name], strict=True):
            m_labels = level.m_probability
            if isinstance(m_em, float) and isinstance(m_labels, float):
                level.m_probability = (1 - share) * m_em + share * m_labels
            elif isinstance(m_em, float):  # a level no labelled pair showed keeps EM's m
                level.m_probability = m_em
    return n_labels


def stable_model(model: dict) -> dict:
    """The same data and seed give byte-identical files, so the model version only changes with the model.

    Splink stamps a random ``linker_uid``, and parallel sums differ in the last bits: fix the one,
    round the other to 10 significant digits. m is floored at ``M_FLOOR``: a level EM never saw
    among matches (a person's sex or province written differently) still happens in real records
    through clerical error, and must weigh as strong evidence against, not as impossibility. A comparison none
    of whose levels has a learned m is neutral (m = u = 1 on every level but a fixed one).
    """

    def rounded(value: object, floor: float = 1e-12) -> object:
        return max(float(f"{value:.10g}"), floor) if isinstance(value, float) else value

    model = dict(model, linker_uid="laolink")
    model["probability_two_random_records_match"] = rounded(model["probability_two_random_records_match"])
    for comparison in model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        # A comparison no pass learned any m of (phones on records no EM pass compared) says nothing: every level
        # neutral, not as rare among matches as the floor allows (two different phones were -10 bits).
        unlearned = not any("m_probability" in lv and not lv.get("fix_m_probability") for lv in levels)
        for level in levels:
            if unlearned and not level.get("fix_m_probability"):
                level["m_probability"] = level["u_probability"] = 1.0
            # A level the data never showed gets no arbitrary Splink default: without m nor u it
            # is neutral (m = u = 1); with u alone it is as rare among matches as the floor allows.
            if "m_probability" not in level and "u_probability" not in level:
                level["m_probability"] = level["u_probability"] = 1.0
            elif "m_probability" not in level:
                level["m_probability"] = M_FLOOR
            if "m_probability" in level:
                level["m_probability"] = rounded(level["m_probability"], M_FLOOR)
            if "u_probability" in level:
                level["u_probability"] = rounded(level["u_probability"])
    return model


def level_parameters(model: dict) -> list[dict]:
    """One row per non-null level: comparison, gamma, label, m, u, match weight."""
    rows = []
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        n = len([lv for lv in levels if not lv.get("is_null_level")])
        for i, level in enumerate(lv for lv in levels if not lv.get("is_null_level")):
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            rows.append(
                {
                    "comparison": comparison["output_column_name"],
                    "gamma": n - 1 - i,
                    "label": level.get("label_for_charts", level["sql_condition"]),
                    "m": m,
                    "u": u,
                    "weight": weight,
                }
            )
    return rows


def write_mu_chart(model: dict, path: Path) -> None:
    """m, u and match weight of every level, one row per level (matplotlib PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = level_parameters(model)
    labels = [f"{r['comparison']}: {r['label']}" for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(16, 0.32 * len(rows) + 1.5), sharey=True)
    y = list(range(len(rows)))[::-1]
    titles = ("m probability", "u probability", "match weight (log2 m/u)")
    for ax, key, title in zip(axes, ("m", "u", "weight"), titles, strict=True):
        values = [r[key] if r[key] is not None else 0 for r in rows]
        colors = ["#3b7dd8" if v >= 0 else "#d8583b" for v in values] if key == "weight" else "#777"
        ax.barh(y, values, color=colors)
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, labels, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def model_card(
    model: dict,
    version: str,
    n_records: int,
    sources: list[tuple[str, int]],
    parameters: dict,
    chart_path: Path,
    data_description: str,
) -> str:
    lines = [
        f"{CARD_TITLE}{version}",
        "",
        f"- Trained: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Data: {n_records:,} standardized records"
        + (f" ({data_description})" if data_description else "")
        + "; by source: "
        + ", ".join(f"{s} {n:,}" for s, n in sources),
        "- Method: Fellegi-Sunter (Splink 5, DuckDB). u by random sampling; m by expectation maximisation "
        "over blocking passes; the probability that two random records match measured by those passes "
        "(first estimate from deterministic rules)"
        + ("; m also from stewards' positive decisions." if parameters["positive_decisions_used"] else "."),
        f"- Prior at scale: on a store larger than these {n_records:,} records, the probability that two random "
        "records match is scaled down with the store's size (`linkage/model/model_file.py`).",
        "",
        "## Parameters",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in parameters.items()]
    lines += [
        "",
        f"![m and u per level]({chart_path.name})",
        "",
        "## Levels",
        "",
        "| comparison | gamma | level | m | u | match weight |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for r in level_parameters(model):
        m = f"{r['m']:.4g}" if r["m"] is not None else "-"
        u = f"{r['u']:.4g}" if r["u"] is not None else "-"
        w = f"{r['weight']:+.2f}" if r["weight"] is not None else "-"
        lines.append(f"| {r['comparison']} | {r['gamma']} | {r['label']} | {m} | {u} | {w} |")
    for column, learned in (model.get(LAOLINK_KEY) or {}).get(OWN_BY_COUNT_KEY, {}).items():
        lines += ["", f"## A person's own records among those sharing {column} (`linkage/model/own_by_count.py`)", "",
                  "| records sharing the value | " + " | ".join(learned) + " |",
                  "|---|" + "---:|" * len(learned),
                  "| of them one person's (learned) | " + " | ".join(f"{v:.2f}" for v in learned.values()) + " |"]
    lines += ["", *evidence_card_lines(model), ""]
    return "\n".join(lines)
