"""HTTPS front-end that binds sessions to TLS: pyOpenSSL + h11 + asyncio, calling an ASGI
app with the connection's exporter key in ``scope["extensions"]["ihp.tls_exporter"]``.

uvicorn (Python `ssl`) cannot export keying material, hence this small server. It speaks
HTTP/1.1 with keep-alive and bounds request size and every phase of a connection by a
whole-phase deadline (`ConnectionLimits`): a peer sending a byte a second is closed when
its phase's deadline passes, not kept alive by each byte. When every slot is taken, the
connection that has waited longest without a complete request is shed (`ConnectionTable`).
Each closure by a limit counts in ``ihp_server_connections_closed_total{reason}`` and is
logged as ``"event":"connection_limit"`` (rate-limited).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import resource
import signal
import time
from typing import Any

import h11
from OpenSSL import SSL
from starlette.types import ASGIApp, Message

from ._app import TLS_EXPORTER_EXTENSION, ExporterKey
from ._connections import TIMEOUTS, ConnectionLimits, ConnectionTable, LimitReport
from ._logging import log_event
from ._metrics import CONNECTIONS_CLOSED, CONNECTIONS_OPEN, PrometheusMetricsSink
from ._tls import AsyncTlsStream, server_context

__all__ = ["HttpsServer", "fit_descriptor_limit", "run_https"]

_FRONT_END_BODY_CAP = 1024 * 1024  # the app answers 413 above 256 KiB; this bounds memory
_FD_RESERVE = 64  # descriptors kept for the listener, log files, key files, /proc reads
_SWEEP_SECONDS = 0.25  # deadlines are enforced this late at most


class _TooLarge(Exception):
    pass


@dataclasses.dataclass(eq=False, slots=True)
class _Connection:
    """One accepted socket: its task, the peer address logs may name, and the deadline of
    the phase it is in (`phase` names the limit; infinite while the app answers)."""

    task: asyncio.Task[None]
    client: tuple[str, int] | None
    transport: asyncio.WriteTransport
    phase: str = "handshake_timeout"
    deadline: float = math.inf

    @property
    def peer(self) -> str:
        return self.client[0] if self.client else "-"


class HttpsServer:
    def __init__(self, app: ASGIApp, *, host: str, port: int, cert: str, key: str,
                 limits: ConnectionLimits | None = None,
                 metrics: PrometheusMetricsSink | None = None) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.limits = limits or ConnectionLimits()
        self._seconds = {name: float(getattr(self.limits, name)) for name in TIMEOUTS}
        self._context = server_context(cert, key)
        self._table: ConnectionTable[_Connection] = ConnectionTable(self.limits.max_connections)
        self._report = LimitReport()
        self._metrics = metrics
        if metrics is not None:
            metrics.set_gauge_function(CONNECTIONS_OPEN, lambda: float(len(self._table)))
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._connections: set[_Connection] = set()

    async def start(self) -> int:
        """Listen; return the bound port (useful with port 0)."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port,
                                                  backlog=1024)
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._sweeper = asyncio.create_task(self._enforce_deadlines())
        return self.port

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        """Stop listening and end every open connection (nothing outlives the server)."""
        if self._server is not None:
            self._server.close()
        tasks = [connection.task for connection in self._connections]
        if self._sweeper is not None:
            tasks.append(self._sweeper)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _enforce_deadlines(self) -> None:
        """One sweep every `_SWEEP_SECONDS` closes each connection whose phase deadline
        has passed: no timer per phase per request, and the connection's own reads just
        see the end of the stream."""
        while True:
            await asyncio.sleep(_SWEEP_SECONDS)
            now = time.monotonic()
            for connection in [c for c in self._connections if c.deadline <= now]:
                connection.deadline = math.inf
                self._limit_bit(connection.phase, connection.peer)
                connection.transport.abort()

    def _arm(self, connection: _Connection, phase: str) -> None:
        connection.phase = phase
        connection.deadline = time.monotonic() + self._seconds[phase]

    def _limit_bit(self, reason: str, peer: str) -> None:
        if self._metrics is not None:
            self._metrics.increment(CONNECTIONS_CLOSED, {"reason": reason})
        count = self._report.bite(reason, time.monotonic())
        if count:
            log_event("connection_limit", logging.WARNING, reason=reason, count=count,
                      peer=peer, open_connections=len(self._table),
                      max_connections=self.limits.max_connections)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peername = writer.get_extra_info("peername")
        connection = _Connection(task, (str(peername[0]), int(peername[1]))
                                 if peername else None, writer.transport)
        admission = self._table.admit(connection)
        if admission.shed is not None:  # its reads end (EOF), so does its task
            admission.shed.deadline = math.inf
            admission.shed.transport.abort()
            self._limit_bit("shed", admission.shed.peer)
        if not admission.admitted:
            self._limit_bit("refused", connection.peer)
            writer.transport.abort()
            return
        self._arm(connection, "handshake_timeout")
        self._connections.add(connection)
        try:
            await self._connection(connection, reader, writer)
        except asyncio.CancelledError:
            # close() cancels: end quietly (on 3.11 a cancelled handler task makes
            # asyncio log a traceback for every open connection)
            pass
        finally:
            self._table.remove(connection)
            self._connections.discard(connection)
            self._close_transport(writer)

    def _close_transport(self, writer: asyncio.StreamWriter) -> None:
        """Close after the last bytes are written; a peer that never reads them loses the
        socket `send_timeout` later instead of holding it forever."""
        writer.close()
        transport = writer.transport
        if transport.get_write_buffer_size():
            asyncio.get_running_loop().call_later(self.limits.send_timeout, transport.abort)

    async def _connection(self, connection: _Connection, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        stream = AsyncTlsStream(self._context, reader, writer)
        try:
            await stream.handshake()
            exporter = ExporterKey(stream.exporter_key())
        except (ConnectionError, SSL.Error, OSError):
            return
        try:
            self._arm(connection, "head_timeout")
            await self._serve_http(connection, stream, exporter)
        except (ConnectionError, SSL.Error, OSError, h11.ProtocolError):
            pass
        finally:
            self._arm(connection, "send_timeout")  # close_notify to a peer that never reads
            await stream.close()

    async def _serve_http(self, connection: _Connection, stream: AsyncTlsStream,
                          exporter: ExporterKey) -> None:
        conn = h11.Connection(h11.SERVER)
        while True:
            try:
                event = await self._next_event(conn, stream)
                if not isinstance(event, h11.Request):
                    return
                self._arm(connection, "body_timeout")
                body = await self._read_body(conn, stream)
            except h11.RemoteProtocolError:
                self._arm(connection, "send_timeout")
                await self._simple(conn, stream, 400, b'{"status":"error","reason":"bad_http"}')
                return
            except _TooLarge:
                self._arm(connection, "send_timeout")
                await self._simple(conn, stream, 413,
                                   b'{"status":"error","reason":"body_too_large"}')
                return
            self._table.busy(connection)
            connection.deadline = math.inf  # the app's time is not the peer's doing
            status, headers, payload = await self._call_app(event, body, exporter,
                                                            connection.client)
            if event.method == b"HEAD":  # h11 refuses a body on a HEAD response
                payload = b""
            self._arm(connection, "send_timeout")
            await self._respond(conn, stream, status, headers, payload)
            if h11.MUST_CLOSE in (conn.our_state, conn.their_state):
                return
            conn.start_next_cycle()
            self._table.waiting(connection)
            await self._next_request(connection, conn, stream)

    async def _next_request(self, connection: _Connection, conn: h11.Connection,
                            stream: AsyncTlsStream) -> None:
        """Keep-alive: the idle deadline runs until the next request's first byte, the
        head deadline from there."""
        if not conn.trailing_data[0]:
            self._arm(connection, "idle_timeout")
            conn.receive_data(await stream.recv())
        self._arm(connection, "head_timeout")

    async def _next_event(self, conn: h11.Connection, stream: AsyncTlsStream) -> Any:
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            conn.receive_data(await stream.recv())

    async def _read_body(self, conn: h11.Connection, stream: AsyncTlsStream) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            event = await self._next_event(conn, stream)
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > _FRONT_END_BODY_CAP:
                    raise _TooLarge
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            else:
                raise h11.RemoteProtocolError("unexpected event")

    async def _call_app(self, request: h11.Request, body: bytes, exporter: ExporterKey,
                        client: tuple[str, int] | None,
                        ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        target = bytes(request.target)
        path, _, query = target.partition(b"?")
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.http_version.decode("ascii"),
            "method": request.method.decode("ascii"), "scheme": "https",
            "path": path.decode("utf-8", "replace"), "raw_path": path, "query_string": query,
            "root_path": "", "headers": [(k.lower(), v) for k, v in request.headers],
            "client": client,
            "server": (self.host, self.port),
            "extensions": {"tls": {}, TLS_EXPORTER_EXTENSION: {"key": exporter}},
        }
        delivered = False
        response: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                response["body"].append(message.get("body", b""))

        try:
            await self.app(scope, receive, send)
        except Exception:
            log_event("asgi_app_error", logging.ERROR, exc_info=True)
            return 500, [], b""
        return response["status"], response["headers"], b"".join(response["body"])

    async def _respond(self, conn: h11.Connection, stream: AsyncTlsStream, status: int,
                       headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        names = {k.lower() for k, _ in headers}
        if b"content-length" not in names:
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        data = conn.send(h11.Response(status_code=status, headers=headers))
        data += conn.send(h11.Data(data=body)) if body else b""
        data += conn.send(h11.EndOfMessage())
        await stream.send(data)

    async def _simple(self, conn: h11.Connection, stream: AsyncTlsStream, status: int,
                      body: bytes) -> None:
        if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        with contextlib.suppress(h11.LocalProtocolError):
            await self._respond(conn, stream, status, headers, body)


def fit_descriptor_limit(limits: ConnectionLimits) -> ConnectionLimits:
    """Raise the soft open-files limit so every slot has a descriptor (an `accept` failing
    with EMFILE would stall every client, attacker or not); when the hard limit is too low,
    fewer slots, logged, rather than that."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + _FD_RESERVE
    if soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    if soft >= wanted:
        return limits
    fitted = dataclasses.replace(limits, max_connections=max(1, soft - _FD_RESERVE))
    log_event("connection_slots_lowered", logging.WARNING, configured=limits.max_connections,
              max_connections=fitted.max_connections, open_files_limit=soft)
    return fitted


def run_https(app: ASGIApp, *, host: str, port: int, cert: str, key: str,
              limits: ConnectionLimits | None = None,
              metrics: PrometheusMetricsSink | None = None) -> None:
    """Serve until SIGINT/SIGTERM."""

    async def main() -> None:
        server = HttpsServer(app, host=host, port=port, cert=cert, key=key,
                             limits=fit_descriptor_limit(limits or ConnectionLimits()),
                             metrics=metrics)
        bound = await server.start()
        log_event("listening", scheme="https", host=host, port=bound)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(server.serve_forever())
        await stop.wait()
        task.cancel()
        await server.close()
        log_event("stopped")

    asyncio.run(main())
