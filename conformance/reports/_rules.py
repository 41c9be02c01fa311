"""Conformance per spec rule: each numbered rule of spec/ihp-v1.md, in spec order, with
what the run says about it (the HTML report's rule view and the JSON report's `rules`).

A rule is *deviates* when one of its cases has a failing verdict (an expected one, XFAIL,
included: the implementation does not follow the rule, known or not), *passed* when its
cases that ran all passed, *not applicable* when none of its cases ran (operation
unsupported, skipped, profile not selected), and *not tested by vectors* when the rule
table says it is checked elsewhere (`Rule.not_vectorized` says where).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from conformance.model import UNEXPECTED_VERDICTS, RunReport, Verdict
from ihp_vectors._rules import RULES, Rule, rule_anchor

__all__ = ["RuleStatus", "rule_statuses"]

_FAILING = UNEXPECTED_VERDICTS | {Verdict.XFAIL}
_EXAMPLES = 5  # passing case ids named per rule (the JSON report's `passed` has them all)


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """One rule's standing in a run."""

    rule: Rule
    status: str  # "passed", "deviates", "not applicable", "not tested by vectors"
    verdicts: dict[Verdict, int]
    failing: tuple[str, ...]  # ids of its cases with a failing verdict, run order
    deviations: tuple[str, ...]  # ids of the deviations those cases belong to
    examples: tuple[str, ...]  # a few of its passing cases

    @property
    def anchor(self) -> str:
        return rule_anchor(self.rule.rule_id)

    @property
    def cases(self) -> int:
        return sum(self.verdicts.values())


def _status(rule: Rule, verdicts: Counter[Verdict], failing: list[str]) -> str:
    if rule.not_vectorized is not None:
        return "not tested by vectors"
    if failing:
        return "deviates"
    return "passed" if verdicts[Verdict.PASS] else "not applicable"


def rule_statuses(report: RunReport) -> list[RuleStatus]:
    """Every rule of `RULES`, in spec order, with its cases in this run."""
    deviation_of = {cid: d.deviation_id for d in report.deviations for cid in d.case_ids}
    verdicts: dict[str, Counter[Verdict]] = {r.rule_id: Counter() for r in RULES}
    failing: dict[str, list[str]] = {r.rule_id: [] for r in RULES}
    examples: dict[str, list[str]] = {r.rule_id: [] for r in RULES}
    for result in report.results:
        for rule_id in result.rules:
            if rule_id not in verdicts:
                continue  # a rule id the table no longer has: the vector check reports it
            verdicts[rule_id][result.verdict] += 1
            if result.verdict in _FAILING:
                failing[rule_id].append(result.case_id)
            elif result.verdict == Verdict.PASS and len(examples[rule_id]) < _EXAMPLES:
                examples[rule_id].append(result.case_id)
    out = []
    for rule in RULES:
        ids = failing[rule.rule_id]
        devs = tuple(dict.fromkeys(deviation_of[c] for c in ids if c in deviation_of))
        counts = verdicts[rule.rule_id]
        out.append(RuleStatus(rule, _status(rule, counts, ids),
                              {v: counts[v] for v in Verdict if counts[v]}, tuple(ids), devs,
                              tuple(examples[rule.rule_id])))  # fmt: skip
    return out
