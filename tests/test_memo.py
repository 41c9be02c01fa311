"""What a process keeps between runs (conformance.memo): the same cases, notes at the same
point, made once; a run too big to keep is made one case at a time as before."""

from __future__ import annotations

from collections.abc import Collection, Iterator

import pytest

import conformance.memo as memo
from conformance.cases import Case, Step, with_divergences
from conformance.generate import Oracle, iter_generated_cases
from conformance.memo import FlagMemo, GeneratedMemo
from ihp_vectors import load_cases

OPS = frozenset({"decrypt_capsule", "capsule_from_json", "rtt_bucket"})


def test_the_vector_cases_flags_are_computed_once_per_loaded_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(memo, "with_divergences",
                        lambda case: calls.append(case.case_id) or with_divergences(case))
    flags, cases = FlagMemo(), load_cases()
    flagged = flags.of(cases)
    assert flagged == [with_divergences(c) for c in cases]
    assert [c.case_id for c in flagged] == calls == [c.case_id for c in cases]
    assert flags.of(load_cases()) == flagged and len(calls) == len(cases)  # the same cases
    assert flags.of(cases[1:]) == flagged[1:] and len(calls) == 2 * len(cases) - 1


def test_generated_cases_are_made_once_and_are_those_of_a_fresh_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[int] = []

    def counted(*args: object) -> Iterator[Case]:
        made.append(1)
        return iter_generated_cases(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(memo, "iter_generated_cases", counted)
    fresh = [with_divergences(c) for c in iter_generated_cases(5, 6, OPS, Oracle(), [])]
    cache = GeneratedMemo()
    partial = cache.cases(5, 6, OPS, [])
    first_three = [next(partial) for _ in range(3)]  # a fail-fast run stops early
    whole = list(cache.cases(5, 6, sorted(OPS), []))
    assert whole == fresh and first_three == fresh[:3]
    assert list(partial) == fresh[3:]
    again = list(cache.cases(5, 6, OPS, []))
    assert all(a is b for a, b in zip(again, whole, strict=True)) and made == [1]
    assert list(cache.cases(6, 6, OPS, [])) != whole and made == [1, 1]  # another seed


def _with_dropped_cases(seed: int, per_operation: int, operations: Collection[str],
                        oracle: Oracle, notes: list[str]) -> Iterator[Case]:  # fmt: skip
    notes.append("dropped before 0")
    for n in range(3):
        yield Case(f"gen/x/{n}", "rtt_bucket", "IHP-Client", (Step({}, error="Codec"),))
        notes.append(f"dropped after {n}")


def test_every_reader_gets_the_generators_notes_at_the_point_they_were_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memo, "iter_generated_cases", _with_dropped_cases)
    cache = GeneratedMemo()
    for _ in range(2):
        notes: list[str] = []
        seen = [(case.case_id, list(notes)) for case in cache.cases(1, 1, OPS, notes)]
        assert seen == [("gen/x/0", ["dropped before 0"]),
                        ("gen/x/1", ["dropped before 0", "dropped after 0"]),
                        ("gen/x/2", ["dropped before 0", "dropped after 0", "dropped after 1"])]
        assert notes[-1] == "dropped after 2" and len(notes) == 4


def test_a_run_too_big_to_keep_is_generated_one_case_at_a_time() -> None:
    cache = GeneratedMemo(entries=2, max_cases=10)
    big = cache.cases(5, 6, OPS, [])  # 21 cases planned
    assert next(big).case_id == with_divergences(next(iter_generated_cases(5, 6, OPS))).case_id
    assert list(cache.cases(5, 6, OPS, [])) == list(cache.cases(5, 6, OPS, []))
    assert not any(a is b for a, b in zip(cache.cases(5, 6, OPS, []),
                                          cache.cases(5, 6, OPS, []), strict=True))
    small = list(cache.cases(5, 2, OPS, []))  # 7 planned: kept
    assert all(a is b for a, b in zip(small, cache.cases(5, 2, OPS, []), strict=True))
