"""The `server_body` input layout and an in-process ASGI exchange (no sockets, no httpx).

Input: ``u8(flags) ‖ u8(content type) ‖ u8(parameter) ‖ u8(split) ‖ body``, missing prefix
bytes read as 0.

- flags bits 0-1, the Content-Length header: 0 absent, 1 the body's length, 2 a number
  from `NUMERIC_LENGTHS` (picked by the parameter byte: maybe wrong, maybe over the cap),
  3 a value from `NOT_A_NUMBER` (picked by the parameter byte);
- flags bits 2-7 (0..63): 60..63 pad the body with spaces to 256 KiB - 1, 256 KiB,
  256 KiB + 1, 256 KiB + 2 bytes (libFuzzer's `-max_len` keeps inputs far below the cap);
- content type: an entry of `CONTENT_TYPES` (modulo its length; None: no header);
- split: 0 sends the body in one `http.request` message, n > 0 in two, split after
  ``n * (len + 1) // 256`` bytes (the first may be empty).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CONTENT_TYPES",
    "MAX_BODY_BYTES",
    "NOT_A_NUMBER",
    "PREFIX_BYTES",
    "AuthRequest",
    "Reply",
    "encode_request",
    "exchange",
    "numeric_lengths",
    "parse_request",
]

Message = MutableMapping[str, Any]
App = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Message]],
                Callable[[Message], Awaitable[None]]], Awaitable[None]]

PREFIX_BYTES = 4
MAX_BODY_BYTES = 256 * 1024  # spec §11: larger bodies → 413
PAD_CODES = 60  # flags >> 2 at or above this pads the body to the cap + (code - 61)

CONTENT_TYPES: tuple[bytes | None, ...] = (
    None,
    b"application/json",
    b"application/json; charset=utf-8",
    b"APPLICATION/JSON;charset=UTF-8",
    b"Application/Json ; q=1",
    b"application/json ",
    b"text/plain",
    b"text/json",
    b"application/jsonp",
    b"application/problem+json",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=x",
    b"application/json, text/plain",
    b"*/*",
    b"",
    b"application",
)

# Content-Length values that are not a decimal number (each a 400)
NOT_A_NUMBER: tuple[bytes, ...] = (
    b"", b" ", b"-1", b"+1", b" 12", b"12 ", b"1.0", b"1e3", b"0x10", b"1,2", b"abc",
    b"\xb2",  # superscript two in latin-1: str.isdigit() is true for it
    b"\xbd",  # one half: str.isnumeric() is true for it
)


def numeric_lengths(size: int) -> tuple[bytes, ...]:
    """Decimal Content-Length values for a body of `size` bytes: wrong, padded, over the
    cap. (In-process the app reads what `receive` gives whatever the header says; the
    ASGI server enforces the framing.)"""
    numbers = (max(size - 1, 0), size + 1, 0, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, 2**64, 10**40)
    return (*(str(n).encode() for n in numbers), b"0" + str(size).encode())


@dataclass(frozen=True, slots=True)
class AuthRequest:
    content_length: bytes | None
    content_type: bytes | None
    chunks: tuple[bytes, ...]

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(b"host", b"ihp.test")]
        if self.content_length is not None:
            headers.append((b"content-length", self.content_length))
        if self.content_type is not None:
            headers.append((b"content-type", self.content_type))
        return headers


def parse_request(data: bytes) -> AuthRequest:
    flags, type_index, parameter, split = (data[:PREFIX_BYTES] + bytes(PREFIX_BYTES))[:4]
    body = data[PREFIX_BYTES:]
    pad = flags >> 2
    if pad >= PAD_CODES:
        body += b" " * (MAX_BODY_BYTES + pad - PAD_CODES - 1 - len(body))
    mode = flags & 3
    length: bytes | None = None
    if mode == 1:
        length = str(len(body)).encode()
    elif mode == 2:
        numbers = numeric_lengths(len(body))
        length = numbers[parameter % len(numbers)]
    elif mode == 3:
        length = NOT_A_NUMBER[parameter % len(NOT_A_NUMBER)]
    chunks: tuple[bytes, ...] = (body,)
    if split:
        cut = split * (len(body) + 1) // 256
        chunks = (body[:cut], body[cut:])
    return AuthRequest(length, CONTENT_TYPES[type_index % len(CONTENT_TYPES)], chunks)


def encode_request(body: bytes, *, length_mode: int = 1, content_type: int = 1,
                   parameter: int = 0, split: int = 0, pad: int = 0) -> bytes:
    """The input `parse_request` reads back as this request (`pad`: 0, or 60..63)."""
    return bytes([length_mode | pad << 2, content_type, parameter, split]) + body


@dataclass(slots=True)
class Reply:
    """What the app sent: status and headers of `http.response.start`, the body, and
    any breach of the ASGI message order."""

    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    problems: list[str] = field(default_factory=list)
    complete: bool = False


def _scope(request: AuthRequest) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/ihp/auth",
            "raw_path": b"/ihp/auth", "root_path": "", "query_string": b"",
            "headers": request.headers(), "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080)}


async def exchange(app: App, request: AuthRequest) -> Reply:
    """`POST /ihp/auth` through `app` in-process. Exceptions out of the app propagate."""
    messages: list[Message] = [{"type": "http.request", "body": chunk,
                                "more_body": index < len(request.chunks) - 1}
                               for index, chunk in enumerate(request.chunks)]
    messages.reverse()
    reply = Reply()

    async def receive() -> Message:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if reply.status is not None:
                reply.problems.append("start-twice")
            reply.status = message["status"]
            reply.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", ())]
        elif kind == "http.response.body":
            if reply.status is None or reply.complete:
                reply.problems.append("body-out-of-order")
            reply.body += message.get("body", b"")
            reply.complete = not message.get("more_body", False)
        else:
            reply.problems.append(f"unexpected-{kind}")

    await app(_scope(request), receive, send)
    # a body read that stopped early leaves an async generator whose `aclose()` the loop
    # schedules: run it now, not in the next input's exchange
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return reply
