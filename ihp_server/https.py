"""HTTPS front-end that binds sessions to TLS: pyOpenSSL + h11 + asyncio, calling an ASGI
app with the connection's exporter key in ``scope["extensions"]["ihp.tls_exporter"]``.

uvicorn (Python `ssl`) cannot export keying material, hence this small server. It speaks
HTTP/1.1 with keep-alive, bounds connections, handshake and idle time, and request size.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import h11
from OpenSSL import SSL
from starlette.types import ASGIApp, Message

from ._app import TLS_EXPORTER_EXTENSION, ExporterKey
from ._logging import log_event
from ._tls import AsyncTlsStream, server_context

__all__ = ["HttpsServer", "run_https"]

_FRONT_END_BODY_CAP = 1024 * 1024  # the app answers 413 above 256 KiB; this bounds memory


class _TooLarge(Exception):
    pass


class HttpsServer:
    def __init__(self, app: ASGIApp, *, host: str, port: int, cert: str, key: str,
                 max_connections: int = 512, handshake_timeout: float = 10.0,
                 idle_timeout: float = 30.0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._context = server_context(cert, key)
        self._slots = asyncio.Semaphore(max_connections)
        self._handshake_timeout = handshake_timeout
        self._idle_timeout = idle_timeout
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen; return the bound port (useful with port 0)."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port,
                                                  backlog=1024)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        """Stop listening and end every open connection (nothing outlives the server)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._connection(reader, writer)
        finally:
            self._connections.discard(task)
            writer.close()

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        async with self._slots:
            stream = AsyncTlsStream(self._context, reader, writer)
            try:
                await asyncio.wait_for(stream.handshake(), self._handshake_timeout)
                exporter = ExporterKey(stream.exporter_key())
            except (TimeoutError, ConnectionError, SSL.Error, OSError):
                writer.close()
                return
            peer = writer.get_extra_info("peername")
            try:
                await self._serve_http(stream, exporter, peer)
            except (TimeoutError, ConnectionError, SSL.Error, OSError, h11.ProtocolError):
                pass
            finally:
                await stream.close()

    async def _serve_http(self, stream: AsyncTlsStream, exporter: ExporterKey,
                          peer: Any) -> None:
        conn = h11.Connection(h11.SERVER)
        while True:
            try:
                event = await self._next_event(conn, stream)
                if not isinstance(event, h11.Request):
                    return
                body = await self._read_body(conn, stream)
            except h11.RemoteProtocolError:
                await self._simple(conn, stream, 400, b'{"status":"error","reason":"bad_http"}')
                return
            except _TooLarge:
                await self._simple(conn, stream, 413,
                                   b'{"status":"error","reason":"body_too_large"}')
                return
            status, headers, payload = await self._call_app(event, body, exporter, peer)
            if event.method == b"HEAD":  # h11 refuses a body on a HEAD response
                payload = b""
            await self._respond(conn, stream, status, headers, payload)
            if h11.MUST_CLOSE in (conn.our_state, conn.their_state):
                return
            conn.start_next_cycle()

    async def _next_event(self, conn: h11.Connection, stream: AsyncTlsStream) -> Any:
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await asyncio.wait_for(stream.recv(), self._idle_timeout)
            conn.receive_data(data)

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
                        peer: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        target = bytes(request.target)
        path, _, query = target.partition(b"?")
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.http_version.decode("ascii"),
            "method": request.method.decode("ascii"), "scheme": "https",
            "path": path.decode("utf-8", "replace"), "raw_path": path, "query_string": query,
            "root_path": "", "headers": [(k.lower(), v) for k, v in request.headers],
            "client": (peer[0], peer[1]) if peer else None,
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


def run_https(app: ASGIApp, *, host: str, port: int, cert: str, key: str) -> None:
    """Serve until SIGINT/SIGTERM."""

    async def main() -> None:
        server = HttpsServer(app, host=host, port=port, cert=cert, key=key)
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
