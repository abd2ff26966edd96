"""How often one person's records give birth years far apart, measured on the store itself.

The model fixes m("birth years far apart") at 0.005 and clustering cuts clusters whose birth years
are more than ten years apart, because on Lao records EM mistakes namesake fathers and sons for one
person. Other sources corrupt dates far more (FEBRL: digits swapped, years replaced), and there the
fixed value and the cut keep true pairs apart. The store tells which world it is: pairs that share
an ID number and the whole name key are one person (no household shares both), and the share of
them whose birth years are far apart is that person's own disagreement. The model takes that share
when it is above the fixed value; above ``CUT_OFF_SHARE`` the birth-year cut is off for the store.
"""

from __future__ import annotations

from dataclasses import replace

from linkage.clusters.consistency import DEFAULT_RULES, ConsistencyRules
from linkage.model.model_file import LAOLINK_KEY
from linkage.model.model_input import MODEL_INPUT_TABLE, Workspace

FAR_APART_LABEL = "birth years far apart"
FIXED_FAR_APART_M = 0.005
MIN_PAIRS = 30  # fewer same-ID same-name pairs measure nothing
CUT_OFF_SHARE = 0.01


def far_apart_share(ws: Workspace) -> tuple[int, float]:
    """(pairs, share): same-ID, same-name-key pairs with both birth years known, and the share far apart."""
    pairs, far = ws.con.execute(
        f"""
        SELECT count(*), count(*) FILTER (WHERE NOT (l.birth_year_min <= r.birth_year_max + 2
                                                     AND r.birth_year_min <= l.birth_year_max + 2))
        FROM {MODEL_INPUT_TABLE} l JOIN {MODEL_INPUT_TABLE} r
          ON l.id_number_std = r.id_number_std AND l.name_key = r.name_key AND l.rid < r.rid
        WHERE l.birth_year_min IS NOT NULL AND r.birth_year_min IS NOT NULL
        """
    ).fetchall()[0]
    return int(pairs), (far / pairs if pairs else 0.0)


def apply_far_apart_share(model: dict, pairs: int, share: float) -> dict:
    """The model with m(birth years far apart) raised to the measured share (other levels scaled to keep the sum)."""
    model[LAOLINK_KEY] = dict(model.get(LAOLINK_KEY) or {}, birth_far_apart_pairs=pairs, birth_far_apart_share=share)
    if pairs < MIN_PAIRS or share <= FIXED_FAR_APART_M:
        return model
    birth = next(c for c in model["comparisons"] if c["output_column_name"] == "birth")
    levels = [lv for lv in birth["comparison_levels"] if not lv.get("is_null_level")]
    scale = (1 - share) / (1 - FIXED_FAR_APART_M)
    for level in levels:
        if level.get("label_for_charts") == FAR_APART_LABEL:
            level["m_probability"] = round(share, 10)
        elif "m_probability" in level and level["m_probability"] < 1:
            level["m_probability"] = float(f"{level['m_probability'] * scale:.10g}")
    return model


def consistency_for_model(model: dict) -> ConsistencyRules:
    """The clustering's consistency rules for a store whose model measured its birth-year disagreement."""
    facts = model.get(LAOLINK_KEY) or {}
    if facts.get("birth_far_apart_pairs", 0) >= MIN_PAIRS and facts.get("birth_far_apart_share", 0) > CUT_OFF_SHARE:
        return replace(DEFAULT_RULES, max_birth_year_gap=None)
    return DEFAULT_RULES
