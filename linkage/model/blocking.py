"""Blocking rules as data: load `blocking_rules/*.yaml` into Splink rules and check their cost.

A rule is either ``columns: [a, b]`` (records agree on every column, none null) or raw
``sql:`` on ``l.`` / ``r.`` columns. Before predicting, the cumulative number of pairs the
rules generate is compared with a cap, so a rule that explodes stops the run with a message
naming it instead of filling the disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from splink import block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.blocking_rule_library import CustomRule

from linkage.errors import LaoLinkError
from linkage.model.model_input import Workspace
from linkage.model.shipped import PREDICT_RULES

DEFAULT_MAX_PAIRS = 50_000_000


class BlockingCapError(LaoLinkError):
    """The blocking rules would generate more pairs than the configured cap."""


@dataclass(frozen=True)
class NamedRule:
    name: str
    catches: str
    rule: BlockingRuleCreator

    @property
    def sql(self) -> str:
        return self.rule.get_blocking_rule("duckdb").blocking_rule_sql


def _parse_rule(entry: dict[str, Any], path: Path, index: int) -> NamedRule:
    where = f"{path}: rule {index + 1}"
    if not isinstance(entry, dict) or "name" not in entry:
        raise LaoLinkError(f"{where}: each rule needs a 'name'")
    columns, sql = entry.get("columns"), entry.get("sql")
    if (columns is None) == (sql is None):
        raise LaoLinkError(f"{where} ({entry['name']}): give exactly one of 'columns' or 'sql'")
    if columns is not None:
        if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
            raise LaoLinkError(f"{where} ({entry['name']}): 'columns' must be a non-empty list of column names")
        rule: BlockingRuleCreator = block_on(*columns)
    else:
        rule = CustomRule(str(sql), sql_dialect="duckdb")
    return NamedRule(name=str(entry["name"]), catches=str(entry.get("catches", "")), rule=rule)


def load_rules(path: str | Path = PREDICT_RULES, key: str = "rules") -> list[NamedRule]:
    """Read the list of rules under ``key`` of a blocking-rules YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LaoLinkError(f"{path}: cannot read blocking rules: {exc}") from exc
    entries = (data or {}).get(key)
    if not isinstance(entries, list) or not entries:
        raise LaoLinkError(f"{path}: expected a non-empty list under '{key}'")
    rules = [_parse_rule(entry, path, i) for i, entry in enumerate(entries)]
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise LaoLinkError(f"{path}: rule names must be unique, got {names}")
    return rules


def load_setting(path: str | Path, key: str, default: Any) -> Any:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return data.get(key, default)


@dataclass(frozen=True)
class RuleCount:
    name: str
    catches: str
    pairs_alone: int
    pairs_added: int
    cumulative: int


def count_pairs(ws: Workspace, rules: list[NamedRule], *, sample: float = 1.0) -> list[RuleCount]:
    """Pairs each rule generates alone, the pairs it adds to the rules before it, and the running total.

    Reads the workspace's model input (``ws.create_model_input()`` first). ``sample`` < 1
    estimates from that share of records on each side (Splink scales it up).
    """
    sdf = ws.register_model_input(f"laolink_records_{len(ws.db_api._registered_table_names)}")
    common = {"link_type": "dedupe_only", "unique_id_column_name": "rid", "record_sample_proportion": sample}
    cumulative = count_comparisons_from_blocking_rules(sdf, blocking_rules=[r.rule for r in rules], **common)
    counts = []
    for rule, cum in zip(rules, cumulative, strict=True):
        alone = count_comparisons_from_blocking_rules(sdf, blocking_rules=[rule.rule], **common)[0]
        counts.append(
            RuleCount(
                name=rule.name,
                catches=rule.catches,
                pairs_alone=int(alone["marginal_comparison_count"]),
                pairs_added=int(cum["marginal_comparison_count"]),
                cumulative=int(cum["cumulative_comparison_count"]),
            )
        )
    return counts


def check_cap(counts: list[RuleCount], max_pairs: int) -> None:
    """Raise BlockingCapError naming the first rule whose pairs push the total over ``max_pairs``."""
    for count in counts:
        if count.cumulative > max_pairs:
            raise BlockingCapError(
                f"blocking rule '{count.name}' pushes the pairs to score to {count.cumulative:,} "
                f"(it adds {count.pairs_added:,}), over the cap of {max_pairs:,}: "
                "make the rule stricter or raise --max-pairs"
            )


def format_report(counts: list[RuleCount], n_records: int, max_pairs: int) -> str:
    total = counts[-1].cumulative if counts else 0
    width = max((len(c.name) for c in counts), default=4)
    lines = [
        f"{n_records:,} records; {n_records * (n_records - 1) // 2:,} possible pairs; cap {max_pairs:,}",
        f"{'rule':<{width}}  {'alone':>14}  {'added':>14}  {'cumulative':>14}  catches",
    ]
    for c in counts:
        lines.append(
            f"{c.name:<{width}}  {c.pairs_alone:>14,}  {c.pairs_added:>14,}  {c.cumulative:>14,}  {c.catches}"
        )
    lines.append(f"total pairs to score: {total:,}")
    return "\n".join(lines)
