"""Offline mode (ACVP-style): a request file out, a response file in, the same verdicts.

`export` writes every case a live `run` with the same seed and settings would send (sanity,
vector and generated cases, in run order; a replay sequence as ordered steps sharing one
guard name) without the expected answers. The implementation answers them with its own
harness (`spec/shim-protocol.md`, "Offline mode"). `judge` regenerates the cases with
their expected outcomes from the request file's seed and settings, checks that the
requests are the ones this suite makes (a digest over suite version, settings and
requests), then judges each case with `judge_case` and triages like `run`.

A missing or malformed answer is the case's CRASH verdict, as a shim that dies or writes
garbage on that request; after `STORM_CRASHES` in a row on one operation the rest of it
is NOT_RUN, as in a live run. A file that does not belong to the requests (other digest,
extra or duplicated ids) is refused: `OfflineError`, exit status 2.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from conformance.cases import OPERATION_PROFILES, Case
from conformance.execute import Batch, Shared, Worker
from conformance.expectations import Expectations
from conformance.generate import Oracle
from conformance.inprocess import json_copy
from conformance.judge import judge_case
from conformance.model import PROFILES, RunReport, Verdict
from conformance.progress import Progress
from conformance.runner import RunOptions, _report, _Stream, numbered_requests, run_cases
from conformance.shimclient import ShimProtocolError, validate_response

__all__ = [
    "REQUESTS_SCHEMA",
    "RESPONSES_SCHEMA",
    "OfflineError",
    "OfflineSettings",
    "Responses",
    "answer_requests",
    "build_requests",
    "checked_answer",
    "hello_ops",
    "judge_offline",
    "load_json",
    "load_requests",
    "parse_responses",
    "suite_version",
]

REQUESTS_SCHEMA = "ihp-conformance-requests/1"
RESPONSES_SCHEMA = "ihp-conformance-responses/1"
_SHIM_PROFILES = tuple(p for p in PROFILES if p != "IHP-HTTP")


class OfflineError(Exception):
    """A request or response file that cannot be judged (exit status 2)."""


def suite_version() -> str:
    """The installed suite's version: the cases and their expected outcomes belong to it."""
    try:
        return metadata.version("ihp-conformance")
    except metadata.PackageNotFoundError:  # run from a bare checkout
        return "0+unknown"


@dataclass(frozen=True)
class OfflineSettings:
    """What decides the cases of an offline run: the live run's settings, with the
    operations the implementation supports (the live run's `hello`) given up front."""

    seed: int
    profiles: tuple[str, ...] = _SHIM_PROFILES
    cases: int = 250
    ops: tuple[str, ...] = tuple(OPERATION_PROFILES)
    vectors: bool = True

    @property
    def guard_prefix(self) -> str:
        """Replay sequences' guard names are `<prefix>-<index>-0`: fixed by the seed."""
        return f"offline-{self.seed}"

    def as_json(self) -> dict[str, Any]:
        return {"profiles": list(self.profiles), "cases": self.cases, "ops": list(self.ops),
                "vectors": self.vectors}  # fmt: skip

    def options(self, expectations: Expectations | None = None, keep: bool = False) -> RunOptions:
        return RunOptions(
            impl="offline", profiles=self.profiles, seed=self.seed, cases=self.cases,
            vectors=self.vectors, progress=False, keep_passing=keep,
            expectations=expectations or Expectations(),
        )  # fmt: skip

    def cases_in_order(self, notes: list[str]) -> list[Case]:
        """The cases of the live run, in its order (the shared `run_cases`)."""
        cases, made_notes = _cases_of(self)
        notes += made_notes
        return list(cases)


@functools.lru_cache(maxsize=2)  # judging many answer files of one request file
def _cases_of(settings: OfflineSettings) -> tuple[tuple[Case, ...], tuple[str, ...]]:
    notes: list[str] = []
    planned = run_cases(settings.options(), settings.seed, set(settings.ops), Oracle(), notes)
    return tuple(planned.all()), tuple(notes)


# ---------------------------------------------------------------- the request file


def _request_entries(cases: Sequence[Case], guard_prefix: str) -> Iterator[dict[str, Any]]:
    for _, case, steps in numbered_requests(cases, guard_prefix):
        yield {"id": case.case_id, "op": case.operation, "profile": case.profile, "steps": steps}


def _digest(header: Mapping[str, Any], requests: Sequence[Mapping[str, Any]]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())
    for request in requests:
        h.update(b"\n" + json.dumps(request, sort_keys=True, separators=(",", ":")).encode())
    return "sha256:" + h.hexdigest()


def _header(settings: OfflineSettings, version: str) -> dict[str, Any]:
    return {"schema": REQUESTS_SCHEMA, "suite_version": version, "seed": settings.seed,
            "settings": settings.as_json(), "guard_prefix": settings.guard_prefix}  # fmt: skip


def build_requests(settings: OfflineSettings) -> dict[str, Any]:
    """The request file's document (see `schemas/requests.schema.json`)."""
    notes: list[str] = []
    requests = list(_request_entries(settings.cases_in_order(notes), settings.guard_prefix))
    header = _header(settings, suite_version())
    return {**header, "notes": notes, "count": len(requests),
            "digest": _digest(header, requests), "requests": requests}  # fmt: skip


def _schema(name: str) -> dict[str, Any]:
    text = resources.files("conformance").joinpath(f"schemas/{name}").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def load_json(path: str | Path, what: str, constants: bool = False) -> Any:
    """A JSON file, refused (`OfflineError`) if unreadable, not JSON or with a duplicate key.
    `constants`: NaN and Infinity are read as Python writes them (request arguments)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicates,
                          parse_constant=None if constants else _no_constant)  # fmt: skip
    except _DuplicateKey as exc:
        raise OfflineError(f"{what} {path}: the key {exc.args[0]!r} appears twice") from None
    except OSError as exc:
        raise OfflineError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, NaN
        raise OfflineError(f"{what} {path} is not valid JSON: {exc}") from None


def _schema_problem(document: object, deep: bool = False) -> str | None:
    """Where the request file breaks its schema. Its `requests` are checked one by one only
    when `deep`: when the digests agree they are the ones this suite makes."""
    if not deep and isinstance(document, dict) and isinstance(document.get("requests"), list):
        document = {**document, "requests": []}
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(_schema("requests.schema.json")).iter_errors(document))
    if error is None:
        return None
    path = [str(p) for p in error.absolute_path]
    # inside a request the message would quote the value (a key, a password): name the rule
    why = f"fails {error.validator!r}" if path[:1] == ["requests"] else error.message
    return f"is malformed at {'/'.join(path) or 'the top level'}: {why}"


def load_requests(path: str | Path) -> tuple[dict[str, Any], OfflineSettings]:
    """A request file, checked against its schema, its own digest, and the cases this
    suite makes with its seed and settings (`OfflineError` if any disagrees)."""
    document = load_json(path, "request file", constants=True)
    problem = _schema_problem(document)
    if problem is not None:
        raise OfflineError(f"request file {path} {problem}")
    header = {k: document[k] for k in ("schema", "suite_version", "seed", "settings",
                                        "guard_prefix")}  # fmt: skip
    if _digest(header, document["requests"]) != document["digest"]:
        problem = _schema_problem(document, deep=True)
        raise OfflineError(f"request file {path} " + (problem or "was changed after export (its "
                           "digest does not match its requests); export it again"))  # fmt: skip
    s = document["settings"]
    settings = OfflineSettings(document["seed"], tuple(s["profiles"]), s["cases"],
                               tuple(s["ops"]), s["vectors"])  # fmt: skip
    if settings.guard_prefix != document["guard_prefix"]:
        raise OfflineError(f"request file {path}: guard_prefix is not {settings.guard_prefix!r}")
    _check_made_here(document, settings)
    return document, settings


def _check_made_here(requests: Mapping[str, Any], settings: OfflineSettings) -> None:
    """Refuse requests this suite version would not make with their seed and settings."""
    version = suite_version()
    if _made_digest(settings, version) != requests["digest"]:
        raise OfflineError(
            f"the request file was made by another suite (version "
            f"{requests.get('suite_version')!r}; this one is {version!r}) or other cases: "
            f"this suite cannot judge its answers; export the requests again")  # fmt: skip


@functools.lru_cache(maxsize=2)
def _made_digest(settings: OfflineSettings, version: str) -> str:
    entries = list(_request_entries(settings.cases_in_order([]), settings.guard_prefix))
    return _digest(_header(settings, version), entries)


# ---------------------------------------------------------------- the response file


@dataclass(frozen=True)
class Responses:
    """The answers of a response file, by case id, and who answered."""

    answers: Mapping[str, object]
    implementation: str
    version: str


def parse_responses(document: object, requests: Mapping[str, Any], path: str = "") -> Responses:
    """The response file's answers; `OfflineError` if the file is for other requests or
    answers cases that were not asked. Each answer is checked when its case is judged."""
    where = f"response file {path}".rstrip()
    if not isinstance(document, dict) or document.get("schema") != RESPONSES_SCHEMA:
        raise OfflineError(f"{where} is not an {RESPONSES_SCHEMA} document "
                           f"(a JSON object with \"schema\": \"{RESPONSES_SCHEMA}\")")  # fmt: skip
    if document.get("requests_digest") != requests["digest"]:
        raise OfflineError(
            f"{where} answers other requests: its requests_digest "
            f"{document.get('requests_digest')!r} is not the request file's {requests['digest']} "
            f"(another seed, other settings or another suite version?)")  # fmt: skip
    answers = document.get("responses")
    if not isinstance(answers, dict):
        raise OfflineError(f"{where}: \"responses\" is not an object of case id → answers")
    asked = {r["id"] for r in requests["requests"]}
    extra = sorted(set(answers) - asked)
    if extra:
        shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        raise OfflineError(f"{where} answers case(s) that were not asked: {shown}")
    impl, version = document.get("implementation", ""), document.get("version", "")
    return Responses(answers, impl if isinstance(impl, str) and impl else "offline",
                     version if isinstance(version, str) else "")  # fmt: skip


def checked_answer(case: Case, answer: object) -> list[dict[str, Any]] | str:
    """The answer's response objects, one per step, or why it is unusable."""
    if answer is None:
        return f"no answer for case {case.case_id} in the response file"
    n = len(case.steps)
    if not isinstance(answer, list) or len(answer) != n:
        return (f"the answer for case {case.case_id} is not a list of {n} response "
                f"object(s), one per step")  # fmt: skip
    out = []
    for i, response in enumerate(answer):
        try:
            if not isinstance(response, dict) or "id" in response:
                raise ShimProtocolError("not a response object without an id")
            out.append(validate_response({**response, "id": i}, i))
        except ShimProtocolError as exc:
            return f"malformed answer for case {case.case_id}, step {i + 1}: {exc}"
    return out


# ---------------------------------------------------------------- judging


class _Answered:
    """The `Client` an offline worker 'restarts': nothing runs, answers come from a file."""

    def hello(self) -> dict[str, Any]:
        return {}

    def call_many(self, requests: Sequence[Any], on_response: Any = None) -> list[dict[str, Any]]:
        raise NotImplementedError("an offline run sends nothing")

    def close(self) -> int | None:
        return 0

    def stderr_text(self) -> str:
        return ""


class _OfflineWorker(Worker):
    """A worker that judges each case from its answer in the file. A crash (no answer, a
    malformed one) ends the 'process' like in a live run: the next case costs a restart,
    so the live run's restart limit and crash-storm rule apply unchanged."""

    def __init__(self, shared: Shared, responses: Responses) -> None:
        super().__init__(shared, _Answered, _Answered())
        self.responses = responses

    def run_batch(self, batch: Batch) -> None:
        for index, case, requests in batch.items:
            if (why := self.shared.not_run_reason(case)) is not None:
                self._finish(index, case, requests, Verdict.NOT_RUN, why)
            elif self.client is None and not self._restart():
                self._finish(index, case, requests, Verdict.NOT_RUN,
                             "not run: the implementation could not be restarted "
                             "(too many restarts)")  # fmt: skip
            else:
                self._judge(index, case, requests)
            if self.shared.stop:
                return

    def _judge(self, index: int, case: Case, requests: list[dict[str, Any]]) -> None:
        answer = checked_answer(case, self.responses.answers.get(case.case_id))
        if isinstance(answer, str):
            self._finish(index, case, requests, Verdict.CRASH, answer)
            self.client = None
            return
        verdict, why, actual, difference = judge_case(case, answer)
        self._finish(index, case, requests, verdict, why, actual, 0.0, difference)


def judge_offline(
    requests: Mapping[str, Any], settings: OfflineSettings, responses: Responses,
    expectations: Expectations | None = None, keep_passing: bool = False,
) -> RunReport:  # fmt: skip
    """The run report of the answered requests: regenerate the cases with their expected
    outcomes, check they are the requests that were answered, judge, triage."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    _check_made_here(requests, settings)
    notes: list[str] = []
    cases = settings.cases_in_order(notes)
    options = settings.options(expectations, keep_passing)
    stream = _Stream(iter(cases), set(settings.ops), options, settings.guard_prefix)
    shared = Shared(source=stream.batches(), expectations=options.expectations, fail_fast=False,
                    progress=Progress(len(cases), enabled=False), keep_passing=keep_passing,
                    max_restarts=options.max_restarts)  # fmt: skip
    stream.shared = shared
    _OfflineWorker(shared, responses).run()
    hello = {"implementation": responses.implementation, "version": responses.version}
    report = _report(options, hello, settings.seed, shared, stream, started_at, t0, notes)
    kept = {k: v for k, v in report.settings.items() if k not in ("jobs", "timeout")}
    report.settings = {**kept, "ops": ",".join(settings.ops), "offline": True}
    report.command = "offline"
    return report


# ---------------------------------------------------------------- answering in process


def answer_requests(
    requests: Mapping[str, Any], session: Callable[[], Any], name: str = "",
) -> dict[str, Any]:  # fmt: skip
    """A response file's document for `requests`, answered by an in-process dispatcher
    (`ihp_ref.shim.ShimSession`, a mutant's session): what an implementation's own offline
    harness does. A case whose dispatcher raises gets no answer (a crash); the dispatcher
    is then made afresh, like a restarted shim."""
    dispatcher = session()
    hello = dispatcher.handle({"id": 0, "op": "hello", "args": {"protocol": "ihp-shim/1"}})
    answers: dict[str, Any] = {}
    n = 0
    for request in requests["requests"]:
        out = []
        try:
            for args in request["steps"]:
                n += 1
                raw = dispatcher.handle(json_copy({"id": n, "op": request["op"], "args": args}))
                response = json_copy(raw)
                response.pop("id", None)
                out.append(response)
        except Exception:  # the implementation crashed on this case: leave it unanswered
            dispatcher = session()
            continue
        answers[request["id"]] = out
    result = hello.get("result", {}) if isinstance(hello, dict) else {}
    return {"schema": RESPONSES_SCHEMA, "requests_digest": requests["digest"],
            "implementation": name or str(result.get("implementation", "")),
            "version": str(result.get("version", "")), "responses": answers}  # fmt: skip


def hello_ops(session: Callable[[], Any]) -> tuple[str, ...]:
    """The operations an in-process dispatcher says it supports (its `hello`)."""
    hello = session().handle({"id": 0, "op": "hello", "args": {"protocol": "ihp-shim/1"}})
    ops = hello.get("result", {}).get("ops", [])
    return tuple(op for op in OPERATION_PROFILES if op in ops)

