"""`ShimClient`: pipelined requests in order without deadlock, per-request timeout, and a
clear error (with the completed responses and stderr) when the shim breaks the protocol."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from conformance.shimclient import (
    ShimClient,
    ShimCrashed,
    ShimProtocolError,
    ShimStartError,
    ShimTimeout,
)

_REF_SHIM = str(Path(sys.executable).parent / "ihp-ref-shim")


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_pipelining_many_large_requests_does_not_deadlock() -> None:
    big = "ab" * 60_000  # 120 kB of hex per request and per response
    requests = [("capsule_to_binary", {"capsule": {
        "version": 1, "header_id": str(i), "client_nonce": "01" * 12, "server_profile_id": "1",
        "network_context": {"rtt_bucket": 5, "path_hint": 120}, "payload": big}})
        for i in range(200)]  # fmt: skip
    with ShimClient([_REF_SHIM], timeout=30) as client:
        assert "capsule_to_binary" in client.hello()["ops"]
        responses = client.call_many(requests)
    assert [r["ok"] for r in responses] == [True] * 200
    assert all(r["result"]["hex"].endswith(big) for r in responses)


def test_string_command_is_split_like_a_shell() -> None:
    with ShimClient(shlex.join([_REF_SHIM])) as client:
        assert client.call("rtt_bucket", {"samples_ms": [12.5] * 4})["result"] == {"bucket": 3}


def test_silence_is_a_timeout_with_stderr() -> None:
    code = "import sys,time; print('stuck', file=sys.stderr, flush=True); time.sleep(30)"
    client = ShimClient(_py(code), timeout=0.5)
    with pytest.raises(ShimTimeout) as exc:
        client.call("hello", {})
    assert "stuck" in exc.value.stderr
    assert not client.alive


def test_exit_is_a_crash_and_keeps_completed_responses() -> None:
    code = (
        "import sys,json\n"
        "for n,l in enumerate(sys.stdin):\n"
        "  r=json.loads(l)\n"
        "  if n==2: sys.exit(5)\n"
        "  print(json.dumps({'id':r['id'],'ok':True,'result':{}}),flush=True)\n"
    )
    with pytest.raises(ShimCrashed) as exc:
        ShimClient(_py(code), timeout=5).call_many([("x", {})] * 5)
    assert len(exc.value.completed) == 2
    assert "status 5" in str(exc.value)


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[1,2]",
        '{"id": 99, "ok": true, "result": {}}',
        '{"id": 0, "ok": 1}',
        '{"id": 0, "ok": true}',
        '{"id": 0, "ok": false}',
    ],
)
def test_garbage_is_a_protocol_error(line: str) -> None:
    code = f"import sys; sys.stdin.readline(); print({line!r}, flush=True); sys.stdin.read()"
    with pytest.raises(ShimProtocolError):
        ShimClient(_py(code), timeout=5).call("x", {})


def test_missing_command_is_a_start_error(tmp_path: Path) -> None:
    with pytest.raises(ShimStartError):
        ShimClient([str(tmp_path / "nope")])
    with pytest.raises(ShimStartError):
        ShimClient("")


def test_close_reports_the_exit_status() -> None:
    client = ShimClient([_REF_SHIM])
    client.hello()
    assert client.close() == 0
    with pytest.raises(ShimCrashed):
        client.call("hello", {})


def test_endless_line_is_garbage_not_a_memory_sink() -> None:
    code = (
        "import sys; sys.stdin.readline(); sys.stdout.write('x' * (17 << 20)); sys.stdout.flush()"
    )
    with pytest.raises(ShimProtocolError, match="not JSON"):
        ShimClient(_py(code), timeout=10).call("x", {})
