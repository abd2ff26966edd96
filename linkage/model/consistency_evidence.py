"""What one person's own records disagree on, measured on the store: the evidence behind two consistency rules.

Pairs of records that share an ID number and the whole name key are one person (no household shares both): the
store's strong-evidence pairs (:func:`strong_pairs_share`). What they disagree on is what one person's records
disagree on in this store, whoever wrote them; training keeps each share in the model file (``laolink``) and
:func:`consistency_for_model` sets the clustering's rules by them.

Birth years. The model fixes m("birth years far apart") at 0.005 and clustering cuts clusters whose birth years
are more than ten years apart, because on Lao records EM mistakes namesake fathers and sons for one person. Other
sources corrupt dates far more (FEBRL: digits swapped, years replaced), and there the fixed value and the cut keep
true pairs apart. The model takes the share of strong-evidence pairs whose birth years are far apart when it is
above the fixed value; above ``CUT_OFF_SHARE`` the birth-year cut is off for the store. When the store shows fewer
such disagreements than the fixed value with confidence (the Wilson 95 % upper bound of the share under it, so
only a large store lowers it: 0 of 400 pairs leaves it, 0 of 2,000 gives 0.0019), the model takes that bound:
there a namesake born years apart in the same village is no longer linked on name and place alone.

Districts. Clustering cuts two records of one cluster whose districts differ (``different_district``): right for
offices that write where a person comes from, which does not change. Offices that write where a person lives now or
was found give one person several districts (people move), and there the cut splits true persons (on an outside
team's corpus 66 of the 160 pairs it cut apart were one person). The share of strong-evidence pairs with both
districts that differ tells which: above ``DISTRICT_CUT_OFF_SHARE``, on at least ``DISTRICT_MIN_PAIRS`` pairs, the
rule is off for the store; the model's own level "same province, different district" still weighs the disagreement.
The rule also keeps namesakes of other districts apart (the other 94 of those 160), so it pays while few persons
move. Measured on the outsider corpus (DEV seed 7, 10,000 records; the share of its persons who move set to 0.10 as
written, then 0.25, 0.5 and 1.0), pairwise F1 with the rule on / off: 0.825 / 0.805 (of one person's true pairs with
both districts, 3.7 % differ; of the strong-evidence pairs 6 of 179), 0.815 / 0.827 (9.4 %; 23 of 186), 0.732 /
0.798 (26.8 %), 0.656 / 0.774 (44.9 %): the rule stops paying near 7.5 %. On the demo data and the DEV shifted
variants no person's district changes (0 of 57 strong-evidence pairs at 20,000 demo records) and the rule gives
+0.008 to +0.013. The rule goes off only when the share is above the cut-off with 95 % confidence (the Wilson
interval's lower end, ``wilson_lower``): the share on some 170 pairs is loose, and turning the rule off wrongly costs
more than keeping it wrongly (outside team's corpus, seed 102: 13 of 167 pairs, 0.078, took the rule off and
precision from 0.92 to 0.86; its lower end, 0.046, keeps it on; a share of 0.124 on 186 pairs, lower end 0.083, still
turns it off). With fewer than ``DISTRICT_MIN_PAIRS`` pairs the rule stays on.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

from linkage.clusters.consistency import DEFAULT_RULES, ConsistencyRules
from linkage.model.model_file import LAOLINK_KEY
from linkage.model.model_input import MODEL_INPUT_TABLE, Workspace

FAR_APART_LABEL = "birth years far apart"
FIXED_FAR_APART_M = 0.005
MIN_PAIRS = 30  # fewer same-ID same-name pairs measure nothing
CUT_OFF_SHARE = 0.01
DISTRICT_PAIRS_KEY = "district_differs_pairs"  # in the model file's ``laolink`` part, beside district_differs_share
DISTRICT_MIN_PAIRS = 100  # fewer measure the share too loosely to turn a rule off by it
DISTRICT_CUT_OFF_SHARE = 0.075  # above it one person's own district changes cost more than the rule's cuts gain


def strong_pairs_share(ws: Workspace, known: str, differ: str) -> tuple[int, float]:
    """(pairs, share): the strong-evidence pairs (records ``l`` and ``r`` of the model input sharing the ID number and
    the whole name key) for which SQL ``known`` holds, and the share of them for which SQL ``differ`` holds."""
    pairs, differing = ws.con.execute(
        f"""
        SELECT count(*), count(*) FILTER (WHERE {differ})
        FROM {MODEL_INPUT_TABLE} l JOIN {MODEL_INPUT_TABLE} r
          ON l.id_number_std = r.id_number_std AND l.name_key = r.name_key AND l.rid < r.rid
        WHERE {known}
        """
    ).fetchall()[0]
    return int(pairs), (differing / pairs if pairs else 0.0)


def far_apart_share(ws: Workspace) -> tuple[int, float]:
    """(pairs, share): strong-evidence pairs with both birth years known, and the share far apart."""
    return strong_pairs_share(
        ws, "l.birth_year_min IS NOT NULL AND r.birth_year_min IS NOT NULL",
        "NOT (l.birth_year_min <= r.birth_year_max + 2 AND r.birth_year_min <= l.birth_year_max + 2)")


def district_differs_share(ws: Workspace) -> tuple[int, float]:
    """(pairs, share): strong-evidence pairs with both districts present, and the share whose districts differ."""
    return strong_pairs_share(ws, "l.district_code IS NOT NULL AND r.district_code IS NOT NULL",
                              "l.district_code <> r.district_code")


def wilson_upper(share: float, pairs: int, z: float = 1.96) -> float:
    """The upper end of the Wilson score interval of a share measured on ``pairs`` pairs."""
    return _wilson(share, pairs, z, +1)


def wilson_lower(share: float, pairs: int, z: float = 1.96) -> float:
    """The lower end of the Wilson score interval of a share measured on ``pairs`` pairs."""
    return _wilson(share, pairs, z, -1)


def _wilson(share: float, pairs: int, z: float, side: int) -> float:
    centre = share + z * z / (2 * pairs)
    spread = z * math.sqrt(share * (1 - share) / pairs + z * z / (4 * pairs * pairs))
    return (centre + side * spread) / (1 + z * z / pairs)


def apply_far_apart_share(model: dict, pairs: int, share: float) -> dict:
    """The model with m(birth years far apart) set to the measured share when above the fixed value, or to the
    share's upper confidence bound when that is below it (other levels scaled to keep the sum)."""
    model[LAOLINK_KEY] = dict(model.get(LAOLINK_KEY) or {}, birth_far_apart_pairs=pairs, birth_far_apart_share=share)
    if pairs < MIN_PAIRS:
        return model
    m_far = share if share > FIXED_FAR_APART_M else min(FIXED_FAR_APART_M, wilson_upper(share, pairs))
    if m_far == FIXED_FAR_APART_M:
        return model
    model[LAOLINK_KEY]["birth_far_apart_m"] = round(m_far, 10)
    birth = next(c for c in model["comparisons"] if c["output_column_name"] == "birth")
    levels = [lv for lv in birth["comparison_levels"] if not lv.get("is_null_level")]
    scale = (1 - m_far) / (1 - FIXED_FAR_APART_M)
    for level in levels:
        if level.get("label_for_charts") == FAR_APART_LABEL:
            level["m_probability"] = round(m_far, 10)
        elif "m_probability" in level and level["m_probability"] < 1:
            level["m_probability"] = float(f"{level['m_probability'] * scale:.10g}")
    return model


def apply_district_share(model: dict, pairs: int, share: float) -> dict:
    """The model with the measured district disagreement of one person's records kept in its ``laolink`` part."""
    model[LAOLINK_KEY] = dict(model.get(LAOLINK_KEY) or {}, **{DISTRICT_PAIRS_KEY: pairs,
                                                              "district_differs_share": share})
    return model


def birth_cut_on(facts: dict) -> bool:
    """Whether the store's model (its ``laolink`` part) keeps the cut of birth years far apart."""
    return not (facts.get("birth_far_apart_pairs", 0) >= MIN_PAIRS
                and facts.get("birth_far_apart_share", 0) > CUT_OFF_SHARE)


def district_rule_on(facts: dict) -> bool:
    """Whether the store's model (its ``laolink`` part) keeps the rule that different districts are two persons:
    off only when enough strong-evidence pairs were measured and more of them than the cut-off differ, with 95 %
    confidence (a model trained before the measure has none: the rule stays on)."""
    pairs = facts.get(DISTRICT_PAIRS_KEY, 0)
    return not (pairs >= DISTRICT_MIN_PAIRS
                and wilson_lower(facts.get("district_differs_share", 0), pairs) > DISTRICT_CUT_OFF_SHARE)


def consistency_for_model(model: dict) -> ConsistencyRules:
    """The clustering's consistency rules for a store whose model measured its birth-year and district disagreement."""
    facts = model.get(LAOLINK_KEY) or {}
    return replace(DEFAULT_RULES, max_birth_year_gap=DEFAULT_RULES.max_birth_year_gap if birth_cut_on(facts) else None,
                   different_district=DEFAULT_RULES.different_district and district_rule_on(facts))


def consistency_for_model_file(path: Path) -> ConsistencyRules:
    """The rules the nightly clusters a store with when the model file ``path`` scored it; a benchmark that clusters
    a store itself takes its rules here, so it clusters as the nightly would."""
    return consistency_for_model(json.loads(Path(path).read_text(encoding="utf-8")))


def evidence_card_lines(model: dict) -> list[str]:
    """The model card's section: what the strong-evidence pairs showed and which consistency rules that leaves on."""
    facts = model.get(LAOLINK_KEY) or {}

    def row(rule: str, what: str, key: str, min_pairs: int, cut_off: float, on: bool, bound: str = "") -> str:
        pairs, share = facts.get(f"{key}_pairs"), facts.get(f"{key}_share")
        measured = "not measured" if pairs is None else f"{share:.4f} of {pairs:,} pairs"
        state = "off" if not on else "on" if (pairs or 0) >= min_pairs else "on (too few pairs to tell)"
        return f"| {rule} | {what} | {measured} | {bound}{cut_off:g} (at least {min_pairs:,} pairs) | {state} |"

    return [
        "## Consistency rules measured on the store (`linkage/model/consistency_evidence.py`)", "",
        "Pairs of records sharing an ID number and the whole name key are one person; the share of them that "
        "disagree says whether a disagreement may split a cluster.", "",
        "| rule | strong-evidence pairs whose ... | share measured | rule off above | rule |",
        "|---|---|---|---|---|",
        row(f"birth years more than {DEFAULT_RULES.max_birth_year_gap} years apart",
            "birth years are far apart (both known)", "birth_far_apart", MIN_PAIRS, CUT_OFF_SHARE, birth_cut_on(facts)),
        row("different districts", "districts differ (both present)", "district_differs", DISTRICT_MIN_PAIRS,
            DISTRICT_CUT_OFF_SHARE, district_rule_on(facts), "its 95 % lower bound "),
    ]
