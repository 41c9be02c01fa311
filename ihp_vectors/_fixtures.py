"""The spec §17 fixture inputs, and the keys and capsules they give through the reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._build import Handler, Row, call
from ._enc import dec, hx, network

__all__ = ["GOLDEN_HEX", "GOLDEN_JSON", "Fixture", "fixture_keys", "ktv_rows"]

_EXPORTER = b"tls exporter key material"


@dataclass(frozen=True)
class Fixture:
    """One §17 fixture: its inputs, in the protocol's words."""

    name: str
    master_key: bytes
    sep: dict[str, Any] | None  # None: the ServerEnvHash is given directly
    env_hash: bytes | None
    server_profile_id: int
    client_nonce: bytes
    rtt_bucket: int
    path_hint: int
    tls_exporter_key: bytes
    password: bytes
    timestamp: int
    header_id: int
    version: int = 1


# spec §17, golden_capsule_v1.json
GOLDEN_JSON = Fixture(
    name="golden_capsule_v1",
    master_key=b"IHP deterministic master keyseed",
    sep=None,
    env_hash=b"\x42" * 32,
    server_profile_id=1,
    client_nonce=b"\x01" * 12,
    rtt_bucket=5,
    path_hint=120,
    tls_exporter_key=_EXPORTER,
    password=b"known-answer",
    timestamp=1_700_000_123,
    header_id=44,
)

# spec §17, capsule_v1.hex
GOLDEN_HEX = Fixture(
    name="capsule_v1",
    master_key=b"master key material for ihp pro!",
    sep={
        "cpu": "cpu:fixture",
        "nic": "nic:fixture",
        "os": "os:fixture",
        "build": "build:fixture",
        "tpm_quote": None,
    },
    env_hash=None,
    server_profile_id=42,
    client_nonce=b"\x07" * 12,
    rtt_bucket=7,
    path_hint=120,
    tls_exporter_key=_EXPORTER,
    password=b"fixture payload",
    timestamp=1_700_000_000,
    header_id=99,
)


def fixture_keys(handle: Handler, fixture: Fixture) -> dict[str, Any]:
    """env_hash, profile_key, session_key (hex) and the capsule (shim object) of a fixture."""
    if fixture.env_hash is not None:
        env_hash = hx(fixture.env_hash)
    else:
        env_hash = call(handle, "sep_hash", {"sep": fixture.sep})["env_hash"]
    profile_key = call(
        handle,
        "derive_profile_key",
        {
            "master_key": hx(fixture.master_key),
            "env_hash": env_hash,
            "server_profile_id": dec(fixture.server_profile_id),
        },
    )["profile_key"]
    net = network(fixture.rtt_bucket, fixture.path_hint)
    session_key = call(
        handle,
        "derive_session_key",
        {
            "profile_key": profile_key,
            "tls_exporter_key": hx(fixture.tls_exporter_key),
            "client_nonce": hx(fixture.client_nonce),
            "network_context": net,
            "server_profile_id": dec(fixture.server_profile_id),
        },
    )["session_key"]
    capsule = call(
        handle,
        "encrypt_capsule",
        {
            "config": {},
            "version": fixture.version,
            "header_id": dec(fixture.header_id),
            "client_nonce": hx(fixture.client_nonce),
            "server_profile_id": dec(fixture.server_profile_id),
            "network_context": net,
            "env_hash": env_hash,
            "session_key": session_key,
            "password": hx(fixture.password),
            "timestamp": dec(fixture.timestamp),
        },
    )["capsule"]
    return {
        "env_hash": env_hash,
        "profile_key": profile_key,
        "session_key": session_key,
        "capsule": capsule,
    }


def ktv_rows(
    handle: Handler, comment: str, args: Callable[[Fixture, dict[str, Any]], dict[str, Any]]
) -> list[Row]:
    """One valid row per §17 fixture (id: its name, flag Ktv, its 17.golden-* rule).

    `args(fixture, keys)` gives the row's arguments from the fixture and its `fixture_keys`;
    `comment` is formatted with the fixture's `name`.
    """
    return [
        Row(
            tc=fixture.name,
            comment=comment.format(name=fixture.name),
            args=args(fixture, fixture_keys(handle, fixture)),
            flags=("Ktv",),
            rules=(rule,),
        )
        for fixture, rule in ((GOLDEN_JSON, "17.golden-json"), (GOLDEN_HEX, "17.golden-hex"))
    ]
