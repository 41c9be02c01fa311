"""The client helper (spec §12): profile validation, RTT bucket, CSPRNG capsules, CLI."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ihp_client import (
    HttpResponse,
    ProfileError,
    build_capsule_for_password,
    measure_rtt_bucket,
    parse_profile,
)
from ihp_client.cli import main as client_main
from ihp_ref import (
    CapsuleTimestamp,
    IhpConfig,
    InMemoryKeyProvider,
    decrypt_capsule,
)
from ihp_server import create_app, make_throwaway_certificate
from ihp_server.testing import (
    TEST_EXPORTER_HEX,
    TEST_MASTER_KEY_HEX,
    env_hash_for_tests,
    https_server,
    plain_server,
    settings_for_tests,
)

HASH_B64 = base64.b64encode(bytes(32)).decode()


def profile_body(**overrides: object) -> bytes:
    doc: dict[str, object] = {"version": 1, "server_profile_id": "42",
                              "server_env_hash_b64": HASH_B64,
                              "expected_rtt_buckets": [0, 255],
                              "supported_aead": ["AES256GCM"], "note": ""}
    doc.update(overrides)
    return json.dumps(doc).encode()


def test_parse_profile_accepts_the_spec_document() -> None:
    profile = parse_profile(profile_body())
    assert profile.server_profile_id.value == 42 and profile.version == 1


@pytest.mark.parametrize("overrides", [
    {"server_profile_id": "042"}, {"server_profile_id": 42}, {"server_profile_id": "-1"},
    {"server_profile_id": str(2**64)}, {"server_env_hash_b64": base64.b64encode(bytes(31))
                                        .decode()},
    {"server_env_hash_b64": "not base64!"}, {"version": "1"},
])
def test_parse_profile_rejects_non_numeric_ids_and_hashes_that_are_not_32_bytes(
        overrides: dict[str, object]) -> None:
    with pytest.raises(ProfileError):
        parse_profile(profile_body(**overrides))


class FakeConnection:
    """Answers every request; each takes `step_ms` on the fake clock."""

    def __init__(self, step_ms: float) -> None:
        self.now = 0.0
        self.step = step_ms / 1000.0
        self.requests = 0

    def clock(self) -> float:
        return self.now

    def request(self, method: str, path: str, *args: object) -> HttpResponse:
        assert (method, path) == ("GET", "/ihp/profile")
        self.requests += 1
        self.now += self.step
        return HttpResponse(200, (), profile_body())


@pytest.mark.parametrize(("step_ms", "bucket"), [(12.5, 3), (2.4, 0), (2.5, 1), (7.49, 1),
                                                 (5000.0, 255)])
def test_rtt_bucket_is_the_mean_of_four_probes_rounded_half_away_from_zero(
        step_ms: float, bucket: int) -> None:
    conn = FakeConnection(step_ms)
    assert measure_rtt_bucket(conn, clock=conn.clock) == bucket  # type: ignore[arg-type]
    assert conn.requests == 4


def test_capsules_use_fresh_random_nonces_and_header_ids_and_open_with_the_server_key(
        ) -> None:
    profile = parse_profile(profile_body())
    master = InMemoryKeyProvider(bytes(range(32)))
    built = [build_capsule_for_password(profile, master, b"exp", b"pw", rtt_bucket=1, now=10)
             for _ in range(3)]
    assert len({b.capsule.client_nonce.value for b in built}) == 3
    assert len({b.capsule.header_id for b in built}) == 3
    assert all(b.capsule.network_context.path_hint == 120 for b in built)
    plain = decrypt_capsule(built[0].capsule, profile.server_env_hash, built[0].session_key,
                            CapsuleTimestamp(10), IhpConfig())
    assert plain.password.value == b"pw"


@pytest.fixture
def plain_url() -> Iterator[str]:
    with plain_server(create_app(settings_for_tests(), env_hash_for_tests())) as url:
        yield url


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    status = client_main(args)
    return status, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_cli_in_test_mode_is_accepted_and_a_wrong_key_rejected(
        plain_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IHP_TEST_PASSWORD", "s3cret")
    base = ["--base-url", plain_url, "--test-tls-exporter-hex", TEST_EXPORTER_HEX,
            "--password-env", "IHP_TEST_PASSWORD"]
    status, out = run_cli([*base, "--master-key-hex", TEST_MASTER_KEY_HEX], capsys)
    assert (status, out["outcome"], out["status"]) == (0, "accepted", 200)
    assert isinstance(out["session_token"], str) and len(out["session_token"]) == 43
    status, out = run_cli([*base, "--master-key-hex", "00" * 32], capsys)
    assert (status, out["outcome"], out["reason"]) == (1, "rejected", "invalid_credentials")


def test_cli_over_https_binds_to_the_connection_and_checks_the_certificate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert = make_throwaway_certificate(tmp_path)
    settings = settings_for_tests(test_tls_exporter_hex=None, tls_cert=str(cert.cert),
                                  tls_key=str(cert.key))
    (tmp_path / "pw").write_text("s3cret\n")
    (tmp_path / "key").write_text(TEST_MASTER_KEY_HEX)
    with https_server(create_app(settings, env_hash_for_tests()), cert) as url:
        base = ["--base-url", url, "--master-key", f"file:{tmp_path / 'key'}",
                "--password-file", str(tmp_path / "pw")]
        status, out = run_cli([*base, "--cacert", str(cert.ca_cert)], capsys)
        assert (status, out["outcome"]) == (0, "accepted")
        status, out = run_cli(base, capsys)  # system CA store does not know the throwaway CA
        assert (status, out["outcome"], out["error"]) == (2, "error", "TlsVerificationError")
