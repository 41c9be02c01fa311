"""The profile-id lifecycle guard: a pinned ServerEnvHash (`--expect-env-hash`, its
variable or TOML key) that the host no longer hashes to stops the start with the runbook
procedure named, or only warns when asked; `--print-config` shows both hashes."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import blake3
import pytest

from ihp_server.cli import main as server_main
from ihp_server.testing import TEST_EXPORTER_HEX, TEST_MASTER_KEY_HEX
from tests.test_server_cli import free_port, serve_and_login

SEP = {"IHP_CPU_FINGERPRINT": "cpu:pin", "IHP_NIC_FINGERPRINT": "nic:pin",
       "IHP_OS_FINGERPRINT": "os:pin", "IHP_BUILD_FINGERPRINT": "build:pin"}
# spec §5, computed here with the blake3 package rather than through ihp_ref
DETECTED = blake3.blake3(b"cpu:pin\0nic:pin\0os:pin\0build:pin\0\0").hexdigest()
OTHER = blake3.blake3(b"cpu:pin\0nic:pin\0os:re-imaged\0build:pin\0\0").hexdigest()
BASE = ["--host", "127.0.0.1", "--server-profile-id", "42", "--master-key-hex",
        TEST_MASTER_KEY_HEX, "--test-tls-exporter-hex", TEST_EXPORTER_HEX]


@pytest.fixture(autouse=True)
def pinned_sep(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in SEP.items():
        monkeypatch.setenv(name, value)
    for name in ("IHP_EXPECT_ENV_HASH", "IHP_ENV_HASH_MISMATCH", "IHP_SERVER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    logger = logging.getLogger("ihp_server")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.propagate = saved[0], saved[1]  # _serve configures logging
    logger.setLevel(saved[2])


def print_config(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    assert server_main([*BASE, *extra, "--print-config"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_print_config_shows_the_detected_hash_and_whether_it_matches_the_pin(
        capsys: pytest.CaptureFixture[str]) -> None:
    shown = print_config(capsys)
    assert (shown["server_env_hash_hex"], shown["expect_env_hash_hex"],
            shown["env_hash_matches"]) == (DETECTED, None, None)
    assert print_config(capsys, "--expect-env-hash", DETECTED)["env_hash_matches"] is True
    assert print_config(capsys, "--expect-env-hash", OTHER)["env_hash_matches"] is False
    assert print_config(capsys, "--expect-env-hash", DETECTED.upper())["env_hash_matches"]


def test_a_mismatched_pin_refuses_to_start_naming_the_procedure(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert server_main([*BASE, "--port", str(free_port()), "--expect-env-hash", OTHER]) == 3
    err = capsys.readouterr().err
    message = [line for line in err.splitlines() if line.startswith("ihp-server:")]
    assert len(message) == 1
    for needed in (DETECTED, OTHER, "server_profile_id 42", "InvalidAeadTag",
                   "docs/RUNBOOK.md#profile-id-lifecycle", "roll a new server_profile_id",
                   f"re-pin with --expect-env-hash {DETECTED}"):
        assert needed in message[0]
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [(e["event"], e["level"], e["action"]) for e in logged] == [
        ("env_hash_mismatch", "error", "refused")]


def test_check_config_fails_where_the_server_would_refuse(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert server_main(["check-config", *BASE, "--expect-env-hash", OTHER]) == 3
    assert json.loads(capsys.readouterr().out)["env_hash_matches"] is False
    assert server_main(["check-config", *BASE, "--expect-env-hash", OTHER,
                        "--env-hash-mismatch", "warn"]) == 0


@pytest.mark.parametrize("value", ["", "zz" * 32, DETECTED[:-2], DETECTED + "00",
                                   " " + DETECTED[1:], "0x" + DETECTED[2:]])
def test_a_malformed_pin_is_a_usage_error(value: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert server_main([*BASE, "--expect-env-hash", value, "--print-config"]) == 2
    err = capsys.readouterr().err
    assert "expect_env_hash: invalid value" in err and "64 hex characters" in err
    assert "Traceback" not in err


def test_an_unknown_mismatch_mode_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert server_main([*BASE, "--env-hash-mismatch=ignore", "--print-config"]) == 2
    assert "env_hash_mismatch: invalid value 'ignore'" in capsys.readouterr().err


def test_the_pin_layers_like_every_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ihp.toml"
    config.write_text(f'expect_env_hash = "{OTHER}"\nenv_hash_mismatch = "warn"\n')
    shown = print_config(capsys, "--config", str(config))
    assert (shown["expect_env_hash_hex"], shown["env_hash_mismatch"]) == (OTHER, "warn")
    monkeypatch.setenv("IHP_EXPECT_ENV_HASH", DETECTED)  # the environment beats the file
    assert print_config(capsys, "--config", str(config))["env_hash_matches"] is True
    shown = print_config(capsys, "--config", str(config), "--expect-env-hash", OTHER,
                         "--env-hash-mismatch", "refuse")  # flags beat both
    assert (shown["env_hash_matches"], shown["env_hash_mismatch"]) == (False, "refuse")


def serve(*extra: str) -> tuple[int, list[dict[str, object]]]:
    """Start `ihp-server` (test mode) as users do; the login's exit code and the events."""
    client, stderr = serve_and_login(list(extra), dict(os.environ, **SEP))
    lines = stderr.splitlines()
    return client.returncode, [json.loads(line) for line in lines if line.startswith("{")]


def test_a_matching_pin_starts_and_serves() -> None:
    status, events = serve("--expect-env-hash", DETECTED)
    assert status == 0
    assert [e["event"] for e in events if "env_hash" in str(e["event"])] == []
    started = next(e for e in events if e["event"] == "starting")
    assert (started["server_env_hash_hex"], started["env_hash_matches"]) == (DETECTED, True)


def test_warn_mode_serves_and_logs_the_mismatch() -> None:
    status, events = serve("--expect-env-hash", OTHER, "--env-hash-mismatch=warn")
    assert status == 0
    warned = [e for e in events if e["event"] == "env_hash_mismatch"]
    assert [(e["level"], e["action"], e["server_env_hash_hex"], e["expect_env_hash_hex"])
            for e in warned] == [("warning", "serving", DETECTED, OTHER)]
    assert any(e["event"] == "auth_ok" for e in events)
