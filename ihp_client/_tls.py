"""Client-side TLS with exported keying material: pyOpenSSL in memory-BIO mode over a
blocking socket with a timeout (Python's `ssl` cannot export keying material)."""

from __future__ import annotations

import ipaddress
import socket

from cryptography import x509
from OpenSSL import SSL

__all__ = ["EXPORTER_CONTEXT", "EXPORTER_LABEL", "EXPORTER_LENGTH", "TlsSocket",
           "TlsVerificationError", "client_context"]

# spec §6: label EXPORTER-IHP-v1, empty context, 32 bytes (the server uses the same)
EXPORTER_LABEL = b"EXPORTER-IHP-v1"
EXPORTER_CONTEXT = b""
EXPORTER_LENGTH = 32
_CHUNK = 65536


class TlsVerificationError(ConnectionError):
    """The server's certificate does not verify or does not name the host."""


def client_context(cafile: str | None = None, *, insecure: bool = False) -> SSL.Context:
    """Verify the peer against `cafile` (else the system store) unless `insecure`."""
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_alpn_protos([b"http/1.1"])
    if insecure:
        context.set_verify(SSL.VERIFY_NONE)
    else:
        context.set_verify(SSL.VERIFY_PEER)
        if cafile:
            context.load_verify_locations(cafile)
        else:
            context.set_default_verify_paths()
    return context


def _hostname_matches(cert: x509.Certificate, host: str) -> bool:
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return address in names.get_values_for_type(x509.IPAddress)
    host = host.lower().rstrip(".")
    for name in names.get_values_for_type(x509.DNSName):
        name = name.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


class TlsSocket:
    """A client TLS session on a connected socket; `exporter_key()` after the handshake."""

    def __init__(self, sock: socket.socket, context: SSL.Context, host: str,
                 *, verify_hostname: bool = True) -> None:
        self._sock = sock
        self._conn = SSL.Connection(context, None)
        self._conn.set_connect_state()
        try:
            ipaddress.ip_address(host)
        except ValueError:
            self._conn.set_tlsext_host_name(host.encode("idna"))
        self._handshake()
        if verify_hostname:
            cert = self._conn.get_peer_certificate(as_cryptography=True)
            if cert is None or not _hostname_matches(cert, host):
                raise TlsVerificationError("certificate does not match the host name")

    def _flush(self) -> None:
        while True:
            try:
                data = self._conn.bio_read(_CHUNK)
            except SSL.WantReadError:
                return
            self._sock.sendall(data)

    def _feed(self) -> bool:
        data = self._sock.recv(_CHUNK)
        if not data:
            self._conn.bio_shutdown()
            return False
        self._conn.bio_write(data)
        return True

    def _handshake(self) -> None:
        while True:
            try:
                self._conn.do_handshake()
                break
            except SSL.WantReadError:
                self._flush()
                if not self._feed():
                    raise ConnectionError("server closed during the TLS handshake") from None
            except SSL.Error as exc:
                raise TlsVerificationError(f"TLS handshake failed: {exc}") from None
        self._flush()

    def exporter_key(self) -> bytes:
        return bytes(self._conn.export_keying_material(EXPORTER_LABEL, EXPORTER_LENGTH,
                                                       EXPORTER_CONTEXT))

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            sent = self._conn.send(view[:_CHUNK].tobytes())
            view = view[sent:]
            self._flush()

    def recv(self, size: int = _CHUNK) -> bytes:
        while True:
            try:
                return bytes(self._conn.recv(size))
            except SSL.WantReadError:
                self._flush()
                if not self._feed():
                    return b""
            except (SSL.ZeroReturnError, SSL.SysCallError):
                return b""

    def close(self) -> None:
        try:
            self._conn.shutdown()
            self._flush()
        except (SSL.Error, OSError):
            pass
        self._sock.close()
