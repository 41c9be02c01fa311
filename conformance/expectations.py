"""Expectations files: an implementer's known deviations, by case-id glob or by flag.

```json
{"expectations": [
  {"glob": "decrypt/drift/*", "action": "xfail", "reason": "fixed in 0.2"},
  {"flag": "DriftOverflow", "action": "xfail", "reason": "spec §15: i64 wrap in release"},
  {"glob": "gen/rtt_bucket/*", "action": "skip", "reason": "no client helper"}]}
```

Globs use `fnmatch` syntax, case-sensitively; a flag entry matches every case (vector or
generated) that carries the flag. The first matching entry wins. A reason is mandatory.
Entries that match no case of the run are reported (they usually mean a typo).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from conformance.model import Verdict

__all__ = [
    "Expectation",
    "Expectations",
    "ExpectationsError",
    "apply_expectation",
    "load_expectations",
]


class ExpectationsError(ValueError):
    """The expectations file cannot be read or does not follow its schema."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """One entry: a case-id glob or a flag (exactly one), an action, a reason."""

    glob: str | None
    action: str  # "skip" or "xfail"
    reason: str
    flag: str | None = None

    def __post_init__(self) -> None:
        if (self.glob is None) == (self.flag is None):
            raise ValueError("an expectation has exactly one of a glob and a flag")

    @property
    def label(self) -> str:
        return self.glob if self.glob is not None else f"flag:{self.flag}"

    def matches(self, case_id: str, flags: Collection[str] = ()) -> bool:
        if self.glob is not None:
            return fnmatch.fnmatchcase(case_id, self.glob)
        return self.flag in flags


@dataclass(frozen=True, slots=True)
class Expectations:
    entries: tuple[Expectation, ...] = ()

    def lookup(self, case_id: str, flags: Collection[str] = ()) -> Expectation | None:
        """The first entry that matches the case."""
        return next((e for e in self.entries if e.matches(case_id, flags)), None)

    def unmatched(self, cases: Iterable[tuple[str, Collection[str]]]) -> tuple[str, ...]:
        """The entries (glob, or `flag:NAME`) that match none of `(case_id, flags)`."""
        seen = list(cases)
        return tuple(e.label for e in self.entries if not any(e.matches(i, f) for i, f in seen))


def _schema() -> dict[str, Any]:
    text = resources.files("conformance").joinpath("schemas/expectations.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


def load_expectations(path: str | Path) -> Expectations:
    """Read and validate an expectations file; `ExpectationsError` says what is wrong."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExpectationsError(f"cannot read expectations file {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExpectationsError(f"expectations file {path} is not JSON: {exc}") from None
    except RecursionError:
        raise ExpectationsError(f"expectations file {path} is nested too deeply") from None
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(_schema()).iter_errors(document)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ExpectationsError(f"expectations file {path}: at {where}: {error.message}")
    return Expectations(
        tuple(
            Expectation(e.get("glob"), e["action"], e["reason"], e.get("flag"))
            for e in document["expectations"]
        )
    )


def apply_expectation(verdict: Verdict, exp: Expectation | None) -> tuple[Verdict, str]:
    """An xfail entry turns a failure into XFAIL and a pass into XPASS."""
    if exp is None or exp.action != "xfail":
        return verdict, ""
    if verdict == Verdict.PASS:
        return Verdict.XPASS, f"expected to fail ({exp.reason}) but passed"
    if verdict in (Verdict.FAIL, Verdict.TIMEOUT, Verdict.CRASH):
        return Verdict.XFAIL, f"expected failure: {exp.reason}"
    return verdict, ""
