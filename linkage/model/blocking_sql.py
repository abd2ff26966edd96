"""Blocking rules read as SQL: their key equalities, and the rule as a filter on one query record's values.

Real-time matching finds the candidates of one record with the prediction blocking rules: a rule whose
top-level conjuncts include ``l.a = r.b`` equalities becomes a key (candidates are found by a hash of it);
whatever else a rule says, and a rule without such a key, becomes a filter on candidates ``c`` whose
``$column`` parameters are the query record's values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SIDE_COLUMN = re.compile(r'\b([lr])\.("?)([A-Za-z_][A-Za-z0-9_]*)\2')
_EQUALITY = re.compile(r'\bl\.("?)([A-Za-z_][A-Za-z0-9_]*)\1\s*=\s*r\.("?)([A-Za-z_][A-Za-z0-9_]*)\3')
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class KeyRule:
    """A blocking rule whose top-level conjuncts include ``l.a = r.b`` equalities: candidates are found
    by a hash of that key, then, if the rule says more (``residual``), filtered by the whole rule."""

    number: int
    left: tuple[str, ...]  # query columns, in order
    right: tuple[str, ...]  # candidate columns, in the same order
    residual: str | None = None  # the whole rule as a filter on candidates ``c``, when it says more


def model_blocking_rules(settings: dict[str, Any]) -> list[str]:
    """The model's own prediction blocking rules (those of blocking_rules/predict.yaml when it has none)."""
    entries = settings.get("blocking_rules_to_generate_predictions") or []
    rules = [e["blocking_rule"] if isinstance(e, dict) else str(e) for e in entries]
    if not rules:
        from linkage.model.blocking import load_rules

        rules = [r.sql for r in load_rules()]
    return rules


def blocking_filter_sql(rule_sqls: list[str]) -> str:
    """Blocking rules on ``l.``/``r.`` turned into a filter on candidates ``c`` with ``$column`` parameters."""

    def side(m: re.Match[str]) -> str:
        return f"${m.group(3)}" if m.group(1) == "l" else f'c."{m.group(3)}"'

    return " OR ".join(f"({_SIDE_COLUMN.sub(side, sql)})" for sql in rule_sqls)


def on_query_values(sql: str) -> str:
    """A blocking filter's ``$column`` parameters as the columns ``p."_p_<column>"`` of the query records."""
    return _PARAM.sub(r'p."_p_\1"', sql)


def filter_params(sql: str) -> list[str]:
    """The ``$name`` parameters the SQL names, sorted, each once."""
    return sorted(set(_PARAM.findall(sql)))


def key_rule(number: int, sql: str) -> KeyRule | None:
    """The rule's top-level equalities as a key (with the whole rule as residual filter when it says
    more), or None when it has none (such rules are scanned)."""
    conjuncts = _conjuncts(sql)
    if conjuncts is None:
        return None
    pairs, other = [], False
    for part in conjuncts:
        m = _EQUALITY.fullmatch(part) if conjuncts and part else None
        if m:
            pairs.append((m.group(2), m.group(4)))
        else:
            other = True
    if not pairs:
        return None
    return KeyRule(number, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs),
                   residual=blocking_filter_sql([sql]) if other else None)


def sharing_a_key_sql(rule_sqls: list[str], table: str, flag: str) -> str | None:
    """SELECT of the ``rid`` of every record of ``table`` that some rule's key equalities pair with a record
    where ``flag`` is true, either way round (a superset of the records the rules pair with them); None when a
    rule has no key, so that any record could be paired. A rule's conditions on one side only (``l.family_key
    IS NULL``, ``r.name_key_records <= 20``) hold the record on that side to them: a common name or a full
    name does not make every record of that name a partner."""
    if not rule_sqls:
        return None
    selects: dict[str, None] = {}
    for number, sql in enumerate(rule_sqls):
        key = key_rule(number, sql)
        if key is None:
            return None
        sided = _one_sided_conditions(sql)
        for mine, theirs, new_side, their_side in ((key.left, key.right, "l", "r"), (key.right, key.left, "r", "l")):
            on = " AND ".join(f'c."{t}" = n."{m}"' for m, t in zip(mine, theirs, strict=True))
            values = ", ".join(f'"{m}"' for m in dict.fromkeys(mine))
            new_where = " AND ".join([flag, *(_on_alias(c, "") for c in sided[new_side])])
            their_where = " AND ".join(_on_alias(c, "c.") for c in sided[their_side])
            selects[f"SELECT c.rid FROM {table} c SEMI JOIN (SELECT DISTINCT {values} FROM {table} WHERE {new_where})"
                    f" n ON {on}" + (f" WHERE {their_where}" if their_where else "")] = None
    return " UNION ".join(selects)


# SQL the conjunct splitter cannot read as plain conditions: an AND inside BETWEEN, CASE or a string, or a side
# written as a quoted name. A rule holding any of it restricts no partner (its key still does).
_UNSPLITTABLE = re.compile(r"\bBETWEEN\b|\bCASE\b|'|\"[lr]\"\s*\.", flags=re.IGNORECASE)


def _one_sided_conditions(sql: str) -> dict[str, list[str]]:
    """The rule's top-level conditions that name columns of one side only, by side (``l``, ``r``)."""
    out: dict[str, list[str]] = {"l": [], "r": []}
    if _UNSPLITTABLE.search(sql):
        return out
    for part in _conjuncts(sql) or []:
        sides = {m.group(1) for m in _SIDE_COLUMN.finditer(part)}
        if len(sides) == 1:
            out[sides.pop()].append(part)
    return out


def _on_alias(condition: str, alias: str) -> str:
    """A one-sided condition on the columns of ``alias`` (a table alias with its dot, or "" for bare columns)."""
    return "(" + _SIDE_COLUMN.sub(lambda m: f'{alias}"{m.group(3)}"', condition) + ")"


def _conjuncts(sql: str) -> list[str] | None:
    """The rule's top-level AND parts, outer parentheses stripped; None if it has a top-level OR."""
    parts, depth, start = [], 0, 0
    tokens = re.finditer(r"\(|\)|\bAND\b|\bOR\b", sql, flags=re.IGNORECASE)
    for m in tokens:
        t = m.group(0).upper()
        if t == "(":
            depth += 1
        elif t == ")":
            depth -= 1
        elif depth == 0 and t == "OR":
            return None
        elif depth == 0 and t == "AND":
            parts.append(sql[start:m.start()])
            start = m.end()
    parts.append(sql[start:])
    out = []
    for part in parts:
        part = part.strip()
        while part.startswith("(") and part.endswith(")") and _balanced(part[1:-1]):
            part = part[1:-1].strip()
        out.append(part)
    return out


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0
