"""`ihp-ref-shim` keeps the ihp-shim/1 contract: every operation, argument errors with the
spec's codes, malformed requests answered (never a traceback), order kept when pipelined."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from _ref_support import FIXTURE_HEX, GOLDEN, sealed

import ihp_ref as ihp
from ihp_ref import shim
from ihp_ref.shim import PROTOCOL, ShimSession

CAPSULE = sealed(GOLDEN)
CAPSULE_ARG = {
    "version": 1, "header_id": "44", "client_nonce": GOLDEN.nonce.hex(),
    "server_profile_id": "1", "network_context": {"rtt_bucket": 5, "path_hint": 120},
    "payload": CAPSULE.payload.hex(),
}
DECRYPT_ARGS = {"capsule": CAPSULE_ARG, "env_hash": GOLDEN.env_hash.value.hex(),
                "session_key": GOLDEN.session_key().value.hex(), "now": str(GOLDEN.timestamp)}
ENCRYPT_ARGS = {
    "version": 1, "header_id": "44", "client_nonce": GOLDEN.nonce.hex(),
    "server_profile_id": "1", "network_context": {"rtt_bucket": 5, "path_hint": 120},
    "env_hash": GOLDEN.env_hash.value.hex(), "session_key": GOLDEN.session_key().value.hex(),
    "password": GOLDEN.password.hex(), "timestamp": str(GOLDEN.timestamp),
}


def _call(op: str, args: dict[str, Any]) -> dict[str, Any]:
    return ShimSession().handle({"id": 7, "op": op, "args": args})


def _error(op: str, args: dict[str, Any]) -> str:
    response = _call(op, args)
    assert response["ok"] is False, response
    return str(response["error"])


SHIM_PROTOCOL = Path(__file__).resolve().parents[1] / "spec" / "shim-protocol.md"


def _operations_table() -> dict[str, str]:
    """op -> its result cell, from the shim protocol's table of operations."""
    section = SHIM_PROTOCOL.read_text(encoding="utf-8").split("\n## Operations", 1)[1]
    rows = (re.match(r"\| `(\w+)` \| .* \| (.+) \|\Z", line.strip())
            for line in section.split("\n## ", 1)[0].splitlines())
    table = {row.group(1): row.group(2) for row in rows if row}
    assert "hello" in table and len(table) >= 13, f"operations table not found in {SHIM_PROTOCOL}"
    return table


def test_hello_answers_as_the_shim_protocol_says() -> None:
    table = _operations_table()
    expected = table["hello"]  # {"protocol": "ihp-shim/1", "implementation": str, ...}
    protocol = re.search(r'"protocol": "([^"]+)"', expected)
    assert protocol and protocol.group(1) == PROTOCOL
    response = ShimSession().handle({"id": 1, "op": "hello", "args": {"protocol": PROTOCOL}})
    assert response["id"] == 1 and response["ok"] is True
    result = response["result"]
    assert list(result) == re.findall(r'"(\w+)":', expected)
    assert result["protocol"] == PROTOCOL
    assert type(result["implementation"]) is str and result["implementation"]
    assert result["version"] == ihp.__version__
    # the reference implements every operation of the table (hello included)
    assert sorted(result["ops"]) == sorted(table)


def test_encrypt_then_decrypt_through_the_shim() -> None:
    capsule = _call("encrypt_capsule", ENCRYPT_ARGS)["result"]["capsule"]
    assert capsule == CAPSULE_ARG
    result = _call("decrypt_capsule", DECRYPT_ARGS)["result"]
    assert result == {"password": GOLDEN.password.hex(), "timestamp": str(GOLDEN.timestamp),
                      "header_id": "44"}


def test_key_derivations_through_the_shim_match_the_library() -> None:
    inputs = FIXTURE_HEX
    sep = {"cpu": "cpu:fixture", "nic": "nic:fixture", "os": "os:fixture",
           "build": "build:fixture", "tpm_quote": None}
    env_hash = _call("sep_hash", {"sep": sep})["result"]["env_hash"]
    assert env_hash == inputs.env_hash.value.hex()
    profile_key = _call("derive_profile_key", {
        "master_key": inputs.master_key.hex(), "env_hash": env_hash,
        "server_profile_id": "42"})["result"]["profile_key"]
    session_key = _call("derive_session_key", {
        "profile_key": profile_key, "tls_exporter_key": inputs.exporter.hex(),
        "client_nonce": inputs.nonce.hex(), "network_context": {"rtt_bucket": 7, "path_hint": 120},
        "server_profile_id": "42"})["result"]["session_key"]
    assert session_key == inputs.session_key().value.hex()


def test_wire_operations_through_the_shim() -> None:
    text = _call("capsule_to_json", {"capsule": CAPSULE_ARG})["result"]["json"]
    assert text == ihp.capsule_to_json(CAPSULE)
    assert _call("capsule_from_json", {"json": text})["result"]["capsule"] == CAPSULE_ARG
    hex_form = _call("capsule_to_binary", {"capsule": CAPSULE_ARG})["result"]["hex"]
    assert hex_form == ihp.capsule_to_binary(CAPSULE).hex()
    assert _call("capsule_from_binary", {"hex": hex_form})["result"]["capsule"] == CAPSULE_ARG


def test_token_rtt_and_config_through_the_shim() -> None:
    token = _call("session_token", {"session_key": "00" * 32, "client_nonce": "01" * 12,
                                    "timestamp": "5"})["result"]["token"]
    assert token == ihp.session_token(ihp.SessionKey(bytes(32)), ihp.ClientNonce(b"\x01" * 12),
                                      ihp.CapsuleTimestamp(5))
    assert _call("rtt_bucket", {"samples_ms": [12.5]})["result"] == {"bucket": 3}
    assert _call("config_validate", {"config": {}})["result"] == {}
    assert _error("config_validate", {"config": {"max_timestamp_drift": -1}}) == "Config"
    assert _error("config_validate", {"config": {"allowed_versions": []}}) == "Config"


@pytest.mark.parametrize("op,changes,code", [
    ("encrypt_capsule", {"client_nonce": "00" * 13}, "InvalidNonceLength"),
    ("encrypt_capsule", {"session_key": "00" * 31}, "KeyLength"),
    ("encrypt_capsule", {"env_hash": "00" * 33}, "Codec"),
    ("encrypt_capsule", {"network_context": {"rtt_bucket": 5, "path_hint": 70_000}}, "Codec"),
    ("encrypt_capsule", {"network_context": {"rtt_bucket": 256, "path_hint": 1}}, "Codec"),
    ("encrypt_capsule", {"timestamp": "9223372036854775808"}, "InvalidTimestamp"),
    ("encrypt_capsule", {"timestamp": "-9223372036854775808"}, "InvalidTimestamp"),
    ("encrypt_capsule", {"header_id": "-1"}, "Codec"),
    ("encrypt_capsule", {"header_id": "0x10"}, "Codec"),
    ("encrypt_capsule", {"header_id": 44}, "Codec"),
    ("encrypt_capsule", {"password": "00" * 65_537}, "Codec"),
    ("encrypt_capsule", {"version": 256}, "Codec"),
    ("encrypt_capsule", {"network_context": {"rtt_bucket": 5, "path_hint": 0}}, "Codec"),
    ("decrypt_capsule", {"session_key": "00" * 31}, "KeyLength"),
    ("decrypt_capsule", {"now": "99999999999999999999999"}, "InvalidTimestamp"),
    ("decrypt_capsule", {"env_hash": "00" * 31}, "Codec"),
    ("decrypt_capsule", {"capsule": CAPSULE_ARG | {"client_nonce": "00" * 11}},
     "InvalidNonceLength"),
    ("decrypt_capsule", {"capsule": CAPSULE_ARG | {"payload": "zz"}}, "Codec"),
    ("decrypt_capsule", {"capsule": CAPSULE_ARG | {"server_profile_id": "18446744073709551616"}},
     "Codec"),
])
def test_argument_errors_get_the_spec_codes(op: str, changes: dict[str, Any], code: str) -> None:
    base = ENCRYPT_ARGS if op == "encrypt_capsule" else DECRYPT_ARGS
    assert _error(op, base | changes) == code


@pytest.mark.parametrize("field,value", [
    ("version", -1), ("version", 256), ("header_id", "-1"), ("server_profile_id", str(2**64)),
    ("network_context", {"rtt_bucket": -1, "path_hint": 120}),
    ("network_context", {"rtt_bucket": 5, "path_hint": -1})])
def test_decrypt_step0_a_capsule_field_outside_its_type_wins_over_the_nonce_length(
        field: str, value: object) -> None:
    # spec §7.5 step 0: a capsule field outside its type → Codec; then the nonce's length
    capsule = CAPSULE_ARG | {field: value, "client_nonce": "00" * 11}
    assert _error("decrypt_capsule", DECRYPT_ARGS | {"capsule": capsule}) == "Codec"


def test_decrypt_step0_key_error_wins_over_nonce_error() -> None:
    args = DECRYPT_ARGS | {"session_key": "00",
                           "capsule": CAPSULE_ARG | {"client_nonce": "00"}}
    assert _error("decrypt_capsule", args) == "KeyLength"


def test_named_replay_guards_live_for_the_session() -> None:
    session = ShimSession()
    def decrypt(guard: str) -> dict[str, Any]:
        return session.handle({"id": 1, "op": "decrypt_capsule",
                               "args": DECRYPT_ARGS | {"replay_guard": guard}})
    assert decrypt("a")["ok"] is True
    assert decrypt("a")["error"] == "NonceReuse"
    assert decrypt("b")["ok"] is True


@pytest.mark.parametrize("request_obj", [
    [], "x", 5, None, {"id": 1}, {"id": 1, "op": "decrypt_capsule", "args": []},
    {"id": 1, "op": "decrypt_capsule", "args": {}},
    {"id": 1, "op": "capsule_from_json", "args": {"json": 5}},
    {"id": 1, "op": "sep_hash", "args": {"sep": {"cpu": 1}}},
    {"id": 1, "op": "rtt_bucket", "args": {"samples_ms": ["1"]}},
    {"id": 1, "op": "encrypt_capsule", "args": ENCRYPT_ARGS | {"config": "strict"}},
])
def test_malformed_requests_get_a_response_never_an_exception(request_obj: object) -> None:
    response = ShimSession().handle(request_obj)
    assert response["ok"] is False
    assert response.get("unsupported") is True or response["error"] in {
        code.value for code in ihp.ErrorCode}


@pytest.mark.parametrize("op", ["no_such_op", 5, None, ["hello"]])
def test_an_operation_the_shim_lacks_is_unsupported_with_the_same_id(op: object) -> None:
    # shim protocol: {"id": <same>, "ok": false, "unsupported": true}
    response = ShimSession().handle({"id": "r-7", "op": op, "args": {}})
    assert response == {"id": "r-7", "ok": False, "unsupported": True}


def test_a_request_holding_a_huge_integer_keeps_its_id() -> None:
    line = ('{"id":42,"op":"capsule_from_json","args":{"json":"{}","pad":' + "1" * 4400 + "}}")
    response = json.loads(ShimSession().handle_line(line.encode()))
    assert response["id"] == 42 and response["error"] == "Codec"


def test_subprocess_shim_answers_pipelined_requests_in_order_and_exits_zero() -> None:
    requests = [{"id": i, "op": "decrypt_capsule", "args": DECRYPT_ARGS} for i in range(50)]
    lines = [json.dumps(r) for r in requests]
    lines[10] = "this is not json"
    lines[20] = json.dumps({"id": 20, "op": "no_such_op", "args": {}})
    proc = subprocess.run(
        [sys.executable, "-m", "ihp_ref.shim"], input="\n".join(lines) + "\n",
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr
    responses = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(responses) == 50
    assert responses[10]["error"] == "Codec"
    assert responses[20] == {"id": 20, "ok": False, "unsupported": True}
    assert [r["id"] for i, r in enumerate(responses) if i != 10] == [
        i for i in range(50) if i != 10]
    assert all(r["ok"] for i, r in enumerate(responses) if i not in (10, 20))


# -- arguments of the wrong JSON type: the spec's code, never ShimInternalError

NOT_OBJECTS = [[], "capsule", 5, None, True, 1.5]


@pytest.mark.parametrize("value", NOT_OBJECTS)
@pytest.mark.parametrize("op,args", [("decrypt_capsule", DECRYPT_ARGS),
                                     ("capsule_to_json", {}), ("capsule_to_binary", {})])
def test_a_capsule_that_is_not_an_object_is_codec(op: str, args: dict[str, Any],
                                                  value: object) -> None:
    assert _error(op, args | {"capsule": value}) == "Codec"


@pytest.mark.parametrize("value", NOT_OBJECTS)
def test_a_network_context_that_is_not_an_object_is_codec(value: object) -> None:
    assert _error("decrypt_capsule", DECRYPT_ARGS | {
        "capsule": CAPSULE_ARG | {"network_context": value}}) == "Codec"


@pytest.mark.parametrize("value", [[], "strict", 5, True])
@pytest.mark.parametrize("op,args", [("decrypt_capsule", DECRYPT_ARGS),
                                     ("encrypt_capsule", ENCRYPT_ARGS), ("config_validate", {})])
def test_a_config_that_is_not_an_object_is_config(op: str, args: dict[str, Any],
                                                  value: object) -> None:
    assert _error(op, args | {"config": value}) == "Config"


@pytest.mark.parametrize("value", [GOLDEN.timestamp, float(GOLDEN.timestamp), True, None,
                                   [str(GOLDEN.timestamp)], " 1", "1.0", "+1", ""])
@pytest.mark.parametrize("op,key,args", [("decrypt_capsule", "now", DECRYPT_ARGS),
                                         ("encrypt_capsule", "timestamp", ENCRYPT_ARGS)])
def test_a_timestamp_that_is_not_a_decimal_string_is_codec(
        op: str, key: str, args: dict[str, Any], value: object) -> None:
    assert _error(op, args | {key: value}) == "Codec"


@pytest.mark.parametrize("value", ["9" * 41, "-" + "9" * 41, "1" + "0" * 400, "-0" + "9" * 60])
@pytest.mark.parametrize("op,key,args", [("decrypt_capsule", "now", DECRYPT_ARGS),
                                         ("encrypt_capsule", "timestamp", ENCRYPT_ARGS),
                                         ("session_token", "timestamp", {})])
def test_a_decimal_timestamp_of_any_length_outside_i64_is_invalid_timestamp(
        op: str, key: str, args: dict[str, Any], value: str) -> None:
    # docs/INTERPRETATIONS.md: a decimal string outside i64 is InvalidTimestamp, however long
    base = args or {"session_key": "00" * 32, "client_nonce": "00" * 12}
    assert _error(op, base | {key: value}) == "InvalidTimestamp"


def _line_error(op: str, args: dict[str, Any], key: str, number: str) -> dict[str, Any]:
    """The response to a request whose `key` is the bare JSON number `number`."""
    text = json.dumps({"id": 3, "op": op, "args": args | {key: "@"}})
    response: dict[str, Any] = json.loads(
        ShimSession().handle_line(text.replace('"@"', number).encode()))
    return response


@pytest.mark.parametrize("digits", [1, 19, 40, 41, 60, 5000])
@pytest.mark.parametrize("op,key,args", [("decrypt_capsule", "now", DECRYPT_ARGS),
                                         ("encrypt_capsule", "timestamp", ENCRYPT_ARGS),
                                         ("encrypt_capsule", "header_id", ENCRYPT_ARGS),
                                         ("encrypt_capsule", "client_nonce", ENCRYPT_ARGS)])
def test_a_json_number_of_any_length_where_a_string_is_due_is_codec(
        op: str, key: str, args: dict[str, Any], digits: int) -> None:
    # past 40 digits the shim keeps a number as its digits: still a number, not a string
    response = _line_error(op, args, key, "9" * digits)
    assert (response["id"], response["ok"], response["error"]) == (3, False, "Codec")


@pytest.mark.parametrize("digits", [41, 400])
def test_a_long_number_where_a_small_integer_is_due_is_codec(digits: int) -> None:
    response = _line_error("encrypt_capsule", ENCRYPT_ARGS, "version", "1" * digits)
    assert response["error"] == "Codec"


@pytest.mark.parametrize("digits", [40, 41])
def test_an_id_is_echoed_as_a_number_up_to_40_digits_and_past_them_as_its_digits(
        digits: int) -> None:
    line = '{"id":' + "7" * digits + ',"op":"capsule_from_json","args":{"json":"{}"}}'
    response = json.loads(ShimSession().handle_line(line.encode()))
    echoed = int("7" * digits) if digits <= 40 else "7" * digits
    assert response == {"id": echoed, "ok": False, "error": "Codec",
                        "detail": ihp.ErrorCode.CODEC.message}


# -- replay_guard_capacity (shim protocol: a named guard sized when first used)

def _other_capsule(nonce: bytes, timestamp: int) -> dict[str, Any]:
    """Decrypt arguments of another capsule of GOLDEN's session (own nonce and time)."""
    inputs = replace(GOLDEN, nonce=nonce, timestamp=timestamp)
    capsule = sealed(inputs)
    return DECRYPT_ARGS | {"session_key": inputs.session_key().value.hex(), "capsule": {
        **CAPSULE_ARG, "client_nonce": nonce.hex(), "payload": capsule.payload.hex()}}


def test_a_sized_guard_fails_closed_when_full_until_its_oldest_entry_is_dead() -> None:
    session = ShimSession()
    t0 = GOLDEN.timestamp

    def decrypt(args: dict[str, Any], now: int, **guard: object) -> str:
        response = session.handle({"id": 1, "op": "decrypt_capsule", "args": args | {
            "now": str(now), "replay_guard": "g", **guard}})
        return "ok" if response["ok"] else str(response["error"])

    first, second = _other_capsule(b"\x01" * 12, t0), _other_capsule(b"\x02" * 12, t0 + 10)
    third = _other_capsule(b"\x03" * 12, t0 + 300)
    assert decrypt(first, t0, replay_guard_capacity=2) == "ok"
    assert decrypt(second, t0 + 10) == "ok"
    # full: the first entry is live up to t0 + 300 (now = ts + drift), so fail closed
    assert decrypt(third, t0 + 300, replay_guard_capacity=2) == "NonceReuse"
    assert decrypt(third, t0 + 301) == "ok"  # the first is dead at t0 + 301: forgotten
    assert decrypt(second, t0 + 301) == "NonceReuse"  # a replay, still live


@pytest.mark.parametrize("guard,code", [
    ({"replay_guard_capacity": 2}, "Codec"),  # a capacity without a guard
    ({"replay_guard": "g", "replay_guard_capacity": 0}, "Codec"),
    ({"replay_guard": "g", "replay_guard_capacity": 65_537}, "Codec"),
    ({"replay_guard": "g", "replay_guard_capacity": -1}, "Codec"),
    ({"replay_guard": "g", "replay_guard_capacity": 2.0}, "Codec"),
    ({"replay_guard": "g", "replay_guard_capacity": True}, "Codec"),
    ({"replay_guard": "g", "replay_guard_capacity": "2"}, "Codec"),
    ({"replay_guard": 5}, "Codec"),
])
def test_replay_guard_argument_errors_are_codec(guard: dict[str, Any], code: str) -> None:
    assert _error("decrypt_capsule", DECRYPT_ARGS | guard) == code


@pytest.mark.parametrize("capacity", [1, 65_536])
def test_a_guard_keeps_the_capacity_it_was_made_with(capacity: int) -> None:
    session = ShimSession()

    def decrypt(**guard: object) -> dict[str, Any]:
        return session.handle({"id": 1, "op": "decrypt_capsule",
                               "args": DECRYPT_ARGS | {"replay_guard": "g", **guard}})
    assert decrypt(replay_guard_capacity=capacity)["ok"] is True
    assert decrypt(replay_guard_capacity=capacity)["error"] == "NonceReuse"  # same: fine
    other = 2 if capacity == 1 else 1
    assert decrypt(replay_guard_capacity=other)["error"] == "Codec"


@pytest.mark.parametrize("key", ["cpu", "nic", "os", "build", "tpm_quote"])
@pytest.mark.parametrize("value", [1, ["cpu:a"], {"a": 1}, True])
def test_a_sep_field_of_the_wrong_json_type_is_codec(key: str, value: object) -> None:
    sep = {"cpu": "cpu:a", "nic": "nic:b", "os": "os:c", "build": "build:d", "tpm_quote": None}
    assert _error("sep_hash", {"sep": sep | {key: value}}) == "Codec"


@pytest.mark.parametrize("value", NOT_OBJECTS)
def test_a_sep_that_is_not_an_object_is_codec(value: object) -> None:
    assert _error("sep_hash", {"sep": value}) == "Codec"


def test_a_bug_in_an_operation_is_shim_internal_error_and_keeps_the_id(
        monkeypatch: pytest.MonkeyPatch) -> None:
    session = ShimSession()

    def broken(args: object) -> dict[str, Any]:
        raise RuntimeError("a bug")
    monkeypatch.setitem(session._ops, "rtt_bucket", broken)
    response = session.handle({"id": 9, "op": "rtt_bucket", "args": {}})
    assert response == {"id": 9, "ok": False, "error": "ShimInternalError",
                        "detail": "RuntimeError"}


@pytest.mark.parametrize("stdout_fails", [False, True])
def test_main_serves_stdin_until_it_closes_and_returns_zero(
        monkeypatch: pytest.MonkeyPatch, stdout_fails: bool) -> None:
    # `ihp-ref-shim` exits 0 at the end of its input, and when the runner hangs up on it
    class Closed(io.BytesIO):
        def write(self, data: object) -> int:
            raise BrokenPipeError
    stdout = Closed() if stdout_fails else io.BytesIO()
    request = json.dumps({"id": 3, "op": "hello", "args": {"protocol": PROTOCOL}})
    # main() reads and writes the binary buffers of sys.stdin and sys.stdout
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(request.encode() + b"\n")))
    monkeypatch.setattr(sys, "stdout", SimpleNamespace(buffer=stdout))
    assert shim.main() == 0
    if not stdout_fails:
        assert json.loads(stdout.getvalue())["result"]["protocol"] == PROTOCOL


@pytest.mark.parametrize("value", ["0x00", "0X00", "zz", " 00", "00 ", "0", "é0", "0\n"])
@pytest.mark.parametrize("key", ["session_key", "client_nonce", "password", "env_hash"])
def test_a_hex_argument_that_is_not_an_even_run_of_hex_digits_is_codec(key: str,
                                                                       value: str) -> None:
    # the shim protocol's "hex": lower- or upper-case digits, two a byte, nothing else
    assert _error("encrypt_capsule", ENCRYPT_ARGS | {key: value}) == "Codec"


@pytest.mark.parametrize("samples", [5, None, "12", {"a": 1}, [True], ["5"], [None], [[1]]])
def test_rtt_samples_of_the_wrong_json_type_are_codec(samples: object) -> None:
    assert _error("rtt_bucket", {"samples_ms": samples}) == "Codec"


@pytest.mark.parametrize("versions", [5, None, "1", {"1": 1}, [1.0], [True], ["1"], [[1]]])
def test_allowed_versions_of_the_wrong_json_type_make_the_config_invalid(
        versions: object) -> None:
    assert _error("config_validate", {"config": {"allowed_versions": versions}}) == "Config"
