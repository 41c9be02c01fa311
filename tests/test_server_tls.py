"""The HTTPS front-end (pyOpenSSL + h11): both ends derive the same exporter key from
EXPORTER-IHP-v1 (spec §6), each connection its own; bad input → 4xx; certificates verify."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Any

import pytest

from ihp_client import HttpConnection, TlsOptions, TlsVerificationError
from ihp_server import TLS_EXPORTER_EXTENSION, ThrowawayCertificate, make_throwaway_certificate
from ihp_server.testing import https_server


async def exporter_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app answering with SHA-256 of the exporter key it was given, and the body
    length it received."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    key = scope["extensions"][TLS_EXPORTER_EXTENSION]["key"].value
    answer = f"{hashlib.sha256(key).hexdigest()} {len(key)} {len(body)}".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture
def cert(tmp_path: Path) -> ThrowawayCertificate:
    return make_throwaway_certificate(tmp_path)


def test_client_and_server_export_the_same_key_per_connection(cert: ThrowawayCertificate,
                                                              ) -> None:
    options = TlsOptions(str(cert.ca_cert))
    with https_server(exporter_echo, cert) as url:
        seen = []
        for _ in range(2):
            with HttpConnection(url, tls=options) as conn:
                mine = conn.exporter_key()
                assert mine is not None and len(mine) == 32
                first = conn.request("GET", "/").body.decode().split()
                second = conn.request("POST", "/x", b"abc").body.decode().split()  # keep-alive
                assert first[:2] == second[:2] == [hashlib.sha256(mine).hexdigest(), "32"]
                assert second[2] == "3"
                head = conn.request("HEAD", "/")  # no body on the wire, connection stays usable
                assert (head.status, head.body) == (200, b"")
                assert conn.request("GET", "/").body.decode().split()[:1] == first[:1]
                seen.append(mine)
        assert seen[0] != seen[1]


def test_a_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    other = make_throwaway_certificate(tmp_path, ("other.example",))
    with https_server(exporter_echo, other) as url, pytest.raises(TlsVerificationError):
        HttpConnection(url, tls=TlsOptions(str(other.ca_cert)))


def test_an_unknown_ca_is_refused(cert: ThrowawayCertificate, tmp_path: Path) -> None:
    stranger = make_throwaway_certificate(tmp_path / "stranger")
    with https_server(exporter_echo, cert) as url, pytest.raises(TlsVerificationError):
        HttpConnection(url, tls=TlsOptions(str(stranger.ca_cert)))


def test_garbage_http_gets_400_and_huge_bodies_413_and_plain_tcp_is_dropped(
        cert: ThrowawayCertificate) -> None:
    options = TlsOptions(str(cert.ca_cert))
    with https_server(exporter_echo, cert) as url:
        conn = HttpConnection(url, tls=options)
        assert conn._tls is not None
        conn._tls.sendall(b"GARBAGE \x00\x01 nonsense\r\n\r\n")
        assert b" 400 " in conn._tls.recv()[:20]
        conn.close()
        with HttpConnection(url, tls=options) as big:
            assert big.request("POST", "/", b"x" * (1024 * 1024 + 1)).status == 413
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            received = b"".join(iter(lambda: raw.recv(4096), b""))  # until the server closes
            assert b"HTTP/1.1" not in received
        with HttpConnection(url, tls=options) as after:  # the server is still serving
            assert after.request("GET", "/").status == 200
