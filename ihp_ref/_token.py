"""The session token (spec §10)."""

from __future__ import annotations

import base64
import struct

from ._constants import LABEL_TOKEN
from ._primitives import hkdf_sha256
from ._values import CapsuleTimestamp, ClientNonce, SessionKey

__all__ = ["session_token"]

_I64 = struct.Struct("<q")


def session_token(
    session_key: SessionKey, client_nonce: ClientNonce, timestamp: CapsuleTimestamp
) -> str:
    """base64url_nopad(HKDF(absent salt, K_session, LABEL_TOKEN ‖ nonce ‖ i64le(ts))): 43 chars.

    The server passes its own clock reading at acceptance as `timestamp`.
    """
    info = LABEL_TOKEN + client_nonce.value + _I64.pack(timestamp.seconds)
    raw = hkdf_sha256(None, session_key._buffer, info)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
