"""Review queue reasons, stored as codes with their values (``linkage.clusters.review_queue``), as text
in a reader's language (messages ``reason_<code>`` and ``rule_<consistency rule>`` in ``api/pages/i18n``)."""

from __future__ import annotations

import json
import re
from typing import Any

from api.pages.i18n import Translator

_BIRTH_YEARS_RULE = re.compile(r"birth years more than (\d+) years apart")


def parse_reasons(value: str | list | None) -> list[dict[str, Any]] | None:
    """The stored ``reasons`` column (JSON text or already parsed) as a list; None when there is none."""
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str) else value


def reason_text(reasons: list[dict[str, Any]] | None, t: Translator) -> str:
    """Every reason of an item in ``t``'s language, most urgent first, joined by '; '."""
    return "; ".join(_one_reason(entry, t) for entry in reasons or [])


def queue_reason(item: dict[str, Any], t: Translator) -> str:
    """An item's reasons in ``t``'s language; the stored English text for a snapshot older than reason codes."""
    reasons = item.get("reasons")
    return reason_text(reasons, t) if reasons is not None else item.get("reason") or ""


def _one_reason(entry: dict[str, Any], t: Translator) -> str:
    params = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in (entry.get("params") or {}).items()}
    if isinstance(params.get("rule"), str):
        params["rule"] = _rule_text(params["rule"], t)
    return t("reason_" + entry["code"], **params)


def _rule_text(rule: str, t: Translator) -> str:
    """A consistency rule's name (``linkage.clusters.consistency``) in ``t``'s language; unknown ones as stored."""
    birth = _BIRTH_YEARS_RULE.fullmatch(rule)
    if birth:
        return t("rule_birth_years_apart", gap=int(birth.group(1)))
    text = t("rule_" + rule)
    return rule if text == "rule_" + rule else text
