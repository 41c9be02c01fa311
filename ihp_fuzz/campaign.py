"""One campaign: fuzz each harness for its share of the budget, then de-duplicate and
minimise the findings, merge the corpus safely, check exec/s against the baselines.

Layout of `--out`: `corpus/<h>/` (working corpus, kept between nights), `artifacts/<h>/`
(raw libFuzzer artifacts), `findings/<h>/<signature>/` (input, minimised input,
traceback), `logs/<h>.log`, `summary.json`, `summary.md`. A harness that records its
findings by cause (`differential`) writes them to `differences/<h>/` while it runs; they
become `findings/<h>/<cause>/` (reproducer.bin, case.json), one per cause.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from conformance.expectations import Expectations
from ihp_fuzz import baselines, corpus, crashes, differences, regressions
from ihp_fuzz.harness.recorder import FINDINGS_ENV
from ihp_fuzz.harnesses import Harness
from ihp_fuzz.libfuzzer import ARTIFACT_PREFIXES, harness_env, libfuzzer_argv, run_libfuzzer
from ihp_fuzz.progress import Progress
from ihp_fuzz.summary import CampaignReport, FindingReport, HarnessReport, write_summary

__all__ = ["EXIT_CLEAN", "EXIT_INFRA", "EXIT_KNOWN_OR_SLOW", "EXIT_NEW_FINDING",
           "CampaignOptions", "run_campaign"]

EXIT_CLEAN = 0
EXIT_NEW_FINDING = 1
EXIT_INFRA = 3
EXIT_KNOWN_OR_SLOW = 4
_MAX_REPRODUCTIONS = 40  # per harness and campaign: artifacts beyond are kept, not replayed
_FUZZ_SHARE = 0.85  # of each harness's slot; the rest is for merge and minimisation


@dataclass(frozen=True, slots=True)
class CampaignOptions:
    harnesses: Sequence[Harness]
    root: Path
    out: Path
    budget_seconds: int
    jobs: int = 1
    pythonpath: Sequence[Path] = ()
    minimize: bool = True
    update_seeds: bool = False
    extra_flags: Sequence[str] = ()
    expectations: Expectations | None = None  # divergences the implementation knows of


def run_campaign(options: CampaignOptions, progress: Progress) -> CampaignReport:
    target = ", ".join(str(p) for p in options.pythonpath) or "ihp_ref"
    if shim := os.environ.get("IHP_FUZZ_SHIM", "").strip():
        target += f"; differential's shim: {shim}"
    report = CampaignReport(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            options.budget_seconds, options.jobs, target)
    env = harness_env(options.pythonpath)
    known = regressions.known_signatures(options.root)
    known_baselines = baselines.load_baselines(options.root)
    share = max(1, int(options.budget_seconds / len(options.harnesses)))
    for harness in options.harnesses:
        seconds = max(1, int(share * _FUZZ_SHARE))
        result = _fuzz_one(harness, options, _recording_env(harness, options, env, ""), seconds,
                           progress)
        _collect_findings(harness, options, env, result, known, progress)
        if harness.records_causes:
            _collect_causes(harness, options, result, progress)
        _merge(harness, options, _recording_env(harness, options, env, ".merge"), result)
        result.baseline_exec_per_sec = _baseline(known_baselines, harness)
        # with crashes, fork mode restarts after each one: the rate says nothing then
        # (differences recorded by cause do not stop the fuzzer)
        crashed = any(f.kind != "difference" for f in result.findings)
        result.slow = not crashed and baselines.slowdown(
            result.baseline_exec_per_sec, result.exec_per_sec_per_job)
        report.harnesses.append(result)
    report.exit_status = _exit_status(report)
    write_summary(report, options.out)
    return report


def _baseline(known: dict[str, float], harness: Harness) -> float | None:
    # differential's baseline is against the reference's own shim: another shim (the one
    # under test) has its own speed, so there is nothing to compare with
    if harness.name == "differential" and os.environ.get("IHP_FUZZ_SHIM", "").strip():
        return None
    return known.get(harness.name)


def _fuzz_one(harness: Harness, options: CampaignOptions, env: dict[str, str], seconds: int,
              progress: Progress) -> HarnessReport:
    work = options.out / "corpus" / harness.name
    artifacts = options.out / "artifacts" / harness.name
    work.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    seeds = harness.seeds(options.root)
    # fork mode restarts its one job every few seconds (interpreter, imports and, for
    # differential, the shim): a harness that records its findings instead of crashing
    # keeps one process when it has one core
    jobs = 0 if harness.records_causes and options.jobs == 1 else options.jobs
    argv = libfuzzer_argv(harness, options.root, corpus_dirs=[work, seeds], seconds=seconds,
                          jobs=jobs, artifact_dir=artifacts, extra=options.extra_flags)
    log = options.out / "logs" / f"{harness.name}.log"
    progress.start(harness.name, seconds)
    stats = run_libfuzzer(argv, env, log, on_status=progress, wall_limit=seconds * 2 + 120)
    result = HarnessReport(harness.name, options.jobs, seconds=round(stats.seconds, 1),
                           executions=stats.executions, exec_per_sec=round(stats.exec_per_sec),
                           exec_per_sec_per_job=round(stats.job_exec_per_sec),
                           coverage_start=stats.coverage_start, coverage_end=stats.coverage_end,
                           returncode=stats.returncode, log=str(log))
    if stats.executions == 0 and not _artifacts(artifacts):
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        result.problems.append("harness did not run: " + " | ".join(tail))
    progress.note(f"{harness.name}: {stats.executions} executions, "
                  f"{stats.exec_per_sec:.0f} exec/s, coverage {stats.coverage_end}")
    return result


def _artifacts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.name.startswith(ARTIFACT_PREFIXES))


def _collect_findings(harness: Harness, options: CampaignOptions, env: dict[str, str],
                      result: HarnessReport, known: set[str], progress: Progress) -> None:
    """Replay each new artifact, group by stack signature, minimise one input per group."""
    folder = options.out / "artifacts" / harness.name
    seen = folder / "seen"
    groups: dict[str, tuple[crashes.Signature, list[Path], str]] = {}
    unique = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in _artifacts(folder)}
    for count, path in enumerate(unique.values()):
        if count >= _MAX_REPRODUCTIONS:
            result.problems.append(f"{len(unique) - count} artifacts not replayed (cap)")
            break
        replay = crashes.reproduce(harness, options.root, path, env)
        signature = replay.signature or crashes.Signature.of("flaky", "did not reproduce")
        entry = groups.setdefault(signature.digest, (signature, [], replay.traceback))
        entry[1].append(path)
    seen.mkdir(exist_ok=True)
    for signature, paths, traceback in groups.values():
        result.findings.append(_record(harness, options, env, signature, paths, traceback,
                                       signature.digest not in known, seen))
        progress.note(f"{harness.name}: {'NEW' if result.findings[-1].new else 'known'} "
                      f"finding {signature.digest}: {signature.summary}")
    for path in _artifacts(folder):
        path.replace(seen / path.name)


def _differences_dir(options: CampaignOptions, harness: Harness, suffix: str = "") -> Path:
    return options.out / "differences" / f"{harness.name}{suffix}"


def _recording_env(harness: Harness, options: CampaignOptions, env: dict[str, str],
                   suffix: str) -> dict[str, str]:
    """The environment of a harness that records by cause: a fresh folder for it (last
    night's counts are not tonight's; the merge's replays go to a folder of their own)."""
    if not harness.records_causes:
        return env
    folder = _differences_dir(options, harness, suffix)
    shutil.rmtree(folder, ignore_errors=True)
    return {**env, FINDINGS_ENV: str(folder)}


def _collect_causes(harness: Harness, options: CampaignOptions, result: HarnessReport,
                    progress: Progress) -> None:
    """One finding per recorded cause; open questions counted, never findings."""
    target = options.out / "findings" / harness.name
    causes = differences.collect_causes(_differences_dir(options, harness), target,
                                        options.expectations)
    for cause in causes:
        if cause.is_open_question:
            result.open_questions["+".join(cause.case["open_questions"])] = cause.count
            continue
        summary = f"{cause.name} ({cause.operation}: {cause.kind})" if cause.flags else \
            cause.name
        result.findings.append(FindingReport(
            harness.name, cause.slug, summary, "difference", cause.expected_by is None,
            [str(cause.reproducer)], str(cause.reproducer), str(cause.case_file),
            count=cause.count, flags=list(cause.flags), request=cause.case.get("request"),
            request_bytes=int(cause.case.get("request_bytes", 0)),
            expected_by=cause.expected_by))
        status = "NEW" if cause.expected_by is None else "expected"
        progress.note(f"{harness.name}: {status} {summary}: {cause.count} differences")
    result.unseen_expectations = differences.unseen_expectations(options.expectations, causes)


def _record(harness: Harness, options: CampaignOptions, env: dict[str, str],
            signature: crashes.Signature, paths: list[Path], traceback: str, new: bool,
            seen: Path) -> FindingReport:
    target = options.out / "findings" / harness.name / signature.digest
    target.mkdir(parents=True, exist_ok=True)
    first = target / "input.bin"
    shutil.copyfile(paths[0], first)
    (target / "traceback.txt").write_text(f"{signature.summary}\n\n{traceback}\n",
                                          encoding="utf-8")
    minimized = None
    if options.minimize and signature.kind == "exception":
        small = crashes.minimize(harness, options.root, first, target / "minimized.bin", env)
        minimized = str(small) if small else None
    return FindingReport(harness.name, signature.digest, signature.summary, signature.kind,
                         new, [str(seen / p.name) for p in paths], minimized,
                         str(target / "traceback.txt"))


def _merge(harness: Harness, options: CampaignOptions, env: dict[str, str],
           result: HarnessReport) -> None:
    work = options.out / "corpus" / harness.name
    merged = corpus.safe_merge(harness, options.root, work, [harness.seeds(options.root)], env)
    result.corpus_before, result.corpus_after = merged.units_before, merged.units_after
    result.merge = merged.reason
    if not merged.replaced:
        result.problems.append(merged.reason)
    if options.update_seeds and merged.replaced:
        seeds = corpus.safe_merge(harness, options.root, harness.seeds(options.root), [work],
                                  env)
        result.merge += f"; seeds: {seeds.reason} ({seeds.units_after} units)"


def _exit_status(report: CampaignReport) -> int:
    if report.new_findings:
        return EXIT_NEW_FINDING
    if any(h.problems and h.executions == 0 for h in report.harnesses):
        return EXIT_INFRA
    if report.known_findings or any(h.slow for h in report.harnesses):
        return EXIT_KNOWN_OR_SLOW
    return EXIT_CLEAN
