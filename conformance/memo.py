"""What a process that runs the suite many times keeps between runs: the vector cases' §15
flags and the generated cases of a seed.

The mutant table (`ihp-conformance mutants`: one run per mutant, one seed), the pytest
plugin and the tests run the suite again and again in one process. The vector loader
hands out the same case objects while the files are unchanged, and generation is a
function of (seed, volume, operations) for a fresh oracle, so neither needs redoing.
Cases are frozen and nothing that runs a case changes its arguments, so runs share them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence

from conformance.cases import Case, with_divergences
from conformance.generate import Oracle, iter_generated_cases, planned_cases

__all__ = ["FlagMemo", "GeneratedMemo"]


class FlagMemo:
    """`with_divergences` over a list of cases, kept for the last list seen (the vector
    cases: their flags are computed once, not once per run)."""

    def __init__(self) -> None:
        self._raw: tuple[Case, ...] = ()
        self._flagged: tuple[Case, ...] = ()

    def of(self, cases: Sequence[Case]) -> list[Case]:
        same = len(cases) == len(self._raw) and all(
            a is b for a, b in zip(cases, self._raw, strict=True))
        if not same:
            self._raw, self._flagged = tuple(cases), tuple(with_divergences(c) for c in cases)
        return list(self._flagged)


class _Generated:
    """The flagged generated cases of one (seed, volume, operations), made on demand by
    its own oracle and kept; the generator's notes (dropped cases) with the number of
    cases made before each, so that every reader gets them at the same point."""

    def __init__(self, seed: int, per_operation: int, operations: frozenset[str]) -> None:
        self._made_notes: list[str] = []
        self._source: Iterator[Case] | None = iter_generated_cases(
            seed, per_operation, operations, Oracle(), self._made_notes)
        self._cases: list[Case] = []
        self._notes: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def _get(self, index: int) -> Case | None:
        """Case `index`, made if need be; None past the last."""
        with self._lock:
            while index >= len(self._cases) and self._source is not None:
                case = next(self._source, None)
                self._notes += [(len(self._cases), n) for n in self._made_notes]
                self._made_notes.clear()
                if case is None:
                    self._source = None
                else:
                    self._cases.append(with_divergences(case))
            return self._cases[index] if index < len(self._cases) else None

    def read(self, notes: list[str]) -> Iterator[Case]:
        index = noted = 0
        while True:
            case = self._get(index)
            while noted < len(self._notes) and (case is None or self._notes[noted][0] <= index):
                notes.append(self._notes[noted][1])
                noted += 1
            if case is None:
                return
            yield case
            index += 1


class GeneratedMemo:
    """`iter_generated_cases` with each case flagged (`with_divergences`), kept for the
    last few (seed, volume, operations) of up to `max_cases` cases each; a bigger run
    generates its cases one at a time as before and keeps none."""

    def __init__(self, entries: int = 4, max_cases: int = 10_000) -> None:
        self._entries: OrderedDict[tuple[int, int, frozenset[str]], _Generated] = OrderedDict()
        self._size = entries
        self._max_cases = max_cases
        self._lock = threading.Lock()

    def cases(self, seed: int, per_operation: int, operations: Collection[str],
              notes: list[str]) -> Iterator[Case]:  # fmt: skip
        ops = frozenset(operations)
        if planned_cases(per_operation, ops) > self._max_cases:
            made = iter_generated_cases(seed, per_operation, ops, Oracle(), notes)
            return (with_divergences(c) for c in made)
        key = (seed, per_operation, ops)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Generated(seed, per_operation, ops)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return entry.read(notes)
