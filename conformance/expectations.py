"""Expectations files: an implementer's known deviations, by case-id glob or by flag.

```json
{"expectations": [
  {"flag": "DriftOverflow", "action": "xfail", "reason": "spec §15: i64 wrap in release"},
  {"glob": "decrypt/drift/*", "action": "xfail", "reason": "fixed in 0.2"},
  {"glob": "gen/rtt_bucket/*", "action": "skip", "reason": "no client helper"}]}
```

Two kinds of `xfail`, honest each in its way:
- **by flag, a known divergence**: "cases carrying this flag may deviate for this
  reason". A flagged case that fails is XFAIL; one that passes is PASS (an implementation
  with the divergence still agrees wherever the divergence does not matter). Flags are
  computed from each case's inputs (`ihp_vectors.divergences`), so the entry covers
  vector and generated cases alike and nothing else.
- **by glob, strict**: "these cases fail". A matching case that passes is XPASS, which
  fails the run: the entry is stale.

`skip` does not run the matching cases. Globs use `fnmatch` syntax, case-sensitively. The
first matching entry wins. A reason is mandatory. Entries that match no case of the run,
and known divergences that no case showed, are reported.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from os.path import commonpath
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from conformance.model import RunReport, Verdict

__all__ = [
    "Expectation",
    "Expectations",
    "ExpectationsError",
    "apply_expectation",
    "entry_to_dict",
    "expectations_for",
    "load_expectations",
    "narrowest_globs",
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

    def known_flags(self) -> frozenset[str]:
        """The flags of the known divergences (entries by flag with action xfail)."""
        return frozenset(e.flag for e in self.entries if e.flag is not None and e.action == "xfail")

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
    """An xfail entry turns a failure into XFAIL; a strict one (by glob) turns a pass into
    XPASS, a known divergence (by flag) leaves a pass a pass."""
    if exp is None or exp.action != "xfail":
        return verdict, ""
    if verdict == Verdict.PASS:
        if exp.flag is not None:
            return verdict, ""
        return Verdict.XPASS, f"expected to fail ({exp.reason}) but passed"
    if verdict in (Verdict.FAIL, Verdict.TIMEOUT, Verdict.CRASH):
        what = "known divergence" if exp.flag is not None else "expected failure"
        return Verdict.XFAIL, f"{what}: {exp.reason}"
    return verdict, ""


def entry_to_dict(entry: Expectation) -> dict[str, str]:
    """An entry as the file writes it."""
    key = {"flag": entry.flag} if entry.flag is not None else {"glob": entry.glob or ""}
    return {**key, "action": entry.action, "reason": entry.reason}


def _escape(case_id: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in case_id)


def narrowest_globs(ids: Sequence[str], all_ids: Collection[str]) -> list[str]:
    """Globs that match every id of `ids` and no other id of `all_ids`: one shared-prefix
    glob where that is safe, else one per id prefix up to its last `/`, else the ids."""
    wanted = set(ids)
    others = [i for i in all_ids if i not in wanted]

    def safe(glob: str) -> bool:
        return not any(fnmatch.fnmatchcase(i, glob) for i in others)

    if len(wanted) == 1:
        return [_escape(next(iter(wanted)))]
    shared = _escape(commonpath(sorted(wanted))) + "*"
    if safe(shared):
        return [shared]
    globs: list[str] = []
    by_folder: dict[str, list[str]] = {}
    for case_id in sorted(wanted):
        by_folder.setdefault(case_id.rsplit("/", 1)[0], []).append(case_id)
    for folder, members in by_folder.items():
        glob = _escape(folder) + "/*"
        globs += [glob] if len(members) > 1 and safe(glob) else [_escape(m) for m in members]
    return globs


def expectations_for(report: RunReport, existing: Expectations) -> dict[str, Any]:
    """The expectations document that turns this run's deviations into known ones: the
    existing entries (less the strict ones every matching case of which passed), then one
    entry per unexpected deviation, by flag where a §15 flag explains it, else the
    narrowest globs; each reason is a placeholder to fill in."""
    stale = {d.deviation_id.split(":", 1)[1] for d in report.deviations if d.kind == "xpass"}
    still_failing = {r.expectation for r in report.results if r.verdict == Verdict.XFAIL}
    kept = [e for e in existing.entries if e.label not in stale or e.label in still_failing]
    entries = [entry_to_dict(e) for e in kept]
    all_ids = [r.case_id for r in report.results]
    seed = f" (generated cases of seed {report.seed})"
    for deviation in report.deviations:
        if deviation.known or deviation.kind == "xpass":
            continue
        if deviation.flag is not None:
            reason = f"TODO: why this implementation has the spec §15 divergence: {deviation.title}"
            entries.append({"flag": deviation.flag, "action": "xfail", "reason": reason})
            continue
        ids = deviation.case_ids  # cases not run are not known to fail: no entry
        reason = f"TODO: known deviation: {deviation.title}"
        reason += seed if any(i.startswith("gen/") for i in ids) else ""
        entries += [{"glob": g, "action": "xfail", "reason": reason}
                    for g in narrowest_globs(ids, all_ids)]  # fmt: skip
    return {
        "comment": f"written by ihp-conformance run --write-expectations for "
                   f"{report.implementation}, seed {report.seed}: fill in every TODO reason",
        "expectations": entries,
    }  # fmt: skip
