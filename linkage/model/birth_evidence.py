"""How often one person's records give birth years far apart, measured on the store itself.

The model fixes m("birth years far apart") at 0.005 and clustering cuts clusters whose birth years
are more than ten years apart, because on Lao records EM mistakes namesake fathers and sons for one
person. Other sources corrupt dates far more (FEBRL: digits swapped, years replaced), and there the
fixed value and the cut keep true pairs apart. The store tells which world it is: pairs that share
an ID number and the whole name key are one person (no household shares both), and the share of
them whose birth years are far apart is that person's own disagreement. The model takes that share
when it is above the fixed value; above ``CUT_OFF_SHARE`` the birth-year cut is off for the store.
When the store shows fewer such disagreements than the fixed value with confidence (the Wilson 95 % upper
bound of the share under it, so only a large store lowers it: 0 of 400 pairs leaves it, 0 of 2,000 gives
0.0019), the model takes that bound: there a namesake born years apart in the same village is no longer
linked on name and place alone.
"""

from __future__ import annotations

import math
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


def wilson_upper(share: float, pairs: int, z: float = 1.96) -> float:
    """The upper end of the Wilson score interval of a share measured on ``pairs`` pairs."""
    centre = share + z * z / (2 * pairs)
    spread = z * math.sqrt(share * (1 - share) / pairs + z * z / (4 * pairs * pairs))
    return (centre + spread) / (1 + z * z / pairs)


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


def consistency_for_model(model: dict) -> ConsistencyRules:
    """The clustering's consistency rules for a store whose model measured its birth-year disagreement."""
    facts = model.get(LAOLINK_KEY) or {}
    if facts.get("birth_far_apart_pairs", 0) >= MIN_PAIRS and facts.get("birth_far_apart_share", 0) > CUT_OFF_SHARE:
        return replace(DEFAULT_RULES, max_birth_year_gap=None)
    return DEFAULT_RULES
