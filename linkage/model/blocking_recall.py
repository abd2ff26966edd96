"""Blocking recall: the share of true pairs that the blocking rules put in the same block at all.

A pair no rule generates is never scored, whatever the model would have said: on the independent
corpus of issue #14, 59 % of the missed true pairs were never scored. Given a truth file
(``source,record_id,person_id``), every true pair is tested against each rule's SQL in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from linkage.model.blocking import NamedRule
from linkage.model.model_input import MODEL_INPUT_TABLE, Workspace


@dataclass(frozen=True)
class BlockingRecall:
    true_pairs: int
    found: int  # by any rule
    by_rule: dict[str, int]  # true pairs each rule finds (alone)

    @property
    def recall(self) -> float:
        return self.found / self.true_pairs if self.true_pairs else 1.0

    def lines(self) -> list[str]:
        width = max((len(n) for n in self.by_rule), default=4)
        out = [f"{'rule':<{width}}  {'true pairs found':>16}"]
        out += [f"{name:<{width}}  {n:>16,}" for name, n in self.by_rule.items()]
        out.append(
            f"blocking recall: {self.found:,} of {self.true_pairs:,} true pairs found by the rules together "
            f"({self.recall:.4f}); {self.true_pairs - self.found:,} are never scored"
        )
        return out


def blocking_recall(ws: Workspace, rules: list[NamedRule], truth: str = "eval_truth") -> BlockingRecall:
    """Test every true pair of ``truth`` (``rid, person_id``; ``linkage.model.evaluation.load_truth``) against
    each rule. Reads the workspace's model input (``ws.create_model_input()`` first)."""
    per_rule = ", ".join(f"count(*) FILTER (WHERE {r.sql})" for r in rules)
    any_rule = " OR ".join(f"({r.sql})" for r in rules)
    row = ws.con.execute(
        f"""
        WITH pairs AS (SELECT a.rid AS rid_l, b.rid AS rid_r FROM {truth} a JOIN {truth} b
                       ON a.person_id = b.person_id AND a.rid < b.rid)
        SELECT count(*), count(*) FILTER (WHERE {any_rule}), {per_rule}
        FROM pairs p JOIN {MODEL_INPUT_TABLE} l ON l.rid = p.rid_l JOIN {MODEL_INPUT_TABLE} r ON r.rid = p.rid_r
        """
    ).fetchall()[0]
    return BlockingRecall(
        true_pairs=int(row[0]),
        found=int(row[1]),
        by_rule={r.name: int(n) for r, n in zip(rules, row[2:], strict=True)},
    )
