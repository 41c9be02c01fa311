"""Connection flood against the HTTPS front-end on loopback (issue 14 figures).

Starts `ihp-server` over HTTPS as a subprocess, then from 127.0.0.1, all at once and for
`--seconds`:

- `--idle` TCP connections that never start TLS (reopened when the server closes them);
- `--slow` TLS connections that send one request line, then one header byte a second
  (reopened when closed); each one's lifetime from its request line to the server's close
  is recorded (these two from a process of their own);
- `--clients` threads of legitimate IHP logins (real auth: a new TLS connection, a capsule
  bound to its exporter key, `POST /ihp/auth`), each timed from connect to response.

It fails (exit 1) when any login fails (10 s client timeout), when the logins' p99 is
`--max-p99-ms` (1,000) or more, or when a slow connection lives longer than
`--max-slow-lifetime` seconds. Every loop is bounded by the
clock and the counts above; only loopback addresses are used. Usage:

    .venv/bin/python benchmarks/bench_flood.py [--idle 1000] [--slow 200] [--seconds 45]
        [--clients 2] [--head-timeout S] [--handshake-timeout S] [--max-connections N]
        [--json out.json]

The limit flags are passed to the server only when given, so the same script measures a
server that predates them (run it with PYTHONPATH pointing at an older checkout).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import resource
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ihp_client import HttpConnection, TlsOptions, build_capsule_for_password, fetch_profile
from ihp_client import send_capsule as post_capsule
from ihp_ref import InMemoryKeyProvider
from ihp_server import make_throwaway_certificate

MASTER_HEX = os.urandom(32).hex()
FINGERPRINTS = {"IHP_CPU_FINGERPRINT": "cpu:flood", "IHP_NIC_FINGERPRINT": "nic:flood",
                "IHP_OS_FINGERPRINT": "os:flood", "IHP_BUILD_FINGERPRINT": "build:flood"}
LOOPBACK = "127.0.0.1"
LIMIT_FLAGS = ("head_timeout", "handshake_timeout", "max_connections")


def raise_open_files_limit(needed: int) -> int:
    """Soft RLIMIT_NOFILE up to the hard limit if `needed` descriptors do not fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft < needed:
        raise SystemExit(f"need {needed} open files, the hard limit is {hard}")
    return soft


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def start_server(args: argparse.Namespace, workdir: Path, log: Any,
                 ) -> tuple[subprocess.Popen[bytes], int, str]:
    port = free_port()
    cert = make_throwaway_certificate(workdir)
    argv = [str(Path(sys.executable).parent / "ihp-server"), "--host", LOOPBACK,
            "--port", str(port), "--server-profile-id", "42", "--master-key-hex", MASTER_HEX,
            "--tls-cert", str(cert.cert), "--tls-key", str(cert.key), "--log-level", "warning"]
    for name in LIMIT_FLAGS:
        if getattr(args, name) is not None:
            argv += ["--" + name.replace("_", "-"), str(getattr(args, name))]
    process = subprocess.Popen(argv, env=dict(os.environ, **FINGERPRINTS), stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with HttpConnection(f"https://localhost:{port}", tls=TlsOptions(str(cert.ca_cert)),
                                timeout=2) as conn:
                if conn.request("GET", "/healthz").status == 200:
                    return process, port, str(cert.ca_cert)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("ihp-server did not start")


@dataclass(slots=True)
class FloodStats:
    idle_opened: int = 0
    idle_closed_by_server: int = 0
    slow_opened: int = 0
    slow_lifetimes: list[float] = field(default_factory=list)  # request line → close
    slow_open_since: dict[int, float] = field(default_factory=dict)
    connect_errors: int = 0


class Flood:
    """The attackers: one asyncio loop in a thread, every task cancelled by `stop`."""

    def __init__(self, port: int, cafile: str, idle: int, slow: int) -> None:
        self.port = port
        self.idle = idle
        self.slow = slow
        self.stats = FloodStats()
        self.context = ssl.create_default_context(cafile=cafile)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._spawn(), self.loop).result(timeout=30)

    async def _spawn(self) -> None:
        self.tasks += [asyncio.create_task(self._idle()) for _ in range(self.idle)]
        self.tasks += [asyncio.create_task(self._slow(i)) for i in range(self.slow)]

    def stop(self) -> dict[str, Any]:
        async def cancel() -> list[float]:
            now = time.monotonic()
            ages = [now - since for since in self.stats.slow_open_since.values()]
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            return ages

        still_open = asyncio.run_coroutine_threadsafe(cancel(), self.loop).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        return self.report(still_open)

    async def _idle(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(LOOPBACK, self.port)
            except OSError:
                self.stats.connect_errors += 1
                await asyncio.sleep(0.2)
                continue
            self.stats.idle_opened += 1
            try:
                await reader.read(1)  # b"" once the server closes it
                self.stats.idle_closed_by_server += 1
            except OSError:
                self.stats.idle_closed_by_server += 1
            finally:
                writer.close()

    async def _slow(self, index: int) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(
                    LOOPBACK, self.port, ssl=self.context, server_hostname="localhost",
                    ssl_handshake_timeout=60)
            except (OSError, ssl.SSLError, TimeoutError):
                self.stats.connect_errors += 1
                await asyncio.sleep(0.2)
                continue
            self.stats.slow_opened += 1
            try:
                await self._trickle(index, reader, writer)
            finally:
                self.stats.slow_open_since.pop(index, None)
                writer.close()

    async def _trickle(self, index: int, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        started = time.monotonic()
        self.stats.slow_open_since[index] = started
        writer.write(b"POST /ihp/auth HTTP/1.1\r\n")
        with contextlib.suppress(OSError, ssl.SSLError):
            while True:
                try:
                    async with asyncio.timeout(1.0):  # not wait_for: on 3.11 it can
                        if not await reader.read(1):  # swallow a cancellation
                            break  # the server closed it
                except TimeoutError:
                    writer.write(b"x")  # one byte of a header name, a second
                    await writer.drain()
        self.stats.slow_lifetimes.append(time.monotonic() - started)

    def report(self, still_open: list[float]) -> dict[str, Any]:
        stats = self.stats
        lifetimes = sorted(stats.slow_lifetimes)
        return {
            "idle_opened": stats.idle_opened,
            "idle_closed_by_server": stats.idle_closed_by_server,
            "slow_opened": stats.slow_opened,
            "slow_closed_by_server": len(lifetimes),
            "slow_lifetime_p50_s": round(statistics.median(lifetimes), 2) if lifetimes else None,
            "slow_lifetime_max_s": round(max(lifetimes), 2) if lifetimes else None,
            "slow_oldest_open_at_end_s": round(max(still_open), 2) if still_open else None,
            "connect_errors": stats.connect_errors,
        }


def logins(port: int, cafile: str, until: float, results: list[tuple[bool, float]]) -> None:
    """Real IHP logins, one per new TLS connection, until the monotonic time `until`."""
    master = InMemoryKeyProvider(bytes.fromhex(MASTER_HEX))
    url = f"https://localhost:{port}"
    profile = None
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            with HttpConnection(url, tls=TlsOptions(cafile), timeout=10) as conn:
                profile = profile or fetch_profile(conn)
                exporter = conn.exporter_key()
                assert exporter is not None
                built = build_capsule_for_password(profile, master, exporter, b"flood test",
                                                   rtt_bucket=1)
                ok = post_capsule(conn, built.capsule).status == 200
        except (OSError, ConnectionError):
            ok = False
        results.append((ok, time.perf_counter() - started))
        time.sleep(0.05)


def server_counters(port: int, cafile: str) -> dict[str, float]:
    with HttpConnection(f"https://localhost:{port}", tls=TlsOptions(cafile)) as conn:
        text = conn.request("GET", "/metrics").body.decode()
    found = re.findall(r'^ihp_server_connections_closed_total\{reason="(\w+)"\} (\S+)$', text,
                       re.MULTILINE)
    return {reason: float(value) for reason, value in found}


def summarize_logins(results: list[tuple[bool, float]]) -> dict[str, Any]:
    latencies = sorted(seconds for _, seconds in results)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"requests": len(results), "failed": sum(1 for ok, _ in results if not ok),
            "p50_ms": round(quantiles[49] * 1000, 1), "p99_ms": round(quantiles[98] * 1000, 1),
            "max_ms": round(latencies[-1] * 1000, 1)}


def attack(port: int, cafile: str, idle: int, slow: int, stop: Any, results: Any) -> None:
    """The flood, in a process of its own: a real attacker does not share the clients'
    interpreter lock, and here it must not slow the logins it is measured against."""
    raise_open_files_limit(idle + slow + 256)
    flood = Flood(port, cafile, idle, slow)
    flood.start()
    stop.wait()
    results.send(flood.stop())


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    raise_open_files_limit(args.idle + args.slow + 256)  # the server inherits it
    log_path = workdir / "server.log"
    forked = multiprocessing.get_context("fork")  # no thread exists yet
    with log_path.open("wb") as log:
        process, port, cafile = start_server(args, workdir, log)
        stop = forked.Event()
        receive, send = forked.Pipe(duplex=False)
        attacker = forked.Process(target=attack,
                                  args=(port, cafile, args.idle, args.slow, stop, send))
        try:
            attacker.start()
            time.sleep(args.settle)  # let the flood take its slots first
            results: list[tuple[bool, float]] = []
            until = time.monotonic() + args.seconds
            clients = [threading.Thread(target=logins, args=(port, cafile, until, results))
                       for _ in range(args.clients)]
            for client in clients:
                client.start()
            for client in clients:
                client.join(timeout=args.seconds + 60)
            stop.set()
            if not receive.poll(120):
                raise SystemExit("the attacker process did not report")
            flood_figures = receive.recv()
            counters = server_counters(port, cafile)
        finally:
            stop.set()
            attacker.join(timeout=30)
            if attacker.is_alive():
                attacker.kill()
            process.terminate()
            process.wait(timeout=30)
    limit_lines = log_path.read_text().count('"event":"connection_limit"')
    return {"idle": args.idle, "slow": args.slow, "seconds": args.seconds,
            "limits": {name: getattr(args, name) for name in LIMIT_FLAGS},
            "logins": summarize_logins(results), "attack": flood_figures,
            "server_connections_closed": counters, "server_connection_limit_log_lines":
                limit_lines}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between starting the flood and the first login")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--head-timeout", type=float)
    parser.add_argument("--handshake-timeout", type=float)
    parser.add_argument("--max-connections", type=int)
    parser.add_argument("--max-slow-lifetime", type=float, default=30.0)
    parser.add_argument("--max-p99-ms", type=float, default=1000.0,
                        help="fail when the logins' p99 reaches this")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        figures = run(args, Path(workdir))
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    logins_ = figures["logins"]
    attack = figures["attack"]
    lived = max(attack["slow_lifetime_max_s"] or 0.0, attack["slow_oldest_open_at_end_s"] or 0.0)
    problems = [text for bad, text in (
        (logins_["failed"] > 0, f"{logins_['failed']} logins failed"),
        (logins_["p99_ms"] >= args.max_p99_ms, f"login p99 {logins_['p99_ms']} ms"),
        (lived > args.max_slow_lifetime, f"a slow connection lived {lived} s"),
        (attack["slow_closed_by_server"] == 0 and args.seconds > args.max_slow_lifetime,
         "no slow connection was ever closed"),
    ) if bad]
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
