"""The mutation driver's warm worker (tools/mutate.py starts one per job).

It runs in a work copy of the checkout (cwd and PYTHONPATH), imports the third-party
modules the killers need once, then answers one JSON request a line on stdin: it forks a
child that imports `ihp_ref` and the rest of the project fresh from the work copy (where
the driver has just written a mutant), runs the killers in order in process, and exits
with 0 (all passed) or 10 + the index of the first that failed. A killer that runs past
its timeout is ended by SIGALRM: a kill, not a hang.

Requests: `{"stages": [{"name", "timeout", "args", "select"?}...], "modules_out"?: path,
"coverage_out"?: path}` → the stages run, with their seconds (`select`: the test node ids
to run, cheapest first; `coverage_out`: which tests, and which other killers as
"killer:<name>", ran each line of `ihp_ref`);
`{"warm": [module...]}` → those modules imported here.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import os
import signal
import sys
import time
from typing import Any

#: top-level packages of the project: never imported by the warm parent
PROJECT = frozenset({"ihp_ref", "ihp_vectors", "conformance", "ihp_fuzz", "ihp_server",
                     "ihp_client", "tests", "conftest", "tools", "mutate_worker", "__main__"})


def project_module(name: str) -> bool:
    top = name.split(".")[0]
    return top in PROJECT or top.startswith("test_") or top.startswith("__editable__")


class _Select:
    """A pytest plugin: keep only the selected tests, in the selection's order."""

    def __init__(self, node_ids: list[str]) -> None:
        self.order = {node_id: n for n, node_id in enumerate(node_ids)}

    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        kept = sorted((i for i in items if i.nodeid in self.order),
                      key=lambda i: self.order[i.nodeid])
        items[:] = kept


class _Contexts:
    """A pytest plugin: each test's node id is the coverage context of what it runs."""

    def __init__(self, cov: Any) -> None:
        self.cov = cov
        self.durations: dict[str, float] = {}
        self._started = 0.0

    def pytest_runtest_setup(self, item: Any) -> None:
        self.cov.switch_context(item.nodeid)
        self._started = time.monotonic()

    def pytest_runtest_teardown(self, item: Any) -> None:
        self.durations[item.nodeid] = round(time.monotonic() - self._started, 4)
        self.cov.switch_context("")


def run_stage(name: str, args: list[str], select: list[str] | None = None,
              cov: Any = None) -> bool:
    """One killer, in process; True when it passes."""
    if name == "vectors":
        from conformance.runner import RunOptions, run_suite

        report = run_suite(RunOptions(impl="ref", cases=0, seed=0, progress=False))
        return report.exit_status() == 0
    if name == "tests":
        import pytest

        plugins: list[object] = [] if select is None else [_Select(select)]
        if cov is not None:
            plugins.append(cov)
        return pytest.main(args, plugins=plugins) == 0
    if name == "vectors-check":
        from ihp_vectors.cli import main

        return main(["check"]) == 0
    raise ValueError(f"unknown killer {name!r}")


def child(request: dict[str, Any], events: int) -> None:
    """The forked child: the killers in order; never returns."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    cov, contexts = None, None
    if request.get("coverage_out"):
        import coverage

        cov = coverage.Coverage(data_file=None, include=[os.path.abspath("ihp_ref") + "/*"])
        contexts = _Contexts(cov)
        cov.start()
    code = 0
    for index, stage in enumerate(request["stages"]):
        t0 = time.monotonic()
        os.write(events, json.dumps({"start": index}).encode() + b"\n")
        signal.alarm(max(1, math.ceil(stage["timeout"])))
        if cov is not None:  # what each in-process killer runs ("killer:vectors")
            cov.switch_context("" if stage["name"] == "tests" else f"killer:{stage['name']}")
        try:
            ok = run_stage(stage["name"], stage.get("args", []), stage.get("select"), contexts)
        except BaseException:  # a mutant may break anything; the killer has failed
            ok = False
        signal.alarm(0)
        os.write(events, json.dumps({"end": index, "seconds": time.monotonic() - t0,
                                     "ok": ok}).encode() + b"\n")
        if not ok:
            code = 10 + index
            break
    if cov is not None and contexts is not None:
        cov.stop()
        data = cov.get_data()
        lines = {os.path.relpath(f): {n: sorted(c) for n, c in data.contexts_by_lineno(f).items()}
                 for f in data.measured_files()}
        with open(request["coverage_out"], "w", encoding="utf-8") as out:
            json.dump({"lines": lines, "durations": contexts.durations}, out)
    if request.get("modules_out"):
        with open(request["modules_out"], "w", encoding="utf-8") as out:
            json.dump(sorted(sys.modules), out)
    os._exit(code)


def run(request: dict[str, Any]) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            child(request, write_end)
        finally:
            os._exit(99)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    events = [json.loads(line) for line in b"".join(chunks).splitlines() if line.strip()]
    stages = [e for e in events if "end" in e]
    started = [e["start"] for e in events if "start" in e]
    if os.WIFSIGNALED(status):  # SIGALRM: the stage in flight ran past its timeout
        return {"failed": started[-1] if started else 0, "timeout": True, "stages": stages}
    code = os.WEXITSTATUS(status)
    failed = None if code == 0 else code - 10 if code >= 10 and code != 99 else 0
    return {"failed": failed, "timeout": False, "stages": stages}


def warm(modules: list[str]) -> int:
    done = 0
    for name in modules:
        if project_module(name):
            continue
        with contextlib.suppress(Exception):
            importlib.import_module(name)
            done += 1
    return done


def main() -> int:
    for line in sys.stdin:
        request = json.loads(line)
        if "warm" in request:
            answer: dict[str, Any] = {"warmed": warm(request["warm"]), "leaked": sorted(
                m for m in sys.modules if project_module(m) and m != "__main__")}
        else:
            answer = run(request)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
