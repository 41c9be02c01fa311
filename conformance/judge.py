"""From a response to a verdict: exact comparison, wrong error code = FAIL.

A result is compared key by key on the expected keys, values exactly (hex is lowercase,
integers are the shim's encodings). An error response passes only with the expected
error code: the right rejection for the wrong reason is a deviation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from conformance.cases import Case, Step
from conformance.model import Verdict

__all__ = ["Judgement", "judge_case", "judge_step", "provided"]


class Judgement(NamedTuple):
    """A case's verdict, why, what the implementation provided, and the kind of difference
    (`"HeaderIdMismatch→success"`, `"result 'capsule' differs"`; empty for a pass)."""

    verdict: Verdict
    why: str
    actual: object
    difference: str


def provided(response: Mapping[str, Any]) -> dict[str, Any]:
    """What the implementation answered, as reports show it (`detail` included)."""
    if response.get("ok") is True:
        return {"result": response.get("result")}
    if response.get("unsupported") is True:
        return {"unsupported": True}
    shown: dict[str, Any] = {"error": response.get("error")}
    if "detail" in response:
        shown["detail"] = response["detail"]
    return shown


def judge_step(step: Step, response: Mapping[str, Any]) -> tuple[Verdict, str]:
    """The verdict of one step and, when it is not a pass, why."""
    verdict, why, _ = _judge(step, response)
    return verdict, why


def _judge(step: Step, response: Mapping[str, Any]) -> tuple[Verdict, str, str]:
    """(verdict, why, the kind of difference: `expected→provided` in outcome words)."""
    want = step.error if step.error is not None else "success"
    if response.get("unsupported") is True:
        return Verdict.UNSUPPORTED, "the implementation answered 'unsupported'", ""
    if response.get("ok") is True:
        if step.error is not None:
            return Verdict.FAIL, f"accepted; expected error {step.error}", f"{want}→success"
        result = response.get("result")
        assert step.expected is not None and isinstance(result, dict)
        for key, value in step.expected.items():
            if key not in result:
                return Verdict.FAIL, f"result has no {key!r}", f"result {key!r} missing"
            if not _same(result[key], value):
                return Verdict.FAIL, f"result {key!r} differs", f"result {key!r} differs"
        return Verdict.PASS, "", ""
    code = response.get("error")
    if step.error is None:
        return Verdict.FAIL, f"rejected with {code}; expected success", f"success→{code}"
    if code != step.error:
        return Verdict.FAIL, f"wrong error code: {code}, expected {step.error}", f"{want}→{code}"
    return Verdict.PASS, "", ""


def _same(got: object, want: object) -> bool:
    """Exact equality that does not let `True == 1` or `1.0 == 1` through."""
    if type(got) is not type(want):
        return False
    if isinstance(want, dict):
        assert isinstance(got, dict)
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        assert isinstance(got, list)
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want, strict=True))
    return got == want


def judge_case(case: Case, responses: list[dict[str, Any]]) -> Judgement:
    """The verdict of a whole case from its responses (one per step): why, what was
    provided (a list for sequences) and the kind of difference (empty for a pass)."""
    actual: list[object] = []
    for i, (step, response) in enumerate(zip(case.steps, responses, strict=True)):
        actual.append(provided(response))
        verdict, why, kind = _judge(step, response)
        if verdict != Verdict.PASS:
            where = f"step {i + 1}: " if len(case.steps) > 1 else ""
            shown = actual if len(case.steps) > 1 else actual[0]
            return Judgement(verdict, where + why, shown, kind)
    return Judgement(Verdict.PASS, "", actual if len(case.steps) > 1 else actual[0], "")
