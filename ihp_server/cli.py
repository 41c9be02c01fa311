"""`ihp-server`: serve (default; `--print-config` prints the effective configuration and
exits), `keygen`, `rotate`, `check-config`, `make-test-cert`.

Test mode, exactly as scripts rely on it::

    ihp-server --host 127.0.0.1 --port 8080 --server-profile-id 42 \\
        --master-key-hex <64 hex> --test-tls-exporter-hex <hex>
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ihp_ref import ServerEnvHash, compute_server_env_hash

from ._envpin import EXIT_ENV_HASH_MISMATCH, EnvHashCheck
from ._keyring_file import KeyRingFile, emergency_rotation, planned_rotation
from ._keysource import KeySource, KeySourceError, key_id, write_new_key_file
from ._logging import configure_logging, log_event
from ._settings import SETTINGS, ServerSettings, SettingsError, load_keyring_file, load_settings

__all__ = ["main", "server_env_hash"]

_TEST_MODE_BANNER = """\
*****************************************************************************
*  ihp-server TEST MODE: plain HTTP and a FIXED TLS exporter key.           *
*  Sessions are NOT bound to a TLS connection. Never use this in production. *
*****************************************************************************
"""
_SUBCOMMANDS = ("keygen", "rotate", "check-config", "make-test-cert")


def _serve_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="IHP v1 reference server")
    parser.add_argument("--config", help="TOML configuration file (also $IHP_SERVER_CONFIG)")
    parser.add_argument("--pid-file", help="write the process id here (for kill -HUP)")
    parser.add_argument("--print-config", action="store_true",
                        help="print the effective configuration, the detected ServerEnvHash "
                        "and whether it matches --expect-env-hash, then exit")
    for setting in SETTINGS:
        parser.add_argument(setting.flag, dest=setting.name, default=None,
                            help=f"{setting.help} (env {setting.env}, TOML {setting.toml})")
    return parser


def server_env_hash(settings: ServerSettings) -> ServerEnvHash:
    """spec §5: detected SEP (with the IHP_*_FINGERPRINT overrides), hashed."""
    from ihp_ref.hostenv import detect_server_environment_profile

    return compute_server_env_hash(detect_server_environment_profile(), settings.config)


def _key_summary(settings: ServerSettings) -> dict[str, Any]:
    ring = settings.keyring
    now = int(time.time())
    return {
        "current_key_id": key_id(ring.current),
        "previous": [{"key_id": key_id(p), "window_closes_at": t, "open": now <= t}
                     for p, t in ring.previous],
    }


def env_hash_check(settings: ServerSettings, env_hash: ServerEnvHash) -> EnvHashCheck:
    return EnvHashCheck(env_hash, settings.expect_env_hash, settings.env_hash_mismatch)


def _limits(settings: ServerSettings) -> dict[str, Any]:
    limits: dict[str, Any] = dataclasses.asdict(settings.limits)
    if settings.test_mode:  # uvicorn has no head, handshake or shedding limits
        limits["enforced"] = "test mode (uvicorn): idle_timeout only, as timeout_keep_alive"
    return limits


def _effective(settings: ServerSettings, env_hash: ServerEnvHash) -> dict[str, Any]:
    config = settings.config
    check = env_hash_check(settings, env_hash)
    return {
        "host": settings.host, "port": settings.port,
        "server_profile_id": str(settings.server_profile_id),
        "mode": "test-plain-http" if settings.test_mode else "https-tls-exporter",
        "max_timestamp_drift": config.max_timestamp_drift,
        "allowed_versions": sorted(config.allowed_versions),
        "max_payload_bytes": config.max_payload_bytes,
        "max_fingerprint_bytes": config.max_fingerprint_bytes,
        "replay_capacity": settings.replay_capacity,
        **check.summary(), "connection_limits": _limits(settings),
        "key_sources": list(settings.key_sources), **_key_summary(settings),
    }


def _load(argv: Sequence[str], prog: str) -> tuple[ServerSettings, argparse.Namespace]:
    args = _serve_parser(prog).parse_args(argv)
    flags = {s.name: getattr(args, s.name) for s in SETTINGS}
    return load_settings(flags, config_path=args.config), args


def _install_reload(app: Any, ring_path: str | None) -> None:
    """SIGHUP re-reads the key ring file (rotation without losing the replay guard)."""
    if not ring_path:
        return

    def reload(signum: int, frame: Any) -> None:
        try:
            ring, described = load_keyring_file(Path(ring_path), os.environ)
            app.state.ihp.authenticator.set_keyring(ring)
            log_event("keyring_reloaded", key_sources=list(described),
                      current_key_id=key_id(ring.current))
        except Exception as exc:  # keep serving with the old ring
            log_event("keyring_reload_failed", logging.ERROR, error=exc.__class__.__name__)

    signal.signal(signal.SIGHUP, reload)


def _toml_keyring(args: argparse.Namespace) -> str | None:
    path = args.config or os.environ.get("IHP_SERVER_CONFIG")
    if not path:
        return None
    import tomllib

    value = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("keyring")
    return str(value) if value else None


def _serve(argv: Sequence[str]) -> int:
    try:
        settings, args = _load(argv, "ihp-server")
    except SettingsError as exc:
        print(f"ihp-server: {exc}", file=sys.stderr)
        return 2
    if args.print_config:
        print(json.dumps(_effective(settings, server_env_hash(settings)), indent=2))
        return 0
    from ._app import create_app  # here, not above: the other commands start without it
    from ._tracing import configure_tracing

    configure_logging(settings.log_level)
    try:  # before create_app: the app takes its spans from the provider set here
        exporter = configure_tracing()
    except RuntimeError as exc:
        print(f"ihp-server: {exc}", file=sys.stderr)
        return 2
    env_hash = server_env_hash(settings)
    if _refused(settings, env_hash):
        return EXIT_ENV_HASH_MISMATCH
    app = create_app(settings, env_hash)
    if exporter is not None:
        log_event("tracing", exporter=exporter)
    _install_reload(app, args.keyring or os.environ.get("IHP_KEYRING") or _toml_keyring(args))
    if args.pid_file:
        Path(args.pid_file).write_text(f"{os.getpid()}\n")
    log_event("starting", **{k: v for k, v in _effective(settings, env_hash).items()
                             if k != "key_sources"})
    return _run_test_mode(app, settings) if settings.test_mode else _run_https(app, settings)


def _refused(settings: ServerSettings, env_hash: ServerEnvHash) -> bool:
    """A pinned ServerEnvHash that the host no longer has: log it; refuse unless told to
    warn only (docs/RUNBOOK.md#profile-id-lifecycle)."""
    check = env_hash_check(settings, env_hash)
    if check.matches is not False:
        return False
    message = check.message(settings.server_profile_id)
    log_event("env_hash_mismatch", logging.ERROR if check.refuses else logging.WARNING,
              **check.summary(), server_profile_id=str(settings.server_profile_id),
              action="refused" if check.refuses else "serving")
    if check.refuses:
        print(f"ihp-server: {message}", file=sys.stderr)
    return check.refuses


def _freeze_start_up() -> None:
    """What start-up made (modules, the app, its settings) lives as long as the process:
    no collection while serving needs to scan it again, nor the one at exit (0.14 CPU-s
    of every shutdown)."""
    gc.freeze()


def _run_test_mode(app: Any, settings: ServerSettings) -> int:
    import uvicorn

    sys.stderr.write(_TEST_MODE_BANNER)
    log_event("test_mode", logging.WARNING,
              detail="plain HTTP with a fixed TLS exporter key: not for production")
    _freeze_start_up()
    # uvicorn's only connection deadline runs between keep-alive requests: no handshake
    # (no TLS here), head or body deadline, no shedding (its limit_concurrency answers 503
    # to everyone once attackers hold the slots, so it stays unset)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None,
                access_log=False, server_header=False, lifespan="off",
                timeout_keep_alive=math.ceil(settings.limits.idle_timeout))
    return 0


def _run_https(app: Any, settings: ServerSettings) -> int:
    from OpenSSL import SSL

    from ._tls import server_context
    from .https import run_https

    assert settings.tls_cert and settings.tls_key
    try:
        server_context(settings.tls_cert, settings.tls_key)  # fail now, with a clear message
        _freeze_start_up()
        run_https(app, host=settings.host, port=settings.port, cert=settings.tls_cert,
                  key=settings.tls_key, limits=settings.limits, metrics=app.state.ihp.metrics)
    except (SSL.Error, OSError) as exc:
        log_event("cannot_serve", logging.ERROR, error=exc.__class__.__name__)
        print(f"ihp-server: cannot serve HTTPS: {exc.__class__.__name__}: {exc}",
              file=sys.stderr)
        return 2
    return 0


def _check_config(argv: Sequence[str]) -> int:
    try:
        settings, _ = _load(argv, "ihp-server check-config")
    except SettingsError as exc:
        print(f"ihp-server check-config: {exc}", file=sys.stderr)
        return 2
    env_hash = server_env_hash(settings)
    print(json.dumps(_effective(settings, env_hash), indent=2))
    check = env_hash_check(settings, env_hash)
    if check.refuses:  # the server would refuse to start: say so, as it would
        print(f"ihp-server check-config: {check.message(settings.server_profile_id)}",
              file=sys.stderr)
        return EXIT_ENV_HASH_MISMATCH
    return 0


def _keygen(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="ihp-server keygen",
                                     description="write a new random master key (hex, 0600)")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        write_new_key_file(args.out)
    except FileExistsError:
        print(f"ihp-server keygen: {args.out} exists; refusing to overwrite", file=sys.stderr)
        return 2
    source = KeySource("file", str(args.out))
    print(json.dumps({"written": str(args.out), "key_id": key_id(source.load())}))
    return 0


def _rotate(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="ihp-server rotate",
                                     description="rotate the master key in a key ring file")
    parser.add_argument("--keyring", required=True, type=Path)
    parser.add_argument("--new-key", required=True, help="source: file:PATH, env:NAME, …")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--window-seconds", type=int,
                      help="planned: keep accepting the old key this long")
    mode.add_argument("--emergency", action="store_true",
                      help="compromised key: drop the old and all previous keys now")
    parser.add_argument("--now", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        new = KeySource.parse(args.new_key)
        new_id = key_id(new.load())
        if args.keyring.exists():
            ring = KeyRingFile.read(args.keyring)
        else:
            print("ihp-server rotate: no key ring file; use ihp-server keygen and write "
                  "`current = \"file:…\"` first", file=sys.stderr)
            return 2
        now = int(time.time()) if args.now is None else args.now
        rotated = (emergency_rotation(ring, new) if args.emergency
                   else planned_rotation(ring, new, now, args.window_seconds))
    except (KeySourceError, ValueError, KeyError, OSError) as exc:
        print(f"ihp-server rotate: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 2
    rotated.write(args.keyring)
    print(json.dumps({"keyring": str(args.keyring), "current_key_id": new_id,
                      "previous": [{"source": repr(s), "window_closes_at": t}
                                   for s, t in rotated.previous],
                      "next_step": "kill -HUP <ihp-server pid> (or restart)"}))
    return 0


def _make_test_cert(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="ihp-server make-test-cert",
                                     description="throwaway CA + localhost cert (tests only)")
    parser.add_argument("--out-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    from ._certs import make_throwaway_certificate

    made = make_throwaway_certificate(args.out_dir)
    print(json.dumps({"ca": str(made.ca_cert), "cert": str(made.cert), "key": str(made.key)}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in _SUBCOMMANDS:
        handler = {"keygen": _keygen, "rotate": _rotate, "check-config": _check_config,
                   "make-test-cert": _make_test_cert}[argv[0]]
        return handler(argv[1:])
    return _serve(argv)


if __name__ == "__main__":
    raise SystemExit(main())
