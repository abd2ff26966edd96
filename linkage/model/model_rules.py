"""A model scores with today's prediction blocking rules, whatever rules it was written with.

A model file is Splink settings, its prediction blocking rules among them, and batch and real-time matching block
with the rules of the model that scores (``prediction.load_rules_from_model``, ``blocking_sql.model_blocking_rules``).
But the rules are data (``blocking_rules/predict.yaml``), changed without training again: a model learned before a
rule was added, or the shipped model, would keep blocking with the rules of the day it was written (the shipped one
held 14 rules where predict.yaml has 38). The nightly gives the model it chose today's rules
(:func:`write_with_current_rules`): a new model version, so every record is scored again with them, once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from linkage.model.blocking import PREDICT_RULES, load_rules
from linkage.model.model_file import write_model

_KEY = "blocking_rules_to_generate_predictions"


def current_rules(path: str | Path = PREDICT_RULES) -> list[dict[str, str]]:
    """The prediction rules of ``path`` as a model file holds them."""
    return [r.rule.get_blocking_rule("duckdb").as_dict() for r in load_rules(path)]


def _sqls(entries: list[Any]) -> list[str]:
    return [e["blocking_rule"] if isinstance(e, dict) else str(e) for e in entries]


def with_current_rules(model: dict[str, Any], path: str | Path = PREDICT_RULES) -> dict[str, Any] | None:
    """``model`` with the prediction rules of ``path`` in place of its own; None when it has them already."""
    rules = current_rules(path)
    if _sqls(model.get(_KEY) or []) == _sqls(rules):
        return None
    return {**model, _KEY: rules}


def write_with_current_rules(source: Path, target: Path) -> bool:
    """Write the model at ``source`` to ``target`` with today's prediction rules (as training writes a model) when
    its own differ, or when ``target`` differs from what it would be; return whether ``target`` was written."""
    model = json.loads(source.read_text(encoding="utf-8"))
    updated = with_current_rules(model)
    if updated is None and source == target:
        return False
    text = json.dumps(updated or model, indent=4, ensure_ascii=False) + "\n"
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return False
    write_model(target, updated or model)
    return True
