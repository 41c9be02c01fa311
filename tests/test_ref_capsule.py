"""spec §7: encryption and decryption, every check, and which error wins when two rules
are broken at once (the order of `ENCRYPTION_CHECKS` and `DECRYPTION_CHECKS`)."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _independent as indep
import pytest
from _ref_support import GOLDEN, sealed

import ihp_ref as ihp
from ihp_ref import CapsuleTimestamp, ErrorCode, IhpCapsule, IhpConfig, IhpError

KEY = GOLDEN.session_key()
ENV = GOLDEN.env_hash
T0 = GOLDEN.timestamp


def _decrypt_code(capsule: IhpCapsule, now: int = T0, config: IhpConfig | None = None,
                  key: ihp.SessionKey = KEY, env: ihp.ServerEnvHash = ENV) -> ErrorCode | None:
    try:
        ihp.decrypt_capsule(capsule, env, key, CapsuleTimestamp(now), config or IhpConfig())
    except IhpError as error:
        return error.code
    return None


def _encrypt(version: int = 1, config: IhpConfig | None = None, password: bytes = b"pw",
             timestamp: int = T0, header_id: int = 44, path_hint: int = 120,
             key: ihp.SessionKey = KEY) -> IhpCapsule:
    return ihp.encrypt_capsule(
        version, config or IhpConfig(), header_id, ihp.ClientNonce(GOLDEN.nonce),
        ihp.ServerProfileId(1), ihp.IhpNetworkContext(5, path_hint), ENV, key,
        ihp.PasswordMaterial(password), CapsuleTimestamp(timestamp))


def _reseal(password: bytes = b"pw", timestamp: int = T0, header_id: int = 44,
            clear_header_id: int = 44, declared: int | None = None) -> IhpCapsule:
    """A capsule whose plaintext breaks a post-AEAD rule, sealed with the right key
    by the independent path (so only the targeted rule fails)."""
    length = len(password) if declared is None else declared
    plaintext = (length.to_bytes(4, "little") + password
                 + timestamp.to_bytes(8, "little", signed=True)
                 + header_id.to_bytes(8, "little"))
    aad = ihp.associated_data(1, 1, ihp.IhpNetworkContext(5, 120), ENV)
    payload = _seal(plaintext, aad)
    return IhpCapsule(1, clear_header_id, ihp.ClientNonce(GOLDEN.nonce), ihp.ServerProfileId(1),
                      ihp.IhpNetworkContext(5, 120), payload)


def _seal(plaintext: bytes, aad: bytes) -> bytes:
    from Crypto.Cipher import AES
    cipher = AES.new(KEY.value, AES.MODE_GCM, nonce=GOLDEN.nonce)
    cipher.update(aad)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return ciphertext + tag


# ------------------------------------------------------------------ encryption §7.4

def test_encryption_is_deterministic() -> None:
    assert _encrypt() == _encrypt()


def test_encryption_matches_the_independent_seal() -> None:
    expected = indep.seal(KEY.value, GOLDEN.nonce, 1, 1, 5, 120, ENV.value, b"pw", T0, 44)
    assert _encrypt().payload == expected


@pytest.mark.parametrize("password", [b"", b"x", b"x" * 65_536])
def test_encryption_round_trips_password_lengths_up_to_the_cap(password: bytes) -> None:
    capsule = _encrypt(password=password)
    assert len(capsule.payload) == 4 + len(password) + 8 + 8 + 16
    plaintext = ihp.decrypt_capsule(capsule, ENV, KEY, CapsuleTimestamp(T0), IhpConfig())
    assert plaintext.password.value == password


def test_encrypt_step4_password_over_config_limit_is_codec() -> None:
    _encrypt(password=b"x" * 10, config=IhpConfig(max_payload_bytes=10))
    with pytest.raises(IhpError) as info:
        _encrypt(password=b"x" * 11, config=IhpConfig(max_payload_bytes=10))
    assert info.value.code is ErrorCode.CODEC


def test_encrypt_accepts_version_2_only_when_allowed() -> None:
    with pytest.raises(IhpError) as info:
        _encrypt(version=2)
    assert info.value.code is ErrorCode.INVALID_VERSION
    capsule = _encrypt(version=2, config=IhpConfig(allowed_versions=frozenset({2})))
    assert capsule.version == 2


@pytest.mark.parametrize("make,code", [
    (lambda: ihp.ClientNonce(b"n" * 13), ErrorCode.INVALID_NONCE_LENGTH),
    (lambda: ihp.SessionKey(b"k" * 31), ErrorCode.KEY_LENGTH),
    (lambda: CapsuleTimestamp(-(2**63)), ErrorCode.INVALID_TIMESTAMP),
    (lambda: CapsuleTimestamp(2**63), ErrorCode.INVALID_TIMESTAMP),
    (lambda: ihp.PasswordMaterial(b"x" * 65_537), ErrorCode.CODEC),
    (lambda: ihp.ServerEnvHash(b"e" * 33), ErrorCode.CODEC),
    (lambda: ihp.IhpNetworkContext(256, 1), ErrorCode.CODEC),
    (lambda: ihp.IhpNetworkContext(1, 70_000), ErrorCode.CODEC),
    (lambda: ihp.ServerProfileId(2**64), ErrorCode.CODEC),
    (lambda: ihp.ServerProfileId(-1), ErrorCode.CODEC),
])
def test_step0_argument_construction_errors(make: object, code: ErrorCode) -> None:
    with pytest.raises(IhpError) as info:
        make()  # type: ignore[operator]
    assert info.value.code is code


@pytest.mark.parametrize("version", [-1, 256])
def test_step0_version_outside_u8_is_codec(version: int) -> None:
    with pytest.raises(IhpError) as info:
        _encrypt(version=version)
    assert info.value.code is ErrorCode.CODEC


@pytest.mark.parametrize("header_id", [-1, 2**64])
def test_step0_header_id_outside_u64_is_codec(header_id: int) -> None:
    with pytest.raises(IhpError) as info:
        _encrypt(header_id=header_id)
    assert info.value.code is ErrorCode.CODEC


@pytest.mark.parametrize("field", ["version", "header_id"])
@pytest.mark.parametrize("value", [1.0, True, "1", None])
def test_step0_a_plain_int_field_of_another_python_type_is_a_type_error(
        field: str, value: object) -> None:
    with pytest.raises(TypeError):
        _encrypt(**{field: value})  # type: ignore[arg-type]


def test_wrong_python_types_are_type_errors_not_protocol_errors() -> None:
    with pytest.raises(TypeError):
        ihp.decrypt_capsule(b"capsule", ENV, KEY, CapsuleTimestamp(T0), IhpConfig())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ihp.ClientNonce("not bytes")  # type: ignore[arg-type]


_RAW_FORMS: dict[str, object] = {  # each typed argument as the plain value it wraps
    "config": {"max_timestamp_drift": 300}, "client_nonce": GOLDEN.nonce,
    "server_profile_id": 1, "network_context": (5, 120), "env_hash": ENV.value,
    "session_key": KEY.value, "password": b"pw", "timestamp": T0, "now": T0,
    "capsule": sealed(GOLDEN).payload,
}


@pytest.mark.parametrize("name", ["config", "client_nonce", "server_profile_id",
                                  "network_context", "env_hash", "session_key", "password",
                                  "timestamp"])
def test_encrypt_takes_only_the_typed_values(name: str) -> None:
    args: dict[str, Any] = {
        "version": 1, "config": IhpConfig(), "header_id": 44,
        "client_nonce": ihp.ClientNonce(GOLDEN.nonce), "server_profile_id": ihp.ServerProfileId(1),
        "network_context": ihp.IhpNetworkContext(5, 120), "env_hash": ENV, "session_key": KEY,
        "password": ihp.PasswordMaterial(b"pw"), "timestamp": CapsuleTimestamp(T0)}
    with pytest.raises(TypeError):
        ihp.encrypt_capsule(**{**args, name: _RAW_FORMS[name]})


@pytest.mark.parametrize("name", ["capsule", "env_hash", "session_key", "now", "config"])
def test_decrypt_takes_only_the_typed_values(name: str) -> None:
    args: dict[str, Any] = {"capsule": sealed(GOLDEN), "env_hash": ENV, "session_key": KEY,
                            "now": CapsuleTimestamp(T0), "config": IhpConfig()}
    with pytest.raises(TypeError):
        ihp.decrypt_capsule(**{**args, name: _RAW_FORMS[name]})


@pytest.mark.parametrize("field,value", [
    ("client_nonce", GOLDEN.nonce), ("server_profile_id", 1), ("network_context", (5, 120)),
    ("payload", "text"), ("payload", [1, 2]), ("payload", None), ("payload", 5)])
def test_a_capsule_field_of_another_python_type_is_a_type_error(field: str,
                                                                value: object) -> None:
    c = sealed(GOLDEN)
    fields = {"version": c.version, "header_id": c.header_id, "client_nonce": c.client_nonce,
              "server_profile_id": c.server_profile_id, "network_context": c.network_context,
              "payload": c.payload}
    with pytest.raises(TypeError):
        IhpCapsule(**{**fields, field: value})  # type: ignore[arg-type]


# ------------------------------------------------------------------ decryption §7.5

@pytest.mark.parametrize("payload", [b"", b"x" * 15, b"x" * 16])
def test_decrypt_step4_short_payloads_are_tag_errors(payload: bytes) -> None:
    capsule = sealed(GOLDEN)
    broken = IhpCapsule(1, 44, capsule.client_nonce, capsule.server_profile_id,
                        capsule.network_context, payload)
    assert _decrypt_code(broken) is ErrorCode.INVALID_AEAD_TAG


def test_decrypt_step4_wrong_key_or_env_hash_is_a_tag_error() -> None:
    capsule = sealed(GOLDEN)
    assert _decrypt_code(capsule, key=ihp.SessionKey(b"w" * 32)) is ErrorCode.INVALID_AEAD_TAG
    assert _decrypt_code(capsule, env=ihp.ServerEnvHash(b"\x43" * 32)) is (
        ErrorCode.INVALID_AEAD_TAG)


def test_decrypt_step5_plaintext_rules_are_codec() -> None:
    assert _decrypt_code(_reseal(declared=3)) is ErrorCode.CODEC  # length ≠ 4 + declared + 16
    too_big = IhpConfig(max_payload_bytes=1)
    assert _decrypt_code(_reseal(password=b"ab"), config=too_big) is ErrorCode.CODEC


def test_decrypt_step5_plaintext_shorter_than_20_bytes_is_codec() -> None:
    aad = ihp.associated_data(1, 1, ihp.IhpNetworkContext(5, 120), ENV)
    capsule = IhpCapsule(1, 44, ihp.ClientNonce(GOLDEN.nonce), ihp.ServerProfileId(1),
                         ihp.IhpNetworkContext(5, 120), _seal(b"\x00" * 19, aad))
    assert _decrypt_code(capsule) is ErrorCode.CODEC


@pytest.mark.parametrize("offset,accepted", [
    (0, True), (300, True), (-300, True), (301, False), (-301, False)])
def test_decrypt_step8_drift_window_is_symmetric_and_inclusive(offset: int, accepted: bool) -> None:
    code = _decrypt_code(sealed(GOLDEN), now=T0 + offset)
    assert code is (None if accepted else ErrorCode.STALE_TIMESTAMP)


def test_decrypt_step8_zero_drift_accepts_only_the_same_second() -> None:
    config = IhpConfig(max_timestamp_drift=0)
    assert _decrypt_code(sealed(GOLDEN), config=config) is None
    assert _decrypt_code(sealed(GOLDEN), now=T0 + 1, config=config) is ErrorCode.STALE_TIMESTAMP


def test_decrypt_step8_is_exact_where_the_rust_crate_wraps() -> None:
    # spec §15 DriftOverflow: ts = now − 2^63 wraps to an accepted drift in release builds
    now = 2**62
    capsule = _reseal(timestamp=now - 2**63)
    assert _decrypt_code(capsule, now=now,
                         config=IhpConfig(max_timestamp_drift=604_800)) is (
        ErrorCode.STALE_TIMESTAMP)
    extreme = _reseal(timestamp=2**63 - 1)
    assert _decrypt_code(extreme, now=-(2**63) + 1) is ErrorCode.STALE_TIMESTAMP


def test_decrypted_plaintext_is_the_input() -> None:
    plaintext = ihp.decrypt_capsule(sealed(GOLDEN), ENV, KEY, CapsuleTimestamp(T0), IhpConfig())
    assert plaintext == (ihp.PasswordMaterial(b"known-answer"), CapsuleTimestamp(T0), 44)


# ------------------------------------------------------------------ the tables of checks
# ENCRYPTION_CHECKS and DECRYPTION_CHECKS are the spec's order as data: each check that has
# an error code is broken alone (its code), then together with every later check (still
# its code: the earlier check wins). A check added to a table needs a way to break it here.

@dataclass(frozen=True)
class _Encryption:
    path_hint: int = 120
    drift: int = 300
    version: int = 1
    password: bytes = b"pw"
    max_payload: int = 65_536

    def code(self) -> ErrorCode | None:
        config = IhpConfig(max_timestamp_drift=self.drift, max_payload_bytes=self.max_payload)
        try:
            _encrypt(self.version, config, self.password, path_hint=self.path_hint)
        except IhpError as error:
            return error.code
        return None


@dataclass(frozen=True)
class _Decryption:
    drift: int = 300
    version: int = 1
    path_hint: int = 120
    key: bytes = KEY.value
    declared: int | None = None  # the plaintext's length prefix, when it lies
    timestamp: int = T0  # the plaintext's
    plaintext_header_id: int = 44  # the clear one is 44
    now: int = T0
    replayed: bool = False  # the guard has already seen this capsule

    def code(self) -> ErrorCode | None:
        network = ihp.IhpNetworkContext(5, self.path_hint)
        password = b"pw"
        length = len(password) if self.declared is None else self.declared
        plaintext = struct.pack("<I", length) + password + struct.pack(
            "<qQ", self.timestamp, self.plaintext_header_id)
        payload = _seal(plaintext, ihp.associated_data(self.version, 1, network, ENV))
        capsule = IhpCapsule(self.version, 44, ihp.ClientNonce(GOLDEN.nonce),
                             ihp.ServerProfileId(1), network, payload)
        guard = ihp.ReplayGuard()
        if self.replayed:
            guard.check_and_record(1, GOLDEN.nonce, payload, self.timestamp, T0, 300)
        config = IhpConfig(max_timestamp_drift=self.drift)
        try:
            ihp.decrypt_capsule(capsule, ENV, ihp.SessionKey(self.key), CapsuleTimestamp(self.now),
                                config, guard)
        except IhpError as error:
            return error.code
        return None


# each check's break: the inputs changed from a valid attempt (no two change the same input)
_BREAK_ENCRYPTION: dict[int, dict[str, Any]] = {
    1: {"path_hint": 0},
    2: {"drift": 604_801},
    3: {"version": 2},
    4: {"password": b"x" * 11, "max_payload": 10},
}
_BREAK_DECRYPTION: dict[int, dict[str, Any]] = {
    1: {"drift": 604_801},
    2: {"version": 2},
    3: {"path_hint": 0},
    4: {"key": b"w" * 32},
    5: {"declared": 3},
    6: {"timestamp": -(2**63)},
    7: {"plaintext_header_id": 45},
    8: {"now": T0 + 301},
    9: {"replayed": True},
}


def _from(step: int, breaks: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The changes that break `step` and every later check at once."""
    return {name: value for later in sorted(breaks) if later >= step
            for name, value in breaks[later].items()}


def _coded_steps(table: tuple[tuple[int, str, ErrorCode | None], ...]) -> list[tuple[int, ErrorCode]]:
    assert [step for step, _, _ in table] == list(range(len(table)))  # numbered in order
    return [(step, code) for step, _, code in table if code is not None]


def _spec_steps(section: str) -> dict[int, str]:
    """spec §7.4 / §7.5: step number -> the step's text (its list item, anchors dropped)."""
    text = (Path(__file__).resolve().parents[1] / "spec" / "ihp-v1.md").read_text("utf-8")
    body = text.split(f"\n### {section} ", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    items = re.findall(rf'<a name="rule-{re.escape(section)}\.(\d+)"></a>(.*?)(?=\n\d+\. |\n\n)',
                       body, re.DOTALL)
    return {int(number): " ".join(item.split()) for number, item in items}


@pytest.mark.parametrize("section,table", [("7.4", ihp.ENCRYPTION_CHECKS),
                                           ("7.5", ihp.DECRYPTION_CHECKS)], ids=["7.4", "7.5"])
def test_the_check_tables_are_the_spec_steps(
        section: str, table: tuple[tuple[int, str, ErrorCode | None], ...]) -> None:
    steps = _spec_steps(section)
    assert sorted(steps) == [step for step, _, _ in table]
    for step, rule, code in table:
        spans = set(re.findall(r"`([^`]+)`", steps[step]))
        if code is not None:
            assert code.value in spans, (step, steps[step])
        if step == 0 or (section, step) in {("7.5", 5), ("7.5", 9)}:
            continue  # these sum up several rules in a few words
        # otherwise the table's rule (before its parenthesis) is how the spec's step begins
        plain = steps[step].replace("`", "").replace("**", "")
        head = rule.split(" (")[0]
        assert plain.startswith(head) and plain[len(head):][:1] in {"", " ", ",", "."}, (
            step, rule, plain)


def test_every_coded_check_of_the_tables_has_a_way_to_break_it() -> None:
    assert set(_BREAK_ENCRYPTION) == {s for s, _ in _coded_steps(ihp.ENCRYPTION_CHECKS)}
    assert set(_BREAK_DECRYPTION) == {s for s, _ in _coded_steps(ihp.DECRYPTION_CHECKS)}
    assert (_Encryption().code(), _Decryption().code()) == (None, None)


@pytest.mark.parametrize("step,code", _coded_steps(ihp.ENCRYPTION_CHECKS))
def test_encryption_follows_encryption_checks_in_order(step: int, code: ErrorCode) -> None:
    alone = _Encryption(**_BREAK_ENCRYPTION[step]).code()
    assert (alone, _Encryption(**_from(step, _BREAK_ENCRYPTION)).code()) == (code, code)


@pytest.mark.parametrize("step,code", _coded_steps(ihp.DECRYPTION_CHECKS))
def test_decryption_follows_decryption_checks_in_order(step: int, code: ErrorCode) -> None:
    alone = _Decryption(**_BREAK_DECRYPTION[step]).code()
    assert (alone, _Decryption(**_from(step, _BREAK_DECRYPTION)).code()) == (code, code)


def test_step_functions_compose_to_decrypt_capsule_and_step4_says_not_this_key() -> None:
    # the functions a server trying several keys calls (spec §6 rotation, §7.5)
    capsule = sealed(GOLDEN)
    ihp.check_before_opening(capsule, IhpConfig())  # steps 1–3 pass: no error
    assert ihp.open_payload(capsule, ENV, ihp.SessionKey(b"w" * 32)) is None
    plaintext = ihp.open_payload(capsule, ENV, GOLDEN.session_key())
    assert plaintext is not None
    opened = ihp.check_plaintext(capsule, plaintext, CapsuleTimestamp(T0), IhpConfig())
    assert opened == ihp.decrypt_capsule(capsule, ENV, GOLDEN.session_key(),
                                         CapsuleTimestamp(T0), IhpConfig())
    with pytest.raises(IhpError) as caught:
        ihp.check_before_opening(capsule, IhpConfig(allowed_versions=frozenset({2})))
    assert caught.value.code is ErrorCode.INVALID_VERSION


def test_count_decryption_counts_what_decrypt_capsule_counts_on_success() -> None:
    capsule = sealed(GOLDEN)
    counted, by_hand = ihp.RecordingMetrics(), ihp.RecordingMetrics()
    opened = ihp.decrypt_capsule(capsule, ENV, GOLDEN.session_key(), CapsuleTimestamp(T0 + 7),
                                 IhpConfig(), metrics=counted)
    ihp.count_decryption(by_hand, capsule.version, abs(T0 + 7 - opened.timestamp.seconds))
    assert by_hand.counts == counted.counts and by_hand.observations == counted.observations


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_bytes_like_inputs_are_taken_as_immutable_bytes(kind: type) -> None:
    raw = bytearray(b"\x07" * 12)
    nonce = ihp.ClientNonce(kind(raw))
    password = ihp.PasswordMaterial(kind(bytearray(b"pw")))
    raw[0] = 0  # a copy was taken: changing the caller's buffer changes nothing
    assert (nonce.value, password.value) == (b"\x07" * 12, b"pw")
    assert type(nonce.value) is bytes and type(password.value) is bytes
    assert ihp.ServerEnvHash(kind(bytearray(32))).value == bytes(32)
    decoded = ihp.capsule_from_binary(kind(bytearray(ihp.capsule_to_binary(sealed(GOLDEN)))))
    assert decoded == sealed(GOLDEN) and type(decoded.payload) is bytes


def test_a_network_context_defaults_to_the_spec_path_hint() -> None:
    assert ihp.IhpNetworkContext(5) == ihp.IhpNetworkContext(5, 120)  # spec §3 default


def test_values_are_frozen_and_slotted() -> None:
    # STYLE: values validate themselves when made (frozen dataclasses with __slots__)
    values = [CapsuleTimestamp(T0), ihp.IhpNetworkContext(5), ihp.ClientNonce(GOLDEN.nonce),
              ihp.ServerProfileId(1), ENV, ihp.PasswordMaterial(b"pw"), sealed(GOLDEN),
              IhpConfig(), ihp.ServerEnvironmentProfile("cpu:a", "nic:b", "os:c", "build:d"),
              ihp.KeyRing(ihp.InMemoryKeyProvider(b"m" * 32)),
              ihp.METRIC_NAMES["ihp.decrypt.total"]]
    for value in values:
        assert not hasattr(value, "__dict__"), type(value).__name__
        with pytest.raises((AttributeError, TypeError)):  # frozen (3.11 says TypeError)
            value.extra = 1  # type: ignore[union-attr]
        first = next(iter(type(value).__dataclass_fields__))  # type: ignore[union-attr]
        with pytest.raises(AttributeError):  # dataclasses.FrozenInstanceError
            setattr(value, first, getattr(value, first))


_I64 = 2**63  # spec §7.1 types: u8, u16, u64; §7.3: a timestamp is any i64 but its minimum
_VALUE_RANGES = [  # (make, lowest, highest, the code outside)
    (ihp.ServerProfileId, 0, 2**64 - 1, ErrorCode.CODEC),
    (CapsuleTimestamp, -_I64 + 1, _I64 - 1, ErrorCode.INVALID_TIMESTAMP),
    (lambda v: ihp.IhpNetworkContext(v, 120), 0, 2**8 - 1, ErrorCode.CODEC),
    (lambda v: ihp.IhpNetworkContext(5, v), 0, 2**16 - 1, ErrorCode.CODEC),
]


@pytest.mark.parametrize("make,low,high,code", _VALUE_RANGES,
                         ids=["profile_id", "timestamp", "rtt_bucket", "path_hint"])
def test_a_value_takes_exactly_its_types_range(make: Any, low: int, high: int,
                                               code: ErrorCode) -> None:
    for inside in (low, low + 1, high - 1, high):
        make(inside)
    for outside in (low - 1, high + 1):
        with pytest.raises(IhpError) as info:
            make(outside)
        assert info.value.code is code


@pytest.mark.parametrize("field,value", [("version", -1), ("version", 256), ("header_id", -1),
                                         ("header_id", 2**64)])
def test_a_capsule_field_outside_its_type_is_codec(field: str, value: int) -> None:
    c = sealed(GOLDEN)
    fields: dict[str, object] = {"version": c.version, "header_id": c.header_id}
    with pytest.raises(IhpError) as info:
        IhpCapsule(**{**fields, field: value}, client_nonce=c.client_nonce,  # type: ignore[arg-type]
                   server_profile_id=c.server_profile_id, network_context=c.network_context,
                   payload=c.payload)
    assert info.value.code is ErrorCode.CODEC
