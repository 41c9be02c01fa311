"""Run the server inside a process for tests and benchmarks: 127.0.0.1, a free port,
always shut down. `plain_server` uses uvicorn (test mode); `https_server` the pyOpenSSL
front-end. Both are context managers yielding the base URL."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from ._certs import ThrowawayCertificate
from ._connections import ConnectionLimits
from ._metrics import PrometheusMetricsSink
from .https import HttpsServer

__all__ = [
    "TEST_EXPORTER_HEX",
    "TEST_MASTER_KEY_HEX",
    "TEST_SEP",
    "ManualClock",
    "asgi_test_client",
    "env_hash_for_tests",
    "https_server",
    "plain_server",
    "settings_for_tests",
]


@contextlib.contextmanager
def plain_server(app: Any, *, startup_timeout: float = 10.0) -> Iterator[str]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False,
                                           lifespan="off", server_header=False,
                                           backlog=1024))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def https_server(app: Any, cert: ThrowawayCertificate, *, limits: ConnectionLimits | None = None,
                 metrics: PrometheusMetricsSink | None = None) -> Iterator[str]:
    loop = asyncio.new_event_loop()
    server = HttpsServer(app, host="127.0.0.1", port=0, cert=str(cert.cert), key=str(cert.key),
                         limits=limits, metrics=metrics)
    port = loop.run_until_complete(server.start())
    task = loop.create_task(server.serve_forever())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        closing: list[asyncio.Task[None]] = []

        def stop() -> None:
            task.cancel()
            closing.append(loop.create_task(_close_and_stop(server, loop)))

        loop.call_soon_threadsafe(stop)
        thread.join(timeout=10)
        loop.close()


async def _close_and_stop(server: HttpsServer, loop: asyncio.AbstractEventLoop) -> None:
    await server.close()
    loop.stop()


# --- values for tests and benchmarks (never production keys) -------------------------

TEST_MASTER_KEY_HEX = b"ihp test master key for tests!!!".hex()
TEST_EXPORTER_HEX = b"test exporter key".hex()
TEST_SEP = ("cpu:test", "nic:test", "os:test", "build:test")


def settings_for_tests(**flags: Any) -> Any:
    """Test-mode `ServerSettings` (flags as `load_settings` takes them), no environment."""
    from ._settings import load_settings

    base: dict[str, Any] = {"server_profile_id": "42", "master_key_hex": TEST_MASTER_KEY_HEX,
                            "test_tls_exporter_hex": TEST_EXPORTER_HEX}
    base.update(flags)
    return load_settings({k: v for k, v in base.items() if v is not None}, environ={})


def env_hash_for_tests() -> Any:
    from ihp_ref import ServerEnvironmentProfile, compute_server_env_hash

    return compute_server_env_hash(ServerEnvironmentProfile(*TEST_SEP))


def asgi_test_client(app: Any) -> Any:
    """Starlette's in-process `TestClient` (its httpx deprecation notice silenced)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # StarletteDeprecationWarning: httpx → httpx2
        from starlette.testclient import TestClient
    return TestClient(app, raise_server_exceptions=False)


class ManualClock:
    """A clock tests move by hand: `clock()` reads it, `clock.now = …` sets it."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now
