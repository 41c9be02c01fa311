"""Running one harness under libFuzzer and reading what it prints.

Harnesses are executed directly (`fuzz/<name>.py`, shebang + run bit): libFuzzer's `-fork`,
`-merge` and `-minimize_crash` re-execute `argv[0]`, which must therefore be the script.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ihp_fuzz.harnesses import Harness

__all__ = [
    "ARTIFACT_PREFIXES",
    "RunStats",
    "Status",
    "harness_env",
    "libfuzzer_argv",
    "parse_line",
    "run_libfuzzer",
]

ARTIFACT_PREFIXES = ("crash-", "timeout-", "oom-", "leak-", "slow-unit-")

# `#4096 pulse cov: 312 ft: 901 corp: 41/2Kb lim: 4096 exec/s: 2048 rss: 60Mb`
_STATUS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+"
                     r"(?:.*?exec/s: (\d+))?(?:.*?rss: (\d+)Mb)?")
# fork mode: `#8051: cov: 310 ft: 880 corp: 40 exec/s 1600 oom/timeout/crash: 0/0/1 time: 9s`
_FORK_STATUS = re.compile(r"^#(\d+): cov: (\d+) ft: (\d+) corp: (\d+) exec/s (\d+)"
                          r" oom/timeout/crash: (\d+)/(\d+)/(\d+) time: (\d+)s")
_FINAL = re.compile(r"^stat::(\w+):\s+(\d+)")


@dataclass(slots=True)
class Status:
    executions: int = 0
    coverage: int = 0
    features: int = 0
    corpus_units: int = 0
    exec_per_sec: int = 0
    crashes: int = 0
    seconds: int = 0  # fork mode only: time since the start


@dataclass(slots=True)
class RunStats:
    """What one libFuzzer run reported."""

    returncode: int = 0
    seconds: float = 0.0
    executions: int = 0
    exec_per_sec: float = 0.0  # executions over the whole run (restarts included)
    job_exec_per_sec: float = 0.0  # inside one fuzzing loop: what baselines measure
    coverage_start: int | None = None
    coverage_end: int = 0
    corpus_units: int = 0
    new_units: int = 0
    peak_rss_mb: int = 0
    crashes_reported: int = 0
    final: dict[str, int] = field(default_factory=dict)

    def absorb(self, status: Status) -> None:
        if self.coverage_start is None:
            self.coverage_start = status.coverage
        self.executions = max(self.executions, status.executions)
        self.coverage_end = status.coverage
        self.corpus_units = status.corpus_units
        self.crashes_reported = max(self.crashes_reported, status.crashes)
        if status.seconds:  # fork mode: the line has the last job's rate and the time
            self.exec_per_sec = status.executions / status.seconds
            self.job_exec_per_sec = float(status.exec_per_sec)
        elif status.exec_per_sec:
            self.exec_per_sec = self.job_exec_per_sec = float(status.exec_per_sec)


def parse_line(line: str) -> Status | tuple[str, int] | None:
    """A status line (plain or fork mode), a final `stat::` pair, or None."""
    if match := _STATUS.match(line):
        execs, _kind, cov, ft, corp, eps, _rss = match.groups()
        return Status(int(execs), int(cov), int(ft), int(corp), int(eps or 0))
    if match := _FORK_STATUS.match(line):
        execs, cov, ft, corp, eps, _oom, _timeout, crash, secs = match.groups()
        return Status(int(execs), int(cov), int(ft), int(corp), int(eps), int(crash),
                      int(secs))
    if match := _FINAL.match(line):
        return match.group(1), int(match.group(2))
    return None


def harness_env(pythonpath: Sequence[Path] = ()) -> dict[str, str]:
    """The environment of a harness process: this interpreter first on PATH (the shebang's
    `env python3` must find the interpreter that has atheris), `pythonpath` first on
    PYTHONPATH (to fuzz a copy or another build of the reference)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if pythonpath:
        paths = [str(p.resolve()) for p in pythonpath]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def libfuzzer_argv(harness: Harness, root: Path, *, corpus_dirs: Sequence[Path] = (),
                   seconds: int | None = None, runs: int | None = None, jobs: int = 0,
                   artifact_dir: Path | None = None, extra: Sequence[str] = ()) -> list[str]:
    """The harness command line with the flags of issue 5 §2."""
    argv = [str(harness.script(root))]
    argv += [f"-{name}={value}" for name, value in harness.libfuzzer_options().items()]
    if harness.dictionary(root).is_file():
        argv.append(f"-dict={harness.dictionary(root)}")
    if seconds is not None:
        argv.append(f"-max_total_time={seconds}")
    if runs is not None:
        argv.append(f"-runs={runs}")
    if jobs:
        # fork mode keeps going after a crash, so one campaign collects every finding
        argv += [f"-fork={jobs}", "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1"]
    if artifact_dir is not None:
        argv.append(f"-artifact_prefix={artifact_dir}{os.sep}")
    argv += ["-print_final_stats=1", *extra]
    return argv + [str(d) for d in corpus_dirs]


def run_libfuzzer(argv: Sequence[str], env: dict[str, str], log_path: Path,
                  on_status: Callable[[Status], None] | None = None,
                  wall_limit: float | None = None) -> RunStats:
    """Run `argv`, tee its output to `log_path`, feed status lines to `on_status`."""
    stats = RunStats()
    started = time.monotonic()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8", errors="replace") as log, subprocess.Popen(
            list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            text=True, errors="replace", bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            parsed = parse_line(line)
            if isinstance(parsed, Status):
                stats.absorb(parsed)
                if on_status is not None:
                    on_status(parsed)
            elif parsed is not None:
                stats.final[parsed[0]] = parsed[1]
            if wall_limit is not None and time.monotonic() - started > wall_limit:
                proc.kill()
        stats.returncode = proc.wait()
    stats.seconds = time.monotonic() - started
    _apply_final(stats)
    return stats


def _apply_final(stats: RunStats) -> None:
    final = stats.final
    if "number_of_executed_units" in final:
        stats.executions = max(stats.executions, final["number_of_executed_units"])
    if final.get("average_exec_per_sec"):
        stats.exec_per_sec = float(final["average_exec_per_sec"])
    elif stats.executions and stats.seconds and not stats.exec_per_sec:
        stats.exec_per_sec = stats.executions / stats.seconds
    stats.job_exec_per_sec = stats.job_exec_per_sec or stats.exec_per_sec
    stats.new_units = final.get("new_units_added", stats.new_units)
    stats.peak_rss_mb = final.get("peak_rss_mb", stats.peak_rss_mb)
