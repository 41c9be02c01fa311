"""tools/mutate.py, the mutation driver (issue 13): its mutants, ids, sample, equivalent
list, scores and the worker's kill and timeout rules. Small and fast: no mutant is run."""

from __future__ import annotations

import ast
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


mutate = _load("mutate")
worker = _load("mutate_worker")


@pytest.fixture(scope="module")
def everyone() -> list[object]:
    """The population of ihp_ref (made once: it parses every file)."""
    return list(mutate.population(ROOT))

SOURCE = '''"""A docstring is never mutated."""

__all__ = ["check"]


def check(value: int, limit: int = 3) -> int:
    """Nor is this one."""
    if value < 0 or value > limit:  # § a non-ASCII comment before the offsets
        raise ValueError("a message for humans")
    return pick(value, limit) + 1
'''


@pytest.fixture
def sample_file(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    path = tmp_path / "pkg" / "m.py"
    path.write_text(SOURCE, encoding="utf-8")
    return path


def _by_operator(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for m in mutate.mutants_of(path, path.parents[1]):
        found.setdefault(m.operator, []).append(m.apply(SOURCE))
    return found


def test_each_operator_makes_the_single_point_change_it_names(sample_file: Path) -> None:
    found = _by_operator(sample_file)
    assert "    if (value <= 0) or value > limit:" in "".join(found["cmp"])
    assert "    if value < 0 or (value >= limit):" in "".join(found["cmp"])
    assert "    return pick(limit, value) + 1" in found["args"][0]
    assert "    if False:" in found["guard"][0]
    assert "        pass\n" in found["raise"][0]
    assert "    return None\n" in found["return"][0]
    assert "    if (value < 0 and value > limit):" in found["boolop"][0]
    assert "(pick(value, limit) - 1)" in found["arith"][0]
    assert {"limit: int = 4", "limit: int = 2"} <= {
        line.strip()[len("def check(value: int, "):-len(") -> int:")]
        for text in found["const+1"] + found["const-1"]
        for line in text.splitlines() if line.startswith("def check")}


def test_docstrings_all_and_messages_are_never_mutated(sample_file: Path) -> None:
    for m in mutate.mutants_of(sample_file, sample_file.parents[1]):
        assert "docstring" not in m.original and "Nor is this" not in m.original
        assert m.operator != "str" or "humans" not in m.original
        assert m.line not in (1, 3)


def test_every_mutant_parses_and_differs_and_ids_are_unique(sample_file: Path) -> None:
    mutants = mutate.mutants_of(sample_file, sample_file.parents[1])
    assert len({m.id for m in mutants}) == len(mutants) > 10
    original = ast.dump(ast.parse(SOURCE))
    for m in mutants:
        assert ast.dump(ast.parse(m.apply(SOURCE))) != original
        assert m.id.startswith(f"pkg/m.py::{'check' if m.line > 4 else '<module>'}:{m.operator}:")
        assert m.diff(SOURCE).startswith("--- a/pkg/m.py\n+++ b/pkg/m.py\n")


def test_ids_do_not_move_when_other_code_moves_and_repeats_are_numbered(
        sample_file: Path) -> None:
    before = [m.id for m in mutate.mutants_of(sample_file, sample_file.parents[1])]
    sample_file.write_text('X = 1 + 2  # a new line above\n\n' + SOURCE, encoding="utf-8")
    after = [m.id for m in mutate.mutants_of(sample_file, sample_file.parents[1])]
    assert set(before) < set(after)  # the old ids all stay, lines moved or not
    sample_file.write_text("def f(a, b):\n    return g(a, b) + g(a, b)\n", encoding="utf-8")
    swaps = [m.id for m in mutate.mutants_of(sample_file, sample_file.parents[1])
             if m.operator == "args"]
    assert len(swaps) == 2 and swaps[1] == swaps[0] + "~2"


def test_offsets_are_utf8_bytes_so_text_after_non_ascii_is_cut_right(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text('x = ("é§", 7)\n', encoding="utf-8")
    texts = {m.apply(path.read_text(encoding="utf-8")) for m in mutate.mutants_of(path, tmp_path)}
    assert 'x = ("é§", 8)\n' in texts and 'x = ("é§", 6)\n' in texts


def test_the_population_of_ihp_ref_is_stable_and_every_mutant_parses(
        everyone: list[object]) -> None:
    first: list = everyone  # type: ignore[type-arg]
    again = mutate.population(ROOT, ["_replay"])
    assert [m.id for m in first if m.file == "ihp_ref/_replay.py"] == [m.id for m in again]
    assert {Path(m.file).stem for m in first} >= {"_capsule", "_wire", "_replay", "shim"}
    sources = {f: (ROOT / f).read_text(encoding="utf-8") for f in {m.file for m in first}}
    for m in first[::60]:
        ast.parse(m.apply(sources[m.file]))


def test_the_sample_is_seeded_and_represents_every_file(everyone: list[object]) -> None:
    one, two = mutate.sample(everyone, 40, 13), mutate.sample(everyone, 40, 13)
    assert [m.id for m in one] == [m.id for m in two]
    assert {m.file for m in one} == {m.file for m in everyone}
    assert [m.id for m in mutate.sample(everyone, 40, 14)] != [m.id for m in one]


def test_equivalent_entries_need_a_reason_and_match_current_mutants(
        tmp_path: Path, everyone: list[object]) -> None:
    bad = tmp_path / "eq.txt"
    bad.write_text("# comment\nihp_ref/x.py::f:cmp:abcdef12\n", encoding="utf-8")
    with pytest.raises(ValueError, match="reason"):
        mutate.load_equivalent(bad)
    listed = mutate.load_equivalent()
    assert set(listed) <= {m.id for m in everyone}, "stale entries"  # type: ignore[attr-defined]
    assert all(len(reason) > 10 for reason in listed.values())


def _outcome(file: str, status: str, killer: str | None, reached: bool = True) -> object:
    return mutate.Outcome(f"{file}:{status}:{killer}", file, "cmp", 1, status, killer, 0.0, "",
                          None, reached)


def test_scores_leave_equivalent_mutants_out_and_credit_vectors_only_for_their_kills() -> None:
    outcomes = [_outcome("a.py", "killed", "vectors"), _outcome("a.py", "killed", "tests"),
                _outcome("a.py", "killed", "vectors-check", reached=False),
                _outcome("a.py", "survived", None), _outcome("a.py", "equivalent", None, False),
                _outcome("b.py", "killed", "vectors:timeout")]
    summary = mutate.summarize(outcomes)
    assert summary["files"]["a.py"] == {
        "mutants": 5, "equivalent": 1, "killed": 3, "killed_by_vectors": 1, "survived": 1,
        "score": 75.0, "vectors_score": 25.0, "reached_by_vectors": 3,
        "vectors_score_reached": 33.3}
    assert summary["files"]["b.py"]["vectors_score"] == 100.0
    assert (summary["non_equivalent"], summary["killed"], summary["score"]) == (5, 4, 80.0)


def test_the_vectors_score_of_the_files_a_shim_reaches_counts_them_together() -> None:
    outcomes = [_outcome("ihp_ref/_wire.py", "killed", "tests"),
                _outcome("ihp_ref/_wire.py", "killed", "vectors"),
                _outcome("ihp_ref/_rtt.py", "killed", "vectors"),
                _outcome("ihp_ref/_rtt.py", "equivalent", None),
                _outcome("ihp_ref/_metrics.py", "killed", "tests")]
    summary = mutate.summarize(outcomes)
    assert summary["shim_files_vectors_score"] == 66.7  # 2 of 3: _metrics is not one of them
    assert summary["vectors_score"] == 50.0


def test_tests_are_chosen_by_the_lines_they_ran_and_import_time_code_runs_them_all() -> None:
    plan = mutate.Plan({}, {}, lines={"f.py": {5: ["t::a"], 6: ["t::b", ""]}},
                       bodies={"f.py": [(4, 8)]})

    def mutant(line: int, end: int) -> object:
        return mutate.Mutant("f.py", line, 0, end, 1, "cmp", "a", "b")
    assert plan.tests_for(mutant(5, 6)) == ["t::a", "t::b"]
    assert plan.tests_for(mutant(7, 7)) is None  # none ran it in process: every test
    assert plan.tests_for(mutant(2, 2)) is None  # outside any function: every test


def test_a_killer_that_never_ran_the_mutated_lines_is_not_asked() -> None:
    def mutant(line: int) -> object:
        return mutate.Mutant("f.py", line, 0, line, 1, "cmp", "a", "b")
    plan = mutate.Plan(dict.fromkeys(mutate.KILLERS, 30.0), {},
                       lines={"f.py": {5: ["t::a", "killer:vectors"], 6: ["t::b"]}},
                       bodies={"f.py": [(4, 8)]})
    names = lambda m: [s["name"] for s in mutate.stages(ROOT, m, plan)]  # noqa: E731
    assert plan.reaches("vectors", mutant(5)) and not plan.reaches("vectors", mutant(6))
    assert names(mutant(5)) == ["vectors", "tests"]  # vectors-check never ran line 5
    assert names(mutant(6)) == ["tests"]
    assert plan.tests_for(mutant(5)) == ["t::a"]  # a killer's context is not a test
    assert names(mutant(2)) == list(mutate.KILLERS)  # import-time code: every killer
    assert names(None) == list(mutate.KILLERS)  # the baseline runs them all
    unmeasured = mutate.Plan(plan.timeouts, {}, lines={"f.py": {6: ["t::b"]}},
                             bodies={"f.py": [(4, 8)]})
    assert unmeasured.reaches("vectors", mutant(6))  # a baseline without killer contexts


def test_the_worker_reports_the_first_failing_killer_and_a_timeout_as_a_kill(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(name: str, args: list[str], select: object = None, cov: object = None) -> bool:
        if name == "hang":
            time.sleep(30)
        return name == "pass"
    monkeypatch.setattr(worker, "run_stage", fake)
    stage = lambda name, timeout=5.0: {"name": name, "timeout": timeout}  # noqa: E731
    assert worker.run({"stages": [stage("pass"), stage("pass")]})["failed"] is None
    failed = worker.run({"stages": [stage("pass"), stage("fail"), stage("pass")]})
    assert (failed["failed"], failed["timeout"], len(failed["stages"])) == (1, False, 2)
    t0 = time.monotonic()
    hung = worker.run({"stages": [stage("pass"), stage("hang", 1.0)]})
    assert (hung["failed"], hung["timeout"]) == (1, True)
    assert time.monotonic() - t0 < 20


def test_a_saved_baseline_reads_back_as_the_same_plan() -> None:
    import json
    from dataclasses import asdict
    plan = mutate.Plan({"tests": 30.0}, {"tests/t.py": 1.5}, {"t::a": 0.1},
                       {"f.py": {5: ["t::a"]}}, {"f.py": [(4, 8)]})
    assert mutate._plan_from(json.loads(json.dumps(asdict(plan)))) == plan
