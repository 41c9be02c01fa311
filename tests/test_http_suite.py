"""`ihp-conformance http`: the reference server passes in both modes, and the suite
catches servers that break spec §11/§13 (each mutant must fail its specific cases)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import Response

from conformance.cli import main as conformance_main
from conformance.http_suite import HttpSuiteOptions, run_http_suite
from conformance.model import RunReport, Verdict
from ihp_client import TlsOptions
from ihp_ref import InMemoryKeyProvider
from ihp_server import create_app, make_throwaway_certificate
from ihp_server.testing import (
    TEST_EXPORTER_HEX,
    TEST_MASTER_KEY_HEX,
    env_hash_for_tests,
    https_server,
    plain_server,
    settings_for_tests,
)


@pytest.fixture
def plain_url() -> Iterator[str]:
    with plain_server(create_app(settings_for_tests(), env_hash_for_tests())) as url:
        yield url


def run_suite(url: str, **overrides: Any) -> RunReport:
    options = HttpSuiteOptions(base_url=url, master=InMemoryKeyProvider(
        bytes.fromhex(TEST_MASTER_KEY_HEX)), tls=False,
        test_exporter_key=bytes.fromhex(TEST_EXPORTER_HEX), burst=8, **overrides)
    return run_http_suite(options)


def failed(report: RunReport) -> set[str]:
    return {r.case_id for r in report.results if r.verdict is not Verdict.PASS}


def test_reference_server_passes_in_plain_http_test_mode(plain_url: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         ) -> None:
    report_path = tmp_path / "report.json"
    status = conformance_main(["http", "--base-url", plain_url, "--master-key-hex", TEST_MASTER_KEY_HEX,
                   "--tls-exporter-hex", TEST_EXPORTER_HEX, "--burst", "16",
                   "--report-json", str(report_path), "--junit", str(tmp_path / "j.xml"),
                   "--html", str(tmp_path / "r.html")])
    assert status == 0, capsys.readouterr().out
    report = json.loads(report_path.read_text())
    assert len(report["passed"]) >= 60 and report["deviations"] == []
    assert "IHP-HTTP" in (tmp_path / "r.html").read_text()
    assert "http/replay/same-capsule" in (tmp_path / "j.xml").read_text()


def test_an_unwritable_report_path_is_a_usage_error_before_anything_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # no server at this address: the path is refused before any request is sent
    status = conformance_main(["http", "--base-url", "http://127.0.0.1:9",
                               "--master-key-hex", TEST_MASTER_KEY_HEX,
                               "--tls-exporter-hex", TEST_EXPORTER_HEX,
                               "--junit", str(tmp_path / "missing" / "j.xml")])
    assert status == 2
    assert "--junit" in capsys.readouterr().err


def test_reference_server_passes_over_https_with_a_throwaway_certificate(
        tmp_path: Path) -> None:
    cert = make_throwaway_certificate(tmp_path)
    settings = settings_for_tests(test_tls_exporter_hex=None, tls_cert=str(cert.cert),
                                  tls_key=str(cert.key))
    with https_server(create_app(settings, env_hash_for_tests()), cert) as url:
        options = HttpSuiteOptions(base_url=url, master=InMemoryKeyProvider(
            bytes.fromhex(TEST_MASTER_KEY_HEX)), tls=True,
            tls_options=TlsOptions(str(cert.ca_cert)), burst=8)
        report = run_http_suite(options)
    assert failed(report) == set()
    ids = {r.case_id for r in report.results}
    assert "http/binding/other-tls-connection" in ids


def test_suite_with_the_wrong_master_key_fails_every_valid_case(plain_url: str) -> None:
    options = HttpSuiteOptions(base_url=plain_url, master=InMemoryKeyProvider(bytes(32)),
                               tls=False, test_exporter_key=bytes.fromhex(TEST_EXPORTER_HEX),
                               burst=4)
    broken = failed(run_http_suite(options))
    assert {"http/valid/basic", "http/burst/concurrent-valid",
            "http/replay/same-capsule"} <= broken


def test_suite_catches_a_server_that_accepts_leading_zero_profile_ids(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def lenient(self: Any, body: Any) -> bool:
        value = body.get("server_profile_id")
        return isinstance(value, str) and value.strip().lstrip("+0") == self.profile_id_text

    monkeypatch.setattr("ihp_server._auth.Authenticator.profile_id_matches", lenient)
    with plain_server(create_app(settings_for_tests(), env_hash_for_tests())) as url:
        broken = failed(run_suite(url))
    assert {"http/profile-id/leading-zero", "http/profile-id/plus-sign",
            "http/profile-id/leading-space", "http/profile-id/trailing-space"} <= broken
    assert "http/valid/basic" not in broken


def test_suite_catches_a_server_without_replay_protection() -> None:
    app = create_app(settings_for_tests(), env_hash_for_tests())
    app.state.ihp.authenticator.replay_guard = None
    with plain_server(app) as url:
        broken = failed(run_suite(url))
    assert broken == {"http/replay/same-capsule", "http/replay/nonce-collision"}


def test_suite_catches_401_bodies_that_differ_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = iter(range(10_000))

    def varying() -> Response:
        spacer = " " * (next(calls) % 2)
        body = '{"status":"error",' + spacer + '"reason":"invalid_credentials"}'
        return Response(body, status_code=401, media_type="application/json")

    monkeypatch.setattr("ihp_server._app._unauthorized", varying)
    with plain_server(create_app(settings_for_tests(), env_hash_for_tests())) as url:
        broken = failed(run_suite(url))
    assert broken == {"http/unauthorized/identical-bodies"}


def test_suite_catches_a_server_that_answers_malformed_bodies_with_401(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(body: bytes) -> Any:
        raise RuntimeError("parser bug")

    monkeypatch.setattr("ihp_server._app._parse_json", crash)
    with plain_server(create_app(settings_for_tests(), env_hash_for_tests())) as url:
        broken = failed(run_suite(url, allowed_versions=frozenset({1})))
    assert "http/body/not-json" in broken and "http/valid/basic" in broken


def test_unreachable_server_is_a_crash_verdict_not_a_traceback() -> None:
    report = run_suite("http://127.0.0.1:9")
    assert [r.verdict for r in report.results] == [Verdict.CRASH]
    assert report.exit_status() == 1
