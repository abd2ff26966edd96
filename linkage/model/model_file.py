"""A trained model file: Splink's settings, plus LaoLink's facts about the training data.

Splink refuses settings keys it does not know, so LaoLink keeps its own under one key,
``laolink``, which ``splink_settings`` removes before Splink sees the model.

The prior (the probability that two random records match) is a property of the store, not
only of the model. A person has about as many records in a store of a million as in one of
twenty thousand, so the matching pairs grow with the records N while all pairs grow with N².
A prior measured on N_train records is therefore scaled by (N_train - 1) / (N - 1) for a store of
N records, larger or smaller. Unscaled, the demo model trained on 20,553 records overstated every match
weight at 1,023,925 records by log2(50) = 5.6 bits: namesakes linked above the 0.8 threshold and chained
106,903 records into one cluster (whose consistency check then spilled tens of GB to disk); scaled, the
largest cluster has 39 records. A smaller store (a pilot, a first province) gets a raised prior for the same
reason: unscaled, the shipped model left most true pairs apart there (pairwise F1 after clustering, demo seeds
not used in tuning: 0.852 to 0.955 at 1,049 records, 0.953 to 0.970 at 7,676; precision 0.992 to 0.939 and
0.979 to 0.973, recall 0.747 to 0.972 and 0.927 to 0.967).

The store size is rounded to a quarter of a doubling (at most 0.125 bits off), so the prior,
and with it every stored pair's weight, changes only when the store grows by about a fifth;
the nightly job then scores every pair again (the prior is part of its scoring version).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from linkage.errors import LaoLinkError

LAOLINK_KEY = "laolink"
MAX_PRIOR = 0.5  # two random records of a store are never more likely the same person than not
M_FLOOR = 0.001  # no level is impossible for the same person: at most about -10 bits against


class ModelRejected(LaoLinkError):
    """Training gave no usable model (``model_problems``): the model file it would have replaced is left as it was."""


def model_problems(model: Any) -> list[str]:
    """Why ``model`` cannot score (empty when it can): a prior outside (0, MAX_PRIOR), a level whose m (or u, when
    it has one) is not in (0, 1]. A prior of 1 is an infinite prior weight: Splink's SQL then names a column "inf"."""
    if not isinstance(model, dict) or not isinstance(model.get("comparisons"), list):
        return ["not a model file (no comparisons)"]
    problems = []
    prior = model.get("probability_two_random_records_match")
    if not isinstance(prior, int | float) or not 0 < prior < MAX_PRIOR:
        problems.append(f"probability that two random records match {prior!r}, not within (0, {MAX_PRIOR})")
    for comparison in model["comparisons"]:
        for level in comparison.get("comparison_levels") or []:
            if level.get("is_null_level"):
                continue
            for key in ("m_probability", "u_probability"):
                value = level.get(key)
                if value is None and key == "u_probability":
                    continue  # never seen among random pairs: Splink's default u (training writes every m)
                if not isinstance(value, int | float) or not 0 < value <= 1:
                    problems.append(f"{comparison.get('output_column_name')}: "
                                    f"{level.get('label_for_charts') or level.get('sql_condition')}: {key} {value!r}")
    return problems


def read_given_model(path: Path) -> dict[str, Any]:
    """The model file a user gave (``--model``), refused when it cannot score (LaoLinkError naming the file and what
    in it, ``model_problems``), never mended: a prior of 1.0 in a given file was scored as MAX_PRIOR without a
    word."""
    if not path.is_file():
        raise LaoLinkError(f"{path}: model file not found (train one with `laolink train`)")
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LaoLinkError(f"{path}: not a model file ({type(exc).__name__}: {str(exc)[:200]})") from exc
    problems = model_problems(model)
    if problems:
        raise LaoLinkError(f"{path}: this model cannot score: {'; '.join(problems)} (give a model file `laolink "
                           "train` wrote, or no --model: the nightly then learns one from the store)")
    return model


def model_text(model: dict[str, Any]) -> str:
    """A model file's text, as every model is written."""
    return json.dumps(model, indent=4, ensure_ascii=False) + "\n"


def write_model(path: Path, model: dict[str, Any]) -> None:
    """Write ``model`` to ``path`` whole or not at all (a temporary file renamed over it): a night killed or a disk
    full half way leaves the model that was there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(model_text(model))
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)


def model_version(model_path: str | Path) -> str:
    """``<name>-<first 12 hex of the file's sha256>``: names the exact parameters that scored a pair."""
    path = Path(model_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{path.stem}-{digest}"


def splink_settings(model: dict[str, Any]) -> dict[str, Any]:
    """The model as Splink takes it (without LaoLink's own key)."""
    return {k: v for k, v in model.items() if k != LAOLINK_KEY}


def training_records(model: dict[str, Any]) -> int | None:
    """How many records the model was trained on (None for a model file that does not say)."""
    value = (model.get(LAOLINK_KEY) or {}).get("training_records")
    return int(value) if value else None


def store_size_bucket(n_records: int) -> int:
    """``n_records`` rounded to the nearest quarter of a doubling."""
    if n_records < 2:
        return max(n_records, 1)
    return round(2 ** (round(4 * math.log2(n_records)) / 4))


def prior_for_store(model: dict[str, Any], n_records: int) -> float:
    """The probability that two random records of a store of ``n_records`` match, under this model: never above
    ``MAX_PRIOR``, whatever the file says (a prior of 1 is an infinite prior weight, which Splink cannot score)."""
    measured = min(float(model["probability_two_random_records_match"]), MAX_PRIOR)
    trained_on = training_records(model)
    if trained_on is None:
        return measured
    n = store_size_bucket(n_records)
    if n == store_size_bucket(trained_on) or n < 2:  # the training store's own size scores as it was trained
        return measured
    return min(measured * (trained_on - 1) / (n - 1), MAX_PRIOR)


def settings_for_store(model: dict[str, Any], n_records: int) -> dict[str, Any]:
    """Splink settings of the model with its prior scaled to a store of ``n_records``."""
    settings = splink_settings(model)
    settings["probability_two_random_records_match"] = prior_for_store(model, n_records)
    return settings
