"""TLS with exported keying material (spec §6): pyOpenSSL over asyncio streams.

Python's `ssl` module cannot export keying material (RFC 5705 / RFC 8446 §7.5), so the
HTTPS front-end runs pyOpenSSL in memory-BIO mode over a plain asyncio connection.
"""

from __future__ import annotations

import asyncio
from typing import Any

from OpenSSL import SSL

__all__ = [
    "EXPORTER_CONTEXT",
    "EXPORTER_LABEL",
    "EXPORTER_LENGTH",
    "AsyncTlsStream",
    "export_ihp_key",
    "server_context",
]

# spec §6: label EXPORTER-IHP-v1, empty context (present but empty), 32 bytes
EXPORTER_LABEL = b"EXPORTER-IHP-v1"
EXPORTER_CONTEXT = b""
EXPORTER_LENGTH = 32
_CHUNK = 65536


def export_ihp_key(connection: SSL.Connection) -> bytes:
    """The connection's IHP exporter key (both sides compute the same 32 bytes)."""
    return bytes(connection.export_keying_material(EXPORTER_LABEL, EXPORTER_LENGTH,
                                                   EXPORTER_CONTEXT))


def server_context(cert_chain: str, private_key: str) -> SSL.Context:
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.use_certificate_chain_file(cert_chain)
    context.use_privatekey_file(private_key)
    context.check_privatekey()
    context.set_alpn_select_callback(_select_http11)
    return context


def _select_http11(connection: SSL.Connection, offered: list[bytes]) -> Any:
    return b"http/1.1" if b"http/1.1" in offered else SSL.NO_OVERLAPPING_PROTOCOLS


class AsyncTlsStream:
    """A server-side TLS session over an asyncio (reader, writer) pair, memory BIOs."""

    def __init__(self, context: SSL.Context, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self._context = context
        self._conn: SSL.Connection | None = None  # made on the first bytes, see handshake
        self._reader = reader
        self._writer = writer

    @property
    def _tls(self) -> SSL.Connection:
        if self._conn is None:
            raise ConnectionError("no TLS session yet")
        return self._conn

    async def _flush(self) -> None:
        while True:
            try:
                data = self._tls.bio_read(_CHUNK)
            except SSL.WantReadError:
                break
            self._writer.write(data)
        await self._writer.drain()

    async def _feed(self) -> bool:
        data = await self._reader.read(_CHUNK)
        if not data:
            self._tls.bio_shutdown()
            return False
        self._tls.bio_write(data)
        return True

    async def handshake(self) -> None:
        # The client speaks first (ClientHello): until it does, no OpenSSL session is
        # allocated, so a flood of connections that never start TLS costs only sockets.
        first = await self._reader.read(_CHUNK)
        if not first:
            raise ConnectionError("peer closed before the handshake")
        self._conn = SSL.Connection(self._context, None)
        self._conn.set_accept_state()
        self._conn.bio_write(first)
        while True:
            try:
                self._tls.do_handshake()
                break
            except SSL.WantReadError:
                await self._flush()
                if not await self._feed():
                    raise ConnectionError("peer closed during handshake") from None
        await self._flush()

    def exporter_key(self) -> bytes:
        return export_ihp_key(self._tls)

    async def recv(self) -> bytes:
        """Some application bytes, or b"" at end of stream."""
        while True:
            try:
                return bytes(self._tls.recv(_CHUNK))
            except SSL.WantReadError:
                await self._flush()
                if not await self._feed():
                    return b""
            except (SSL.ZeroReturnError, SSL.SysCallError):
                return b""

    async def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            sent = self._tls.send(view[:_CHUNK].tobytes())
            view = view[sent:]
            await self._flush()

    async def close(self) -> None:
        try:
            if self._conn is not None:
                self._conn.shutdown()
                await self._flush()
        except (SSL.Error, OSError):
            pass
        self._writer.close()
