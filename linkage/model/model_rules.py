"""A model scores with today's prediction blocking rules, whatever rules it was written with.

A model file is Splink settings, its prediction blocking rules among them, and batch and real-time matching block
with the rules of the model that scores (``prediction.load_rules_from_model``, ``blocking_sql.model_blocking_rules``).
But the rules are data (``blocking_rules/predict.yaml``), changed without training again: a model learned before a
rule was added, or the shipped model, would keep blocking with the rules of the day it was written (the shipped one
held 14 rules where predict.yaml has 38). The nightly gives the model it chose today's rules
(:func:`write_with_current_rules`): a new model version, so every record is scored again with them, once.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from linkage.model.blocking import PREDICT_RULES, load_rules
from linkage.model.model_file import model_text, model_version, write_model

_KEY = "blocking_rules_to_generate_predictions"
CARD_TITLE = "# Model card: "  # the card's first line, then the model version (training.model_card)
RULES_NOTE = "- Prediction rules replaced on"


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


def write_with_current_rules(model: dict[str, Any], target: Path) -> bool:
    """Write ``model`` with today's prediction rules to ``target`` (as training writes a model) unless it holds them
    already, or ``target`` is already that; return whether ``target`` was written."""
    updated = with_current_rules(model)
    if updated is None:
        return False
    if target.is_file() and target.read_text(encoding="utf-8") == model_text(updated):
        return False
    before = model_version(target) if target.is_file() else None
    write_model(target, updated)
    if before is not None:
        note_rules_in_card(target, before, len(updated[_KEY]))
    return True


def note_rules_in_card(model_path: Path, before: str, n_rules: int) -> None:
    """The model card beside ``model_path`` (if any) names the version the file now is, and says its prediction rules
    were replaced and nothing else (it named the version it was trained as, which no longer scores anything)."""
    card = model_path.with_suffix(".md")
    if not card.is_file():
        return
    version = model_version(model_path)
    lines = card.read_text(encoding="utf-8").split("\n")
    if lines and lines[0].startswith(CARD_TITLE):
        lines[0] = f"{CARD_TITLE}{version}"
    note = (f"{RULES_NOTE} {date.today().isoformat()}: the {n_rules} rules of blocking_rules/predict.yaml "
            f"(version {before} before; m, u and the prior unchanged)")
    lines = [line for line in lines if not line.startswith(RULES_NOTE)]
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("- Trained:")), min(len(lines), 2))
    lines.insert(at, note)
    tmp = card.with_name(card.name + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(card)
