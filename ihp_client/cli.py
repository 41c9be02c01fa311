"""`ihp-client`: fetch the profile, measure the RTT bucket, build a capsule for a password,
send it, print the outcome as one JSON line. Exit 0 accepted, 1 rejected, 2 usage/error.

    ihp-client --base-url https://ihp.example:8443 --cacert ca.pem \\
        --master-key file:/etc/ihp/master.hex --password-env IHP_PASSWORD
    ihp-client --base-url http://127.0.0.1:8080 --master-key-hex <64 hex> \\
        --test-tls-exporter-hex <hex> --password-stdin          # test mode
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from ihp_ref import IhpError, InMemoryKeyProvider, MasterKeyProvider

from ._api import ProfileError, authenticate
from ._http import TlsOptions

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ihp-client", description="IHP v1 client")
    parser.add_argument("--base-url", required=True)
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--master-key-hex", help="64 hex (tests: visible in the process list)")
    key.add_argument("--master-key", help="source: file:PATH or env:NAME (hex or base64)")
    pwd = parser.add_mutually_exclusive_group(required=True)
    pwd.add_argument("--password-env", metavar="NAME", help="read the password from $NAME")
    pwd.add_argument("--password-file", metavar="PATH")
    pwd.add_argument("--password-stdin", action="store_true")
    parser.add_argument("--test-tls-exporter-hex", help="plain-HTTP test mode exporter key")
    parser.add_argument("--cacert", help="CA bundle to verify the server (HTTPS)")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the server certificate (throwaway tests only)")
    parser.add_argument("--rtt-bucket", type=int, help="skip measuring; use this bucket")
    parser.add_argument("--path-hint", type=int, default=120)
    parser.add_argument("--timeout", type=float, default=10.0)
    return parser


def _master(args: argparse.Namespace) -> MasterKeyProvider:
    from ihp_server import KeySource, decode_key_text  # one parser for key text

    if args.master_key_hex:
        return InMemoryKeyProvider(decode_key_text(args.master_key_hex))
    return KeySource.parse(args.master_key).load()


def _password(args: argparse.Namespace) -> bytes:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise ValueError(f"${args.password_env} is not set")
        return value.encode("utf-8")
    if args.password_file:
        with open(args.password_file, "rb") as handle:
            return handle.read().rstrip(b"\r\n")
    return sys.stdin.buffer.read().rstrip(b"\r\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        master = _master(args)
        password = _password(args)
        exporter = (bytes.fromhex(args.test_tls_exporter_hex)
                    if args.test_tls_exporter_hex else None)
        result = authenticate(args.base_url, master, password,
                              tls=TlsOptions(args.cacert, args.insecure),
                              test_exporter_key=exporter, rtt_bucket=args.rtt_bucket,
                              path_hint=args.path_hint, timeout=args.timeout)
    except (ValueError, OSError, ProfileError, IhpError) as exc:
        print(json.dumps({"outcome": "error", "error": exc.__class__.__name__,
                          "detail": str(exc)}))
        return 2
    print(json.dumps({"outcome": "accepted" if result.ok else "rejected",
                      "status": result.status, "session_token": result.session_token,
                      "reason": result.reason}))
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
