"""Mutation testing of `ihp_ref` (issue 13): single-point mutants, killers cheapest first.

Each mutant changes one thing in one `ihp_ref/*.py` file (a comparison or boundary swapped,
an integer constant ±1, a string constant altered, a guard or a `raise` removed, two
arguments swapped, a return value replaced, `and`/`or` or an arithmetic operator swapped,
a `not` dropped). Killers run in order, and the first that fails kills the mutant:

1. `vectors`: the conformance suite, vectors only (`run_suite`, `--impl ref --cases 0`);
2. `tests`: one pytest run over the fast test modules that exercise `ihp_ref`, the ones
   named after the mutated file first, then the rest cheapest first (`-x`);
3. `vectors-check`: `ihp-vectors check` (the generated files still match the generator).

A killer that runs past its timeout kills the mutant (an infinite loop is a kill, not a
hang). Mutants run in per-worker copies of the checkout (`--out`/work-N), never here.
Equivalent mutants are listed, each with a reason, in `tools/mutate_equivalent.txt`.

    python tools/mutate.py --sample 40         # what `make mutate` runs
    python tools/mutate.py --all -j 2          # the nightly workflow: the whole population
    python tools/mutate.py --list              # the population: id and line, one a line
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import functools
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "ihp_ref"
EQUIVALENT_FILE = ROOT / "tools" / "mutate_equivalent.txt"

#: fast test modules that exercise ihp_ref, besides tests/test_ref_*.py
EXTRA_TEST_MODULES = (
    "tests/test_properties_replay.py",
    "tests/test_properties_keyring.py",
    "tests/test_vectors.py",
    "tests/test_independent.py",
)
#: test modules aimed at a file, tried before the rest (tests/test_ref<file>.py is too)
TARGETED = {
    "_replay": ("tests/test_properties_replay.py",),
    "_providers": ("tests/test_properties_keyring.py",),
    "_token": ("tests/test_ref_token_rtt.py",),
    "_rtt": ("tests/test_ref_token_rtt.py",),
    "_values": ("tests/test_ref_capsule.py",),
    "_http": ("tests/test_ref_wire.py",),
    "_counting": ("tests/test_ref_metrics.py",),
    "_builder": ("tests/test_ref_config.py",),
    "_checks": ("tests/test_ref_capsule.py",),
    "_primitives": ("tests/test_ref_keys.py",),
    "_constants": ("tests/test_ref_capsule.py",),
    "shim": ("tests/test_ref_shim.py",),
}
#: the files a shim operation reaches (issue 13): the vectors alone should pin them
SHIM_FILES = ("_capsule", "_wire", "_keys", "_sep", "_token", "_rtt", "_replay", "_config")
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "out", ".hypothesis", "node_modules",
                                     "__pycache__", ".mypy_cache", ".ruff_cache", "*.egg-info",
                                     ".pytest_cache", ".tox", "build", "dist")
KILLERS = ("vectors", "tests", "vectors-check")
#: the coverage context of an in-process killer's run in the baseline: "killer:vectors"
KILLER = "killer:"


# ---------------------------------------------------------------- the population


@dataclass(frozen=True)
class Mutant:
    """One single-point change: `original` (the source of the span) becomes `replacement`."""

    file: str  # "ihp_ref/_replay.py"
    line: int
    col: int  # UTF-8 byte offset, as `ast` gives it
    end_line: int
    end_col: int
    operator: str
    original: str
    replacement: str
    scope: str = "<module>"  # the enclosing class and function names: "ReplayGuard.check"
    occurrence: int = 1  # the same change in the same scope: 1st, 2nd, ... in source order

    @property
    def key(self) -> str:
        """The id without its occurrence: what the mutant does, not where the line is."""
        text = f"{self.original}\0{self.replacement}".encode()
        return f"{self.file}::{self.scope}:{self.operator}:{hashlib.sha1(text).hexdigest()[:8]}"

    @property
    def id(self) -> str:
        """Stable while the file changes elsewhere: scope, operator, and a hash of the text
        before and after (no line number), so the reviewed equivalent list survives edits
        to other functions."""
        return self.key if self.occurrence == 1 else f"{self.key}~{self.occurrence}"

    @property
    def module(self) -> str:
        return Path(self.file).stem

    def apply(self, source: str) -> str:
        """`source` with the span replaced (offsets are UTF-8 bytes, per line)."""
        lines = source.encode("utf-8").splitlines(keepends=True)
        start = sum(len(x) for x in lines[: self.line - 1]) + self.col
        end = sum(len(x) for x in lines[: self.end_line - 1]) + self.end_col
        data = source.encode("utf-8")
        return (data[:start] + self.replacement.encode("utf-8") + data[end:]).decode("utf-8")

    def diff(self, source: str) -> str:
        return "".join(difflib.unified_diff(
            source.splitlines(keepends=True), self.apply(source).splitlines(keepends=True),
            f"a/{self.file}", f"b/{self.file}", n=1))


_CMP_SWAP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.In: ast.NotIn, ast.NotIn: ast.In,
}
_BIN_SWAP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv, ast.LShift: ast.RShift, ast.RShift: ast.LShift,
    ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd, ast.BitXor: ast.BitOr,
}
_COMPOUND = (ast.BoolOp, ast.BinOp, ast.Compare, ast.UnaryOp, ast.IfExp, ast.Lambda)


def _text(node: ast.AST) -> str:
    text = ast.unparse(node)
    return f"({text})" if isinstance(node, _COMPOUND) else text


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: docstrings, `__all__`/`__slots__`, annotations,
    f-string internals (their positions are unreliable before Python 3.12)."""
    skip: set[int] = set()

    def skip_all(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            skip_all(body[0])
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("__all__", "__slots__") for t in node.targets):
            skip_all(node)
        if isinstance(node, ast.AnnAssign):
            skip_all(node.annotation)
        if isinstance(node, ast.arg):
            skip_all(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip_all(node.returns)
        if isinstance(node, ast.JoinedStr):
            skip_all(node)
        if isinstance(node, ast.ImportFrom | ast.Import):
            skip_all(node)
        if _is_message(node):  # text for humans: no protocol behaviour hangs on it
            skip.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant)
                        and isinstance(n.value, str))
    return skip


#: calls whose string arguments are messages for humans, never compared: Python API
#: misuse errors and the field names they quote, the shim's `detail` (shim protocol:
#: "never compared")
_MESSAGE_CALLS = frozenset({"TypeError", "ValueError", "_error", "check_int", "check_bytes"})


def _is_message(node: ast.AST) -> bool:
    if isinstance(node, ast.FunctionDef) and node.name == "__repr__":
        return True
    if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _MESSAGE_CALLS)


def _candidates(node: ast.AST) -> Iterator[tuple[str, ast.AST | str]]:
    """(operator, replacement node or text) for one node."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swap = _CMP_SWAP.get(type(op))
            if swap is not None:
                ops = list(node.ops)
                ops[i] = swap()
                yield "cmp", ast.Compare(node.left, ops, node.comparators)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        yield "const+1", ast.Constant(node.value + 1)
        yield "const-1", ast.Constant(node.value - 1)
    elif isinstance(node, ast.Constant) and type(node.value) is str and node.value:
        yield "str", ast.Constant(node.value + "X")  # prose is left alone: see mutants_of
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield "bool", ast.Constant(not node.value)
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "boolop", ast.BoolOp(other, node.values)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not", node.operand
    elif isinstance(node, ast.BinOp) and type(node.op) in _BIN_SWAP:
        yield "arith", ast.BinOp(node.left, _BIN_SWAP[type(node.op)](), node.right)
    elif isinstance(node, ast.Call):
        args = node.args
        if len(args) >= 2 and not any(isinstance(a, ast.Starred) for a in args):
            for i in range(len(args) - 1):
                swapped = list(args)
                swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
                yield "args", ast.Call(node.func, swapped, node.keywords)


def _statement_candidates(node: ast.stmt) -> Iterator[tuple[str, ast.AST, str]]:
    """(operator, node whose span is replaced, replacement text) for one statement."""
    if isinstance(node, ast.If) and not node.orelse and any(
            isinstance(s, ast.Raise | ast.Return) for s in node.body):
        yield "guard", node.test, "False"
    elif isinstance(node, ast.Raise):
        yield "raise", node, "pass"
    elif isinstance(node, ast.Return) and node.value is not None:
        value = node.value
        if not (isinstance(value, ast.Constant) and value.value is None):
            yield "return", value, "None"


def _same_expression(original: str, replacement: str) -> bool:
    try:
        return ast.dump(ast.parse(original.strip(), mode="eval")) == ast.dump(
            ast.parse(replacement, mode="eval"))
    except SyntaxError:  # a statement ("raise ...")
        return False


def mutants_of(path: Path, root: Path = ROOT) -> list[Mutant]:
    """Every mutant of one file, in source order; each changes the AST (the replacement is
    an expression, parenthesized when compound, or `pass` for a statement)."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    skip = _skipped_nodes(tree)
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    found: dict[tuple[int, int, int, int, str, str], Mutant] = {}
    lines = source.encode("utf-8").splitlines(keepends=True)

    data = source.encode("utf-8")
    scopes = _scopes(tree)

    def add(operator: str, node: ast.AST, replacement: str) -> None:
        line, col = int(getattr(node, "lineno")), int(getattr(node, "col_offset"))  # noqa: B009
        end_line = int(getattr(node, "end_lineno", None) or line)
        end_col = int(getattr(node, "end_col_offset", None) or 0)
        start = sum(map(len, lines[: line - 1])) + col
        end = sum(map(len, lines[: end_line - 1])) + end_col
        mutant = Mutant(rel, line, col, end_line, end_col, operator,
                        data[start:end].decode("utf-8"), replacement,
                        scopes.get(id(node), "<module>"))
        if _same_expression(mutant.original, replacement):
            return  # e.g. two equal arguments swapped: not a mutant
        found.setdefault((line, col, end_line, end_col, operator, replacement), mutant)

    prose_is_behaviour = path.stem == "_errors"  # §8's fixed messages; elsewhere prose
    for node in ast.walk(tree):  # (descriptions in tables, messages) is for humans
        if id(node) in skip or (isinstance(node, ast.Constant) and isinstance(node.value, str)
                                and " " in node.value and not prose_is_behaviour):
            continue
        if isinstance(node, ast.stmt):
            for operator, target, text in _statement_candidates(node):
                add(operator, target, text)
        elif isinstance(node, ast.expr):
            for operator, replacement in _candidates(node):
                add(operator, node, replacement if isinstance(replacement, str)
                    else _text(replacement))
    ordered = sorted(found.values(), key=lambda m: (m.line, m.col, m.operator, m.replacement))
    seen: dict[str, int] = {}
    numbered = []
    for m in ordered:
        seen[m.key] = seen.get(m.key, 0) + 1
        numbered.append(dataclasses.replace(m, occurrence=seen[m.key]))
    return numbered


def _scopes(tree: ast.Module) -> dict[int, str]:
    """id of every node → the dotted names of the classes and functions around it."""
    scopes: dict[int, str] = {}

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = child.name if scope == "<module>" else f"{scope}.{child.name}"
            scopes[id(child)] = inner  # a def's decorators and defaults count as its own
            visit(child, inner)

    visit(tree, "<module>")
    return scopes


def population(root: Path = ROOT, files: Sequence[str] = ()) -> list[Mutant]:
    paths = sorted((root / PACKAGE).glob("*.py"))
    if files:
        paths = [p for p in paths if p.stem in files or p.name in files]
    return [m for p in paths for m in mutants_of(p, root)]


def sample(mutants: Sequence[Mutant], size: int, seed: int) -> list[Mutant]:
    """A seeded sample, every file represented in proportion (at least one mutant each)."""
    if size >= len(mutants):
        return list(mutants)
    by_file: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_file.setdefault(m.file, []).append(m)
    rng = random.Random(seed)
    chosen: list[Mutant] = []
    for _, group in sorted(by_file.items()):
        share = max(1, round(size * len(group) / len(mutants)))
        chosen.extend(rng.sample(group, min(share, len(group))))
    return sorted(chosen, key=lambda m: (m.file, m.line, m.col))


# ---------------------------------------------------------------- equivalent mutants


def load_equivalent(path: Path = EQUIVALENT_FILE) -> dict[str, str]:
    """`id  reason` a line; `#` starts a comment line. Every entry needs a reason."""
    entries: dict[str, str] = {}
    if not path.exists():
        return entries
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        mutant_id, _, reason = line.partition(" ")
        if not reason.strip():
            raise ValueError(f"{path.name}:{number}: an equivalent mutant needs a reason")
        entries[mutant_id] = reason.strip()
    return entries


# ---------------------------------------------------------------- killers


@dataclass(frozen=True)
class Plan:
    """What the baseline run measured: each killer's timeout, each test module's cost,
    each test's seconds, and which tests ran each line of `ihp_ref` (file → line → ids)."""

    timeouts: dict[str, float]
    cost: dict[str, float]
    durations: dict[str, float] = field(default_factory=dict)
    lines: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    bodies: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def _in_function(self, mutant: Mutant) -> bool:
        return any(lo <= mutant.line and mutant.end_line <= hi
                   for lo, hi in self.bodies.get(mutant.file, ()))

    def _contexts(self, mutant: Mutant) -> set[str]:
        covered = self.lines.get(mutant.file, {})
        return {c for n in range(mutant.line, mutant.end_line + 1) for c in covered.get(n, ())}

    def tests_for(self, mutant: Mutant) -> list[str] | None:
        """The tests that ran the mutant's lines, or None (all tests) when the mutant is
        outside every function body (run at import, before any test) or no test ran its
        lines in process (a test may run them in a subprocess: `ihp-ref-shim`'s main)."""
        if not self._in_function(mutant):
            return None
        tests = sorted(c for c in self._contexts(mutant) if c and not c.startswith(KILLER))
        return tests or None  # no test ran it in process (a subprocess may): every test

    def reaches(self, killer: str, mutant: Mutant) -> bool:
        """Whether the in-process killer `killer` (vectors, vectors-check) ran the mutant's
        lines in the baseline. When it did not, the mutant cannot change what it does (the
        killers are deterministic: the run is the baseline's up to the first mutated line
        run), so it is not asked. Code run at import, and a baseline made before killers
        were measured, count as reached."""
        if not self._in_function(mutant) or not self._killers_measured:
            return True
        return KILLER + killer in self._contexts(mutant)

    @functools.cached_property
    def _killers_measured(self) -> bool:
        """Whether the baseline recorded the killers' contexts (asked once per plan)."""
        return any(c.startswith(KILLER) for lines in self.lines.values()
                   for contexts in lines.values() for c in contexts)


def function_bodies(path: Path) -> list[tuple[int, int]]:
    """(first line, last line) of every function body in `path`."""
    spans = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            spans.append((node.body[0].lineno, node.end_lineno or node.body[-1].lineno))
        elif isinstance(node, ast.Lambda):
            spans.append((node.body.lineno, node.body.end_lineno or node.body.lineno))
    return spans


def test_modules(root: Path, module: str, cost: dict[str, float]) -> list[str]:
    """The test killer's modules: those aimed at `module` first, then the rest, cheapest
    first (`cost`: seconds per module, measured by the baseline run)."""
    modules = [p.relative_to(root).as_posix() for p in (root / "tests").glob("test_ref_*.py")]
    modules += [m for m in EXTRA_TEST_MODULES if (root / m).exists()]
    own = f"tests/test_ref{module}.py"
    first = [m for m in (own, *TARGETED.get(module, ())) if m in modules]
    rest = sorted((m for m in modules if m not in first), key=lambda m: (cost.get(m, 0.0), m))
    return list(dict.fromkeys(first)) + rest


PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly",
               "--hypothesis-seed=0", "-o", "addopts=")


def stages(root: Path, mutant: Mutant | None, plan: Plan,
           junit: Path | None = None) -> list[dict[str, object]]:
    """The killers for `mutant` (None: the baseline, every test), cheapest first, as the
    worker runs them. The test killer runs only the tests that ran the mutated lines in
    the baseline (its own module's first, then the cheapest)."""
    report = [] if junit is None else [f"--junitxml={junit}"]
    modules = test_modules(root, "" if mutant is None else mutant.module, plan.cost)
    select = None if mutant is None else plan.tests_for(mutant)
    tests: dict[str, object] = {"name": "tests", "timeout": plan.timeouts["tests"]}
    if select is None:
        tests["args"] = [*PYTEST_ARGS, *report, *modules]
    else:
        rank = {m: n for n, m in enumerate(modules)}
        select.sort(key=lambda t: (rank.get(t.split("::")[0], len(rank)),
                                   plan.durations.get(t, 0.0)))
        chosen = list(dict.fromkeys(t.split("::")[0] for t in select))
        tests.update(args=[*PYTEST_ARGS, *report, *chosen], select=select)
    return [stage for stage in (
        {"name": "vectors", "timeout": plan.timeouts["vectors"]}, tests,
        {"name": "vectors-check", "timeout": plan.timeouts["vectors-check"]})
        if mutant is None or stage["name"] == "tests" or plan.reaches(str(stage["name"]), mutant)]


class Worker:
    """A warm `tools/mutate_worker.py` in its own work copy of the checkout."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.workdir = make_workdir(root, workdir.resolve())
        env = dict(os.environ, PYTHONPATH=str(self.workdir), PYTHONDONTWRITEBYTECODE="1",
                   PYTHONHASHSEED="0")
        self.process = subprocess.Popen(
            [sys.executable, str(self.workdir / "tools" / "mutate_worker.py")],
            cwd=self.workdir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)

    def ask(self, request: dict[str, object]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("mutate: a worker died")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def warm(self, modules: list[str]) -> None:
        answer = self.ask({"warm": modules})
        if answer["leaked"]:
            raise SystemExit(f"mutate: warming imported project modules: {answer['leaked']}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class Outcome:
    id: str
    file: str
    operator: str
    line: int
    status: str  # killed | survived | equivalent
    killer: str | None  # vectors | tests | vectors-check (+ ":timeout")
    seconds: float
    diff: str
    reason: str | None = None
    reached: bool = True  # the vectors ran the mutated lines (else they cannot kill it)
    scope: str = "<module>"


def make_workdir(root: Path, workdir: Path) -> Path:
    if workdir.exists():
        shutil.rmtree(workdir)
    shutil.copytree(root, workdir, ignore=COPY_IGNORE, symlinks=True)
    return workdir


def evaluate(mutant: Mutant, worker: Worker, plan: Plan) -> Outcome:
    """Apply `mutant` in the worker's copy, run the killers in order, restore the file."""
    target = worker.workdir / mutant.file
    source = target.read_text(encoding="utf-8")
    diff = mutant.diff(source)
    shutil.rmtree(worker.workdir / ".hypothesis", ignore_errors=True)  # no other mutant's examples
    t0 = time.monotonic()
    target.write_text(mutant.apply(source), encoding="utf-8")
    request = stages(worker.workdir, mutant, plan)
    reached = any(stage["name"] == "vectors" for stage in request)  # see `stages`
    try:
        answer = worker.ask({"stages": request})
    finally:
        target.write_text(source, encoding="utf-8")
    seconds = round(time.monotonic() - t0, 2)
    if answer["failed"] is None:
        return Outcome(mutant.id, mutant.file, mutant.operator, mutant.line, "survived", None,
                       seconds, diff, None, reached, mutant.scope)
    killer = str(request[answer["failed"]]["name"]) + (":timeout" if answer["timeout"] else "")
    return Outcome(mutant.id, mutant.file, mutant.operator, mutant.line, "killed", killer,
                   seconds, diff, None, reached, mutant.scope)


def module_cost(junit: Path) -> dict[str, float]:
    """Seconds per test module, from a JUnit XML report."""
    cost: dict[str, float] = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        module = "/".join(case.get("classname", "").split(".")[:2]) + ".py"
        cost[module] = cost.get(module, 0.0) + float(case.get("time", "0") or 0)
    return cost


def _plan_from(saved: dict[str, Any]) -> Plan:
    """A `Plan` from its JSON form (line numbers are strings there, spans lists)."""
    return Plan(saved["timeouts"], saved["cost"], saved["durations"],
                {f: {int(n): t for n, t in lines.items()} for f, lines in saved["lines"].items()},
                {f: [(lo, hi) for lo, hi in spans] for f, spans in saved["bodies"].items()})


def baseline(worker: Worker) -> tuple[Plan, list[str]]:
    """Every killer passes on the unmutated code; its time sets its timeout (5x, at least
    30 s); the test modules' times set their order; coverage says which tests run each
    line. Also: the modules the killers import (the workers import them once)."""
    junit = worker.workdir / "baseline-junit.xml"
    modules_out = worker.workdir / "baseline-modules.json"
    coverage_out = worker.workdir / "baseline-coverage.json"
    plan = Plan(dict.fromkeys(KILLERS, 1800.0), {})
    request = stages(worker.workdir, None, plan, junit)
    answer = worker.ask({"stages": request, "modules_out": str(modules_out),
                         "coverage_out": str(coverage_out)})
    if answer["failed"] is not None:
        name = request[answer["failed"]]["name"]
        raise SystemExit(f"mutate: killer {name!r} fails on the unmutated code; fix that first")
    for stage in answer["stages"]:
        name = str(request[stage["end"]]["name"])
        # coverage slows the baseline down: its time is a generous bound for a mutant's
        plan.timeouts[name] = round(max(30.0, 3 * stage["seconds"]), 1)
        print(f"mutate: baseline {name}: {stage['seconds']:.1f} s", file=sys.stderr)
    plan.cost.update(module_cost(junit))
    covered = json.loads(coverage_out.read_text(encoding="utf-8"))
    plan.durations.update(covered["durations"])
    for file, lines in covered["lines"].items():
        plan.lines[file] = {int(n): tests for n, tests in lines.items()}
        plan.bodies[file] = function_bodies(worker.workdir / file)
    modules: list[str] = json.loads(modules_out.read_text(encoding="utf-8"))
    for path in (junit, modules_out, coverage_out):
        path.unlink()
    return plan, modules


# ---------------------------------------------------------------- the report


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def _killed_by_vectors(o: Outcome) -> bool:
    killer = o.killer or ""  # "vectors" or "vectors:timeout", not "vectors-check"
    return o.status == "killed" and killer.split(":")[0] == "vectors"


def summarize(outcomes: Sequence[Outcome]) -> dict[str, object]:
    files: dict[str, dict[str, object]] = {}
    for file in sorted({o.file for o in outcomes}):
        group = [o for o in outcomes if o.file == file]
        counted = [o for o in group if o.status != "equivalent"]
        killed = [o for o in counted if o.status == "killed"]
        by_vectors = [o for o in killed if _killed_by_vectors(o)]
        reached = [o for o in counted if o.reached]
        files[file] = {"mutants": len(group), "equivalent": len(group) - len(counted),
                       "killed": len(killed), "killed_by_vectors": len(by_vectors),
                       "survived": len(counted) - len(killed),
                       "score": _pct(len(killed), len(counted)),
                       "vectors_score": _pct(len(by_vectors), len(counted)),
                       "reached_by_vectors": len(reached),
                       "vectors_score_reached": _pct(len(by_vectors), len(reached))}
    counted_all = [o for o in outcomes if o.status != "equivalent"]
    killed_all = sum(o.status == "killed" for o in counted_all)
    shim = [o for o in counted_all if Path(o.file).stem in SHIM_FILES]
    return {"mutants": len(outcomes), "non_equivalent": len(counted_all), "killed": killed_all,
            "score": _pct(killed_all, len(counted_all)),
            "vectors_score": _pct(sum(map(_killed_by_vectors, counted_all)), len(counted_all)),
            "shim_files_vectors_score": _pct(sum(map(_killed_by_vectors, shim)), len(shim)),
            "files": files}


def write_report(out: Path, outcomes: Sequence[Outcome], summary: dict[str, object],
                 meta: dict[str, object]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "summary": summary,
            "mutants": [asdict(o) for o in sorted(outcomes, key=lambda o: o.id)]}
    (out / "report.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    lines = ["# Mutation testing of ihp_ref", "",
             f"{summary['mutants']} mutants ({meta['scope']}), {summary['non_equivalent']} "
             f"non-equivalent: vectors + tests kill **{summary['score']} %**, "
             f"vectors alone **{summary['vectors_score']} %**, and "
             f"**{summary['shim_files_vectors_score']} %** in the files a shim operation reaches "
             f"({', '.join(SHIM_FILES)}).", "",
             "The last two columns: the non-equivalent mutants on lines some vector runs, and "
             "the vectors-alone score among them (a mutant no vector runs, the vectors cannot "
             "kill: those are listed by function below).", "",
             "| file | mutants | equivalent | killed | survived | score % | vectors alone % "
             "| vectors run | vectors alone, of those % |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    files = summary["files"]
    assert isinstance(files, dict)
    for file, f in files.items():
        cells = [f"`{file}`", *(f[k] for k in ("mutants", "equivalent", "killed", "survived",
                 "score", "vectors_score", "reached_by_vectors", "vectors_score_reached"))]
        lines.append("| " + " | ".join("–" if c is None else str(c) for c in cells) + " |")
    unreached = Counter(f"{o.file}::{o.scope}" for o in outcomes
                        if o.status != "equivalent" and not o.reached)
    lines += ["", f"## Code no vector runs ({sum(unreached.values())} mutants)", "",
              "| function | mutants |", "| --- | --- |"]
    lines += [f"| `{where}` | {n} |" for where, n in sorted(unreached.items())]
    survivors = [o for o in outcomes if o.status == "survived"]
    lines += ["", f"## Survivors ({len(survivors)})", ""]
    for o in sorted(survivors, key=lambda o: o.id):
        lines += [f"### `{o.id}`", "", "```diff", o.diff.rstrip("\n"), "```", ""]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/mutate.py", description=__doc__.split("\n")[0])
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--sample", type=int, default=40, help="mutants to run (default 40)")
    scope.add_argument("--all", action="store_true", help="the whole population")
    scope.add_argument("--only", nargs="+", metavar="ID", help="these mutant ids")
    parser.add_argument("--files", nargs="+", default=(), help="only these ihp_ref modules")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("-j", "--jobs", type=int, choices=(1, 2), default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "mutate")
    parser.add_argument("--min-score", type=float, default=90.0,
                        help="fail below this vectors + tests score (%%)")
    parser.add_argument("--min-vectors-score", type=float, metavar="PCT",
                        help="also fail when the vectors alone kill less than this share "
                        f"(%%) of the mutants of {', '.join(SHIM_FILES)} together")
    parser.add_argument("--first", nargs="+", default=(), metavar="ID",
                        help="run these mutants of the scope before the others")
    parser.add_argument("--baseline", type=Path, metavar="JSON",
                        help="reuse the baseline an earlier run wrote (same tree only)")
    parser.add_argument("--list", action="store_true", help="print the population and exit")
    args = parser.parse_args(argv)

    everyone = population(ROOT, args.files)
    if args.list:
        for m in everyone:
            print(f"{m.id}  line {m.line}")
        return 0
    equivalent = load_equivalent()
    known = {m.id for m in everyone}
    for stale in sorted(set(equivalent) - known):
        print(f"mutate: warning: equivalent entry matches no mutant: {stale}", file=sys.stderr)
    if args.only:
        chosen = [m for m in everyone if m.id in set(args.only)]
    elif args.all:
        chosen = everyone
    else:
        chosen = sample(everyone, args.sample, args.seed)
    scope_text = "whole population" if args.all else f"{len(chosen)} of {len(everyone)}"
    print(f"mutate: {scope_text}, -j {args.jobs}", file=sys.stderr)

    workers = [Worker(ROOT, args.out / f"work-{k}") for k in range(args.jobs)]
    if args.baseline:
        saved = json.loads(args.baseline.read_text(encoding="utf-8"))
        plan, modules = _plan_from(saved["plan"]), saved["modules"]
    else:
        plan, modules = baseline(workers[0])
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "baseline.json").write_text(json.dumps(
            {"plan": asdict(plan), "modules": modules}), encoding="utf-8")
    for worker in workers:
        worker.warm(modules)
    outcomes: list[Outcome] = []
    for m in chosen:
        if m.id in equivalent:
            source = (ROOT / m.file).read_text(encoding="utf-8")
            outcomes.append(Outcome(m.id, m.file, m.operator, m.line, "equivalent", None, 0.0,
                                    m.diff(source), equivalent[m.id], plan.reaches("vectors", m),
                                    m.scope))
    todo = [m for m in chosen if m.id not in equivalent]
    # a seeded shuffle: a run stopped early (the report is written after every mutant) has
    # done a uniform random sample of its scope, so its scores are fair estimates
    random.Random(args.seed).shuffle(todo)
    todo.sort(key=lambda m: m.id not in set(args.first))  # stable: the rest stay shuffled
    t0 = time.monotonic()
    lock = threading.Lock()

    def meta() -> dict[str, object]:
        return {"scope": scope_text, "seed": args.seed, "jobs": args.jobs,
                "done": len(outcomes), "of": len(chosen),
                "seconds": round(time.monotonic() - t0, 1), "timeouts": plan.timeouts}

    def work(k: int) -> None:
        mine = todo[k :: args.jobs]
        for n, mutant in enumerate(mine, 1):
            outcome = evaluate(mutant, workers[k], plan)
            with lock:  # the report is current after every mutant (a long run can be read)
                outcomes.append(outcome)
                write_report(args.out, outcomes, summarize(outcomes), meta())
            print(f"mutate: [{k}] {n}/{len(mine)} {outcome.status:8} "
                  f"{outcome.killer or '-':14} {outcome.id}", file=sys.stderr, flush=True)

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(work, range(args.jobs)))
    for worker in workers:
        worker.close()
    summary = summarize(outcomes)
    write_report(args.out, outcomes, summary, meta())
    print(f"mutate: score {summary['score']} %, vectors alone {summary['vectors_score']} %; "
          f"report in {args.out}/report.md", file=sys.stderr)
    score = summary["score"]
    failed = isinstance(score, float) and score < args.min_score
    if failed:
        print(f"mutate: below the threshold of {args.min_score} %", file=sys.stderr)
    shim = summary["shim_files_vectors_score"]
    if args.min_vectors_score is not None and isinstance(shim, float) and \
            shim < args.min_vectors_score:
        print(f"mutate: the vectors alone kill {shim} % in the files a shim reaches, under "
              f"{args.min_vectors_score} %", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
