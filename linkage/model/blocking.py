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


_SAMPLE = "laolink_count_sample"


def _per_rule(con: Any, table: str, rules: list[NamedRule], *, after_earlier: bool) -> list[int]:
    """Pairs of ``table`` each rule makes (``after_earlier``: those no rule before it makes), counted
    ``RULES_PER_STATEMENT`` rules per statement as they are blocked (``splink_adapter``): Splink counts every rule's
    join in one query, whose hash tables outgrow a tight memory limit with 38 rules (200 MB, a 750-record store)."""
    from linkage.model.splink_adapter import RULES_PER_STATEMENT

    counts: dict[int, int] = {}
    for first in range(0, len(rules), RULES_PER_STATEMENT):
        parts = []
        for n in range(first, min(first + RULES_PER_STATEMENT, len(rules))):
            before = " OR ".join(f"coalesce(({r.sql}), false)" for r in rules[:n]) if after_earlier else ""
            parts.append(f"SELECT {n} AS rule, count(*) AS pairs FROM {table} l JOIN {table} r"
                         f" ON l.rid < r.rid AND ({rules[n].sql})" + (f" WHERE NOT ({before})" if before else ""))
        counts.update(con.execute(" UNION ALL ".join(parts)).fetchall())
    return [counts[n] for n in range(len(rules))]


def count_pairs(ws: Workspace, rules: list[NamedRule], *, sample: float = 1.0, alone: bool = True) -> list[RuleCount]:
    """Pairs each rule generates alone (``alone``; else 0), the pairs it adds to the rules before it, and the running
    total.

    Reads the workspace's model input (``ws.create_model_input()`` first). ``sample`` < 1 estimates from that
    share of the records (a fixed one, by a hash of their ids), scaled up by its square.
    """
    from linkage.model.model_input import MODEL_INPUT_TABLE

    table = MODEL_INPUT_TABLE
    if sample < 1.0:
        ws.con.execute(f"CREATE OR REPLACE TEMP TABLE {_SAMPLE} AS SELECT * FROM {MODEL_INPUT_TABLE}"
                       f" WHERE hash(rid) % 1000000 < {round(sample * 1_000_000)}")
        table = _SAMPLE
    try:
        added = _per_rule(ws.con, table, rules, after_earlier=True)
        single = _per_rule(ws.con, table, rules, after_earlier=False) if alone else [0] * len(rules)
    finally:
        if table == _SAMPLE:
            ws.con.execute(f"DROP TABLE {_SAMPLE}")
    scale = 1.0 / (sample * sample)
    counts, total = [], 0
    for rule, n_added, n_alone in zip(rules, added, single, strict=True):
        total += round(n_added * scale)
        counts.append(RuleCount(name=rule.name, catches=rule.catches, pairs_alone=round(n_alone * scale),
                                pairs_added=round(n_added * scale), cumulative=total))
    return counts


def raise_over_cap(rule: str, pairs: float, max_pairs: int, *, estimated: bool = False) -> None:
    """BlockingCapError naming ``rule`` when the ``pairs`` to score with it and the rules before it exceed the cap."""
    if pairs > max_pairs:
        raise BlockingCapError(
            f"blocking rule '{rule}' pushes the pairs to score to {'about ' if estimated else ''}{int(pairs):,}, "
            f"over the cap of {max_pairs:,}: make the rule stricter or raise --max-pairs"
        )


def check_cap(counts: list[RuleCount], max_pairs: int, *, estimated: bool = False) -> None:
    """Raise BlockingCapError naming the first rule whose pairs push the total over ``max_pairs``."""
    for count in counts:
        raise_over_cap(count.name, count.cumulative, max_pairs, estimated=estimated)


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
