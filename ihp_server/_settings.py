"""Server settings from flags, environment and a TOML file (flags win, then environment,
then the file, then defaults). The table `SETTINGS` is the one place that says which
flag, variable and TOML key set each field; docs/RUNBOOK.md quotes it."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ihp_ref import DEFAULT_REPLAY_CAPACITY, IhpConfig, KeyRing, ServerEnvHash

from ._connections import TIMEOUTS, ConnectionLimits
from ._keysource import KeySource, KeySourceError

__all__ = [
    "ENV_HASH_MISMATCH_MODES",
    "SETTINGS",
    "ServerSettings",
    "Setting",
    "SettingsError",
    "load_keyring_file",
    "load_settings",
    "settings_from_mapping",
]


class SettingsError(ValueError):
    """Invalid configuration; the message names the field, never a secret value."""


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    flag: str
    env: str
    toml: str  # dotted path in the TOML file
    parse: Callable[[Any], Any]
    help: str


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("not an integer")
    return value if isinstance(value, int) else int(str(value), 10)


def _versions(value: Any) -> frozenset[int]:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return frozenset(_int(v) for v in items if str(v).strip())


def _hex(value: Any) -> bytes:
    return bytes.fromhex(str(value))


def _text(value: Any) -> str:
    return str(value)


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("not a number")
    return float(value) if isinstance(value, int | float) else float(str(value))


def _env_hash(value: Any) -> ServerEnvHash:
    text = str(value)
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise ValueError("not 64 hex characters")
    return ServerEnvHash(bytes.fromhex(text))


ENV_HASH_MISMATCH_MODES = ("refuse", "warn")


def _mismatch_mode(value: Any) -> str:
    if str(value) not in ENV_HASH_MISMATCH_MODES:
        raise ValueError("not refuse or warn")
    return str(value)


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "--host", "IHP_SERVER_HOST", "host", _text, "address to bind"),
    Setting("port", "--port", "IHP_SERVER_PORT", "port", _int, "TCP port"),
    Setting("server_profile_id", "--server-profile-id", "IHP_SERVER_PROFILE_ID",
            "server_profile_id", _int, "the server's profile id (u64)"),
    Setting("master_key_hex", "--master-key-hex", "IHP_MASTER_KEY_HEX", "master_key_hex",
            _text, "K_master as 64 hex characters (tests: visible in the process list)"),
    Setting("master_key", "--master-key", "IHP_MASTER_KEY", "master_key", _text,
            "K_master source: file:PATH, env:NAME, provider:module:callable"),
    Setting("keyring", "--keyring", "IHP_KEYRING", "keyring", _text,
            "key ring TOML file (current + previous keys), managed by `ihp-server rotate`"),
    Setting("test_tls_exporter_hex", "--test-tls-exporter-hex", "IHP_TEST_TLS_EXPORTER_HEX",
            "test_tls_exporter_hex", _hex, "TEST MODE: fixed TLS exporter key, plain HTTP"),
    Setting("tls_cert", "--tls-cert", "IHP_TLS_CERT", "tls.cert", _text, "PEM certificate chain"),
    Setting("tls_key", "--tls-key", "IHP_TLS_KEY", "tls.key", _text, "PEM private key"),
    Setting("max_timestamp_drift", "--max-timestamp-drift", "IHP_MAX_TIMESTAMP_DRIFT",
            "protocol.max_timestamp_drift", _int, "seconds (0..604800)"),
    Setting("allowed_versions", "--allowed-versions", "IHP_ALLOWED_VERSIONS",
            "protocol.allowed_versions", _versions, "comma-separated, e.g. 1 or 1,2"),
    Setting("max_payload_bytes", "--max-payload-bytes", "IHP_MAX_PAYLOAD_BYTES",
            "protocol.max_payload_bytes", _int, "1..65536"),
    Setting("max_fingerprint_bytes", "--max-fingerprint-bytes", "IHP_MAX_FINGERPRINT_BYTES",
            "protocol.max_fingerprint_bytes", _int, "1..4096"),
    Setting("replay_capacity", "--replay-capacity", "IHP_REPLAY_CAPACITY", "replay.capacity",
            _int, "replay guard entries before it fails closed"),
    Setting("log_level", "--log-level", "IHP_LOG_LEVEL", "log_level", _text, "info, debug…"),
    Setting("expect_env_hash", "--expect-env-hash", "IHP_EXPECT_ENV_HASH", "expect_env_hash",
            _env_hash, "64 hex characters: the ServerEnvHash the profile id was issued for "
            "(docs/RUNBOOK.md#profile-id-lifecycle)"),
    Setting("env_hash_mismatch", "--env-hash-mismatch", "IHP_ENV_HASH_MISMATCH",
            "env_hash_mismatch", _mismatch_mode,
            "refuse (default: exit 3) or warn (log env_hash_mismatch and serve)"),
    Setting("max_connections", "--max-connections", "IHP_MAX_CONNECTIONS",
            "limits.max_connections", _int, "HTTPS connection slots (default 4096)"),
    *(Setting(name, "--" + name.replace("_", "-"), "IHP_" + name.upper(), "limits." + name,
              _seconds, help_text) for name, help_text in zip(TIMEOUTS, (
                  "seconds for the whole TLS handshake (default 10)",
                  "seconds for the whole request head (default 10)",
                  "seconds for the whole request body (default 30)",
                  "seconds a keep-alive connection may wait for its next request (default 30)",
                  "seconds to write one response (default 30)"), strict=True)),
)
_DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1", "port": 8443, "replay_capacity": DEFAULT_REPLAY_CAPACITY,
    "log_level": "info", "env_hash_mismatch": "refuse",
}
_SECRET_FIELDS = frozenset({"master_key_hex", "test_tls_exporter_hex"})


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Everything `ihp-server` needs; secrets are excluded from `repr`."""

    server_profile_id: int
    keyring: KeyRing = field(repr=False)
    key_sources: tuple[str, ...]  # public descriptions, e.g. "current=file:/etc/ihp/k.hex"
    config: IhpConfig = field(default_factory=IhpConfig)
    host: str = "127.0.0.1"
    port: int = 8443
    test_tls_exporter: bytes | None = field(default=None, repr=False)
    tls_cert: str | None = None
    tls_key: str | None = None
    replay_capacity: int = DEFAULT_REPLAY_CAPACITY
    log_level: str = "info"
    expect_env_hash: ServerEnvHash | None = None
    env_hash_mismatch: str = "refuse"
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)

    @property
    def test_mode(self) -> bool:
        return self.test_tls_exporter is not None


def _lookup(doc: Mapping[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _layered(flags: Mapping[str, Any], environ: Mapping[str, str],
             toml_doc: Mapping[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = dict(_DEFAULTS)
    for setting in SETTINGS:
        for source in (_lookup(toml_doc, setting.toml), environ.get(setting.env),
                       flags.get(setting.name)):
            if source is not None:
                raw[setting.name] = source
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in raw:
            try:
                values[setting.name] = setting.parse(raw[setting.name])
            except (ValueError, TypeError):
                shown = "<secret>" if setting.name in _SECRET_FIELDS else repr(raw[setting.name])
                raise SettingsError(f"{setting.name}: invalid value {shown} "
                                    f"(expected: {setting.help})") from None
    return values


def load_keyring_file(path: Path, environ: Mapping[str, str]) -> tuple[KeyRing, tuple[str, ...]]:
    """A key ring file: ``current = "<source>"`` and ``[[previous]]`` tables with
    ``source`` and ``window_closes_at`` (Unix seconds)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        current = KeySource.parse(str(doc["current"]))
        previous = [(KeySource.parse(str(p["source"])), _int(p["window_closes_at"]))
                    for p in doc.get("previous", [])]
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise SettingsError(f"keyring {path}: {exc.__class__.__name__}") from None
    ring = KeyRing(current.load(environ), tuple((s.load(environ), t) for s, t in previous))
    described = (f"current={current!r}",
                 *(f"previous={s!r} closes_at={t}" for s, t in previous))
    return ring, described


def _keyring(values: Mapping[str, Any],
             environ: Mapping[str, str]) -> tuple[KeyRing, tuple[str, ...]]:
    chosen = [k for k in ("master_key_hex", "master_key", "keyring") if values.get(k)]
    if len(chosen) != 1:
        raise SettingsError("give exactly one of master_key_hex, master_key, keyring")
    try:
        if chosen[0] == "keyring":
            return load_keyring_file(Path(values["keyring"]), environ)
        text = values["master_key"] if chosen[0] == "master_key" else "hex:" + values[chosen[0]]
        source = KeySource.parse(text)
        return KeyRing(source.load(environ)), (f"current={source!r}",)
    except KeySourceError as exc:
        raise SettingsError(str(exc)) from None
    except Exception as exc:  # e.g. IhpError(KeyLength): say which field, not the bytes
        raise SettingsError(f"{chosen[0]}: unusable key ({exc.__class__.__name__})") from None


def settings_from_mapping(values: Mapping[str, Any], environ: Mapping[str, str]) -> ServerSettings:
    if "server_profile_id" not in values:
        raise SettingsError("server_profile_id is required")
    profile_id = values["server_profile_id"]
    if not 0 <= profile_id < 2**64:
        raise SettingsError("server_profile_id must be a u64")
    base = IhpConfig()
    config = IhpConfig(
        max_timestamp_drift=values.get("max_timestamp_drift", base.max_timestamp_drift),
        allowed_versions=values.get("allowed_versions", base.allowed_versions),
        max_payload_bytes=values.get("max_payload_bytes", base.max_payload_bytes),
        max_fingerprint_bytes=values.get("max_fingerprint_bytes", base.max_fingerprint_bytes),
    )
    try:
        config.validate()
    except Exception:
        raise SettingsError(f"protocol configuration out of range: {config}") from None
    ring, described = _keyring(values, environ)
    has_tls = bool(values.get("tls_cert")) or bool(values.get("tls_key"))
    exporter = values.get("test_tls_exporter_hex")
    if has_tls == (exporter is not None):
        raise SettingsError("give either tls_cert + tls_key (HTTPS) or test_tls_exporter_hex "
                            "(plain-HTTP test mode), not both and not neither")
    if has_tls and not (values.get("tls_cert") and values.get("tls_key")):
        raise SettingsError("tls_cert and tls_key go together")
    if values["replay_capacity"] < 1:
        raise SettingsError("replay_capacity must be positive")
    return ServerSettings(
        server_profile_id=profile_id, keyring=ring, key_sources=described, config=config,
        host=values["host"], port=values["port"], test_tls_exporter=exporter,
        tls_cert=values.get("tls_cert"), tls_key=values.get("tls_key"),
        replay_capacity=values["replay_capacity"], log_level=values["log_level"],
        expect_env_hash=values.get("expect_env_hash"),
        env_hash_mismatch=values["env_hash_mismatch"], limits=_limits(values),
    )


def _limits(values: Mapping[str, Any]) -> ConnectionLimits:
    given = {name: values[name] for name in ("max_connections", *TIMEOUTS) if name in values}
    try:
        return ConnectionLimits(**given)
    except ValueError as exc:
        raise SettingsError(f"limits: {exc}") from None


def load_settings(flags: Mapping[str, Any], environ: Mapping[str, str] | None = None,
                  config_path: str | None = None) -> ServerSettings:
    """Flags (already parsed, None = not given) over environment over TOML over defaults.
    The TOML file is `config_path`, else `$IHP_SERVER_CONFIG`, else none."""
    environ = os.environ if environ is None else environ
    path = config_path or environ.get("IHP_SERVER_CONFIG")
    doc: dict[str, Any] = {}
    if path:
        try:
            doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"config file {path}: {exc}") from None
    return settings_from_mapping(_layered(flags, environ, doc), environ)

