"""A minimal HTTP/1.1 client connection (h11) over plain TCP or exporter-capable TLS.

One object is one TCP (and TLS) connection, so the TLS exporter key it reports is the
one the server sees for every request sent on it (spec §6).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

from ._tls import TlsSocket, client_context

__all__ = ["HttpConnection", "HttpResponse", "TlsOptions"]


@dataclass(frozen=True, slots=True)
class TlsOptions:
    cafile: str | None = None
    insecure: bool = False  # no certificate verification: throwaway tests only


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)


class HttpConnection:
    """`HttpConnection("https://host:8443", tls=TlsOptions(cafile=...))`."""

    def __init__(self, base_url: str, *, tls: TlsOptions | None = None,
                 timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base URL must be http://host[:port] or https://host[:port]")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._tls: TlsSocket | None = None
        self._sock = sock
        if self.scheme == "https":
            options = tls or TlsOptions()
            try:
                self._tls = TlsSocket(sock, client_context(options.cafile,
                                                           insecure=options.insecure),
                                      self.host, verify_hostname=not options.insecure)
            except BaseException:
                sock.close()
                raise
        self._h11 = h11.Connection(h11.CLIENT)

    def exporter_key(self) -> bytes | None:
        """This connection's IHP TLS exporter key (None over plain HTTP)."""
        return self._tls.exporter_key() if self._tls else None

    def _send(self, data: bytes) -> None:
        (self._tls or self._sock).sendall(data)

    def _recv(self) -> bytes:
        return self._tls.recv() if self._tls else self._sock.recv(65536)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Sequence[tuple[str, str]] = ()) -> HttpResponse:
        if self._h11.our_state is h11.DONE:
            self._h11.start_next_cycle()
        host = self.host if self.port in (80, 443) else f"{self.host}:{self.port}"
        all_headers = [("host", host), *headers]
        if body is not None:
            all_headers.append(("content-length", str(len(body))))
        data = self._h11.send(h11.Request(method=method, target=self.prefix + path,
                                          headers=all_headers))
        if body:
            data += self._h11.send(h11.Data(data=body))
        data += self._h11.send(h11.EndOfMessage())
        self._send(data)
        return self._read_response()

    def _next_event(self) -> object:
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA:
                self._h11.receive_data(self._recv())
                continue
            return event

    def _read_response(self) -> HttpResponse:
        event = self._next_event()
        while isinstance(event, h11.InformationalResponse):
            event = self._next_event()
        if not isinstance(event, h11.Response):
            raise ConnectionError("connection closed before a response")
        chunks: list[bytes] = []
        while True:
            part = self._next_event()
            if isinstance(part, h11.Data):
                chunks.append(bytes(part.data))
            elif isinstance(part, h11.EndOfMessage):
                break
            else:
                raise ConnectionError("connection closed mid-response")
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers)
        return HttpResponse(event.status_code, headers, b"".join(chunks))

    def close(self) -> None:
        if self._tls:
            self._tls.close()
        else:
            self._sock.close()

    def __enter__(self) -> HttpConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
