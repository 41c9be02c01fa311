"""Bounded load test of ihp-server on loopback (issue 6 figures).

Starts `ihp-server` as a subprocess (plain-HTTP test mode with uvicorn, or `--mode https`
with the pyOpenSSL front-end and per-connection exporter binding), then:

1. auth-only phase: valid capsules only → the server's authentication throughput;
2. mixed phase: `--requests` requests at `--concurrency`, ~70% valid and ~30% invalid
   (tampered payload, other profile id, stale timestamp, replay, malformed JSON, wrong
   type); every response is checked against its expected status.

It fails (exit 1) on any 5xx, any dropped request (connection error or timeout), or any
valid capsule not answered 200. It reports requests/s, p50/p99 latency, and the ratio of
the server's auth throughput to the bare in-process derive_session_key + decrypt_capsule
rate. Usage:

    .venv/bin/python benchmarks/bench_server.py [--requests 5000] [--concurrency 32]
                                                [--mode plain|https] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ihp_client import HttpConnection, TlsOptions, build_capsule_for_password, fetch_profile
from ihp_ref import (
    CapsuleTimestamp,
    IhpConfig,
    InMemoryKeyProvider,
    capsule_to_http,
    decrypt_capsule,
    derive_profile_key,
    derive_session_key,
)
from ihp_server import make_throwaway_certificate

MASTER_HEX = secrets.token_hex(32)
EXPORTER_HEX = secrets.token_hex(32)
FINGERPRINTS = {"IHP_CPU_FINGERPRINT": "cpu:bench", "IHP_NIC_FINGERPRINT": "nic:bench",
                "IHP_OS_FINGERPRINT": "os:bench", "IHP_BUILD_FINGERPRINT": "build:bench"}
HEADERS = (("content-type", "application/json"),)


@dataclass(slots=True)
class Request:
    kind: str
    body: bytes
    expected: int


@dataclass(slots=True)
class Outcome:
    kind: str
    expected: int
    status: int  # 0 = dropped
    latency_s: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to cost the server alone."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(mode: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str, TlsOptions]:
    port = free_port()
    argv = [str(Path(sys.executable).parent / "ihp-server"), "--host", "127.0.0.1",
            "--port", str(port), "--server-profile-id", "42", "--master-key-hex", MASTER_HEX,
            "--log-level", "error"]
    tls = TlsOptions()
    if mode == "https":
        cert = make_throwaway_certificate(workdir)
        argv += ["--tls-cert", str(cert.cert), "--tls-key", str(cert.key)]
        tls = TlsOptions(str(cert.ca_cert))
        url = f"https://127.0.0.1:{port}"
    else:
        argv += ["--test-tls-exporter-hex", EXPORTER_HEX]
        url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(argv, env=dict(os.environ, **FINGERPRINTS),
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with HttpConnection(url, tls=tls, timeout=2) as conn:
                if conn.request("GET", "/healthz").status == 200:
                    return process, url, tls
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("ihp-server did not start")


def dump(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class Worker:
    """One connection; builds its capsules for its own exporter before the clock starts."""

    def __init__(self, url: str, tls: TlsOptions, mode: str) -> None:
        self.conn = HttpConnection(url, tls=tls, timeout=30)
        self.exporter = self.conn.exporter_key() if mode == "https" else bytes.fromhex(
            EXPORTER_HEX)
        self.profile = fetch_profile(self.conn)
        self.master = InMemoryKeyProvider(bytes.fromhex(MASTER_HEX))
        self.outcomes: list[Outcome] = []
        self.requests: list[Request] = []

    def valid(self, **kwargs: Any) -> dict[str, Any]:
        assert self.exporter is not None
        built = build_capsule_for_password(self.profile, self.master, self.exporter,
                                           b"benchmark password", rtt_bucket=1, **kwargs)
        return capsule_to_http(built.capsule)

    def make(self, kind: str, replayable: list[bytes]) -> Request:
        if kind == "valid":
            return Request(kind, dump(self.valid()), 200)
        if kind == "tampered":
            form = self.valid()
            form["header_id"] ^= 1
            return Request(kind, dump(form), 401)
        if kind == "other-profile-id":
            return Request(kind, dump(dict(self.valid(), server_profile_id="042")), 401)
        if kind == "stale":
            return Request(kind, dump(self.valid(now=int(time.time()) - 3600)), 401)
        if kind == "replay":
            return Request(kind, random.choice(replayable), 401)
        if kind == "malformed-json":
            return Request(kind, b'{"version": 1, "header_id": ', 400)
        return Request(kind, dump(dict(self.valid(), version="1")), 422)  # wrong type

    def run(self, barrier: threading.Barrier) -> None:
        barrier.wait()
        for request in self.requests:
            started = time.perf_counter()
            try:
                status = self.conn.request("POST", "/ihp/auth", request.body, HEADERS).status
            except OSError:
                status = 0
            self.outcomes.append(Outcome(request.kind, request.expected, status,
                                         time.perf_counter() - started))


MIX = (["valid"] * 70 + ["tampered"] * 6 + ["other-profile-id"] * 5 + ["stale"] * 5
       + ["replay"] * 5 + ["malformed-json"] * 5 + ["wrong-type"] * 4)


def phase(url: str, tls: TlsOptions, mode: str, total: int, concurrency: int,
          mix: list[str]) -> tuple[list[Outcome], float]:
    workers = [Worker(url, tls, mode) for _ in range(concurrency)]
    replayable: list[bytes] = []
    warm = workers[0]
    for _ in range(20):  # accepted once now, so replaying them later must give 401
        body = dump(warm.valid())
        assert warm.conn.request("POST", "/ihp/auth", body, HEADERS).status == 200
        replayable.append(body)
    rng = random.Random(6)
    for index in range(total):
        worker = workers[index % concurrency]
        worker.requests.append(worker.make(rng.choice(mix), replayable))
    barrier = threading.Barrier(concurrency + 1)
    threads = [threading.Thread(target=w.run, args=(barrier,)) for w in workers]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.conn.close()
    return [o for w in workers for o in w.outcomes], elapsed


def summarize(outcomes: list[Outcome], elapsed: float) -> dict[str, Any]:
    latencies = sorted(o.latency_s for o in outcomes)
    quantiles = statistics.quantiles(latencies, n=100)
    by_status: dict[str, int] = {}
    for outcome in outcomes:
        by_status[str(outcome.status)] = by_status.get(str(outcome.status), 0) + 1
    return {
        "requests": len(outcomes), "seconds": round(elapsed, 3),
        "requests_per_second": round(len(outcomes) / elapsed, 1),
        "p50_ms": round(quantiles[49] * 1000, 2), "p99_ms": round(quantiles[98] * 1000, 2),
        "by_status": by_status,
        "server_errors_5xx": sum(1 for o in outcomes if o.status >= 500),
        "dropped": sum(1 for o in outcomes if o.status == 0),
        "valid_not_200": sum(1 for o in outcomes if o.kind == "valid" and o.status != 200),
        "unexpected_status": sum(1 for o in outcomes if o.status != o.expected),
    }


def bare_derive_decrypt_rate(count: int = 2000) -> float:
    """Capsules per second for derive_session_key + decrypt_capsule alone, in-process."""
    from ihp_client import ServerProfile
    from ihp_ref import ServerEnvHash, ServerProfileId

    profile = ServerProfile(1, ServerProfileId(42), ServerEnvHash(bytes(32)))
    master = InMemoryKeyProvider(bytes.fromhex(MASTER_HEX))
    exporter = bytes(32)
    now = int(time.time())
    capsules = [build_capsule_for_password(profile, master, exporter, b"benchmark password",
                                           rtt_bucket=1, now=now).capsule
                for _ in range(count)]
    profile_key = derive_profile_key(master, profile.server_profile_id, profile.server_env_hash)
    config = IhpConfig()
    started = time.perf_counter()
    for capsule in capsules:
        session_key = derive_session_key(profile_key, exporter, capsule.client_nonce,
                                         capsule.network_context, profile.server_profile_id)
        decrypt_capsule(capsule, profile.server_env_hash, session_key, CapsuleTimestamp(now),
                        config)
    return count / (time.perf_counter() - started)


def metric_names_present(url: str, tls: TlsOptions) -> list[str]:
    with HttpConnection(url, tls=tls) as conn:
        text = conn.request("GET", "/metrics").body.decode()
    wanted = ["ihp_encrypt_total", "ihp_decrypt_total", "ihp_encrypt_success_total",
              "ihp_decrypt_success_total", "ihp_encrypt_failure_total",
              "ihp_decrypt_failure_total", "ihp_encrypt_version_rejected_total",
              "ihp_decrypt_version_rejected_total", "ihp_decrypt_header_mismatch_total",
              "ihp_decrypt_drift_rejected_total", "ihp_drift_seconds_bucket",
              "ihp_replay_capacity_exhausted_total"]
    return [name for name in wanted if f"\n{name}" not in text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--mode", choices=("plain", "https"), default="plain")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        process, url, tls = start_server(args.mode, Path(workdir))
        try:
            cpu_before = cpu_seconds(process.pid)
            auth_outcomes, auth_elapsed = phase(url, tls, args.mode, args.requests // 2,
                                                args.concurrency, ["valid"])
            # includes the handshakes and warm-up requests of the phase: an upper bound
            server_cpu = cpu_seconds(process.pid) - cpu_before
            mixed_outcomes, mixed_elapsed = phase(url, tls, args.mode, args.requests,
                                                  args.concurrency, MIX)
            missing = metric_names_present(url, tls)
        finally:
            process.terminate()
            process.wait(timeout=30)
    bare = bare_derive_decrypt_rate()
    auth = summarize(auth_outcomes, auth_elapsed)
    mixed = summarize(mixed_outcomes, mixed_elapsed)
    figures = {
        "mode": args.mode, "concurrency": args.concurrency, "cpus": os.cpu_count(),
        "auth_only": auth, "mixed": mixed,
        "bare_derive_decrypt_per_second": round(bare, 1),
        "server_auth_to_bare_ratio": round(auth["requests_per_second"] / bare, 4),
        "server_cpu_ms_per_auth": round(server_cpu / len(auth_outcomes) * 1000, 3),
        "bare_share_of_server_cpu": round(len(auth_outcomes) / bare / server_cpu, 4)
        if server_cpu else None,
        "metrics_missing_after_load": missing,
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    failures = [k for k in ("server_errors_5xx", "dropped", "valid_not_200", "unexpected_status")
                if auth[k] or mixed[k]]
    if failures or missing:
        print(f"FAILED: {failures} {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
