"""What the OpenTelemetry spans of `POST /ihp/auth` cost (issue 14), in-process.

The Starlette app of `ihp_server` is driven through ASGI without sockets (as the
`server_body` fuzzer drives it), so the figure is the app's own time per valid
authentication, without the HTTP stack's noise:

- `off`: no tracer provider (the default: the app calls no tracing API at all);
- `memory`: the SDK with `SimpleSpanProcessor` + `InMemorySpanExporter` (each span
  handed to the exporter as it ends);
- `batch`: the SDK with `BatchSpanProcessor` + `InMemorySpanExporter` (what
  `ihp-server` sets up for a real exporter: spans exported from a background thread).

Rounds alternate between the modes; each round is a fresh app (a fresh replay guard) and
`--requests` fresh capsules, made before the clock starts. The clock is the process's CPU
time (`time.process_time`, all threads, so the batch exporter's thread counts too): on a
shared machine it moves far less with other processes' load than wall time does. Reports
the median µs per request of each mode and the cost of `memory` and `batch` over `off`.
`--modes off` only passes no tracer provider, so it also times an older `ihp_server` put
first on PYTHONPATH (the figure before the spans). Usage:

    .venv/bin/python benchmarks/bench_tracing.py [--requests 2000] [--rounds 5]
                                                 [--modes off,memory,batch] [--json out]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from ihp_client import build_capsule_for_password, parse_profile
from ihp_fuzz.harness import asgi
from ihp_ref import InMemoryKeyProvider, capsule_to_http
from ihp_server import create_app
from ihp_server.testing import (
    TEST_EXPORTER_HEX,
    TEST_MASTER_KEY_HEX,
    ManualClock,
    env_hash_for_tests,
    settings_for_tests,
)

NOW = 1_800_000_000
MODES = ("off", "memory", "batch")


def _provider(mode: str) -> tuple[Any, Any]:
    """(tracer provider, in-memory exporter) of `mode`; the SDK imported only when used."""
    if mode == "off":
        return None, None
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    processor = SimpleSpanProcessor(exporter) if mode == "memory" else BatchSpanProcessor(
        exporter, max_queue_size=1 << 16)
    provider.add_span_processor(processor)
    return provider, exporter


def _requests(count: int, profile_body: bytes) -> list[asgi.AuthRequest]:
    profile = parse_profile(profile_body)
    master = InMemoryKeyProvider(bytes.fromhex(TEST_MASTER_KEY_HEX))
    exporter = bytes.fromhex(TEST_EXPORTER_HEX)
    bodies = [json.dumps(capsule_to_http(build_capsule_for_password(
        profile, master, exporter, b"pw", rtt_bucket=3, now=NOW).capsule)).encode()
        for _ in range(count)]
    return [asgi.parse_request(asgi.encode_request(body)) for body in bodies]


def _round(mode: str, count: int, loop: asyncio.AbstractEventLoop) -> float:
    """µs per valid request through a fresh app in `mode`."""
    provider, exporter = _provider(mode)
    traced = {} if provider is None else {"tracer_provider": provider}
    app = create_app(settings_for_tests(), env_hash_for_tests(), clock=ManualClock(NOW),
                     **traced)
    requests = _requests(count, app.state.ihp.profile_body)
    started = time.process_time()
    for request in requests:
        reply = loop.run_until_complete(asgi.exchange(app, request))
        if reply.status != 200:
            raise SystemExit(f"{mode}: a valid capsule got {reply.status}")
    if provider is not None:
        provider.shutdown()  # the batch processor's queue is exported before this returns
    elapsed = time.process_time() - started
    if provider is not None:
        assert exporter is not None
        roots = sum(span.name == "ihp.auth" for span in exporter.get_finished_spans())
        if roots != count:
            raise SystemExit(f"{mode}: {roots} ihp.auth spans for {count} requests")
    return elapsed / count * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    if not set(modes) <= set(MODES):
        parser.error(f"--modes: choose from {','.join(MODES)}")
    loop = asyncio.new_event_loop()
    timings: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode in modes:
            timings[mode].append(_round(mode, args.requests, loop))
    medians = {mode: round(statistics.median(values), 1) for mode, values in timings.items()}
    figures: dict[str, Any] = {
        "requests_per_round": args.requests, "rounds": args.rounds,
        "us_per_request_median": medians,
        "us_per_request_all": {m: [round(v, 1) for v in vs] for m, vs in timings.items()},
        "spans_per_valid_request": 5,
        "cost_us_per_request": {mode: round(medians[mode] - medians["off"], 1)
                                for mode in modes if mode != "off" and "off" in medians},
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
