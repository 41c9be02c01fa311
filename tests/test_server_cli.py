"""`ihp-server` as users run it: the exact test-mode command line, configuration layering
(flags > environment > TOML), check-config, keygen."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ihp_server import SettingsError, load_settings
from ihp_server.cli import main as server_main
from ihp_server.testing import TEST_EXPORTER_HEX, TEST_MASTER_KEY_HEX


def command(name: str) -> list[str]:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    module = {"ihp-server": "ihp_server.cli", "ihp-client": "ihp_client.cli"}[name]
    return [found] if found else [sys.executable, "-m", module]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not start listening")


def serve_and_login(extra: list[str], env: dict[str, str],
                    ) -> tuple[subprocess.CompletedProcess[bytes], str]:
    """`ihp-server` in test mode exactly as scripts start it (plus `extra`), one
    `ihp-client` login against it; the client's run and the server's standard error."""
    port = free_port()
    process = subprocess.Popen(
        [*command("ihp-server"), "--host", "127.0.0.1", "--port", str(port),
         "--server-profile-id", "42", "--master-key-hex", TEST_MASTER_KEY_HEX,
         "--test-tls-exporter-hex", TEST_EXPORTER_HEX, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wait_until_listening(port, process)
        client = subprocess.run(
            [*command("ihp-client"), "--base-url", f"http://127.0.0.1:{port}",
             "--master-key-hex", TEST_MASTER_KEY_HEX, "--test-tls-exporter-hex",
             TEST_EXPORTER_HEX, "--password-stdin"],
            input=b"s3cret\n", capture_output=True, timeout=60, check=False)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    return client, stderr.decode()


def test_exact_test_mode_command_serves_and_warns_loudly() -> None:
    client, text = serve_and_login([], dict(os.environ, IHP_CPU_FINGERPRINT="cpu:cli-test"))
    assert client.returncode == 0, client.stdout + client.stderr
    assert json.loads(client.stdout)["outcome"] == "accepted"
    assert "TEST MODE" in text
    assert '"event":"test_mode"' in text and '"event":"auth_ok"' in text
    assert TEST_MASTER_KEY_HEX not in text and TEST_EXPORTER_HEX not in text


def test_flags_beat_environment_beat_toml(tmp_path: Path) -> None:
    config = tmp_path / "ihp.toml"
    config.write_text('server_profile_id = 7\nport = 9000\nmaster_key = "env:K"\n'
                      f'test_tls_exporter_hex = "{TEST_EXPORTER_HEX}"\n'
                      "[protocol]\nmax_timestamp_drift = 100\nallowed_versions = [1, 2]\n")
    environ = {"K": TEST_MASTER_KEY_HEX, "IHP_SERVER_PORT": "9001",
               "IHP_MAX_TIMESTAMP_DRIFT": "200"}
    settings = load_settings({"max_timestamp_drift": "250"}, environ, str(config))
    assert (settings.server_profile_id, settings.port) == (7, 9001)
    assert settings.config.max_timestamp_drift == 250
    assert settings.config.allowed_versions == frozenset({1, 2})
    assert settings.test_mode


@pytest.mark.parametrize(("flags", "problem"), [
    ({"max_timestamp_drift": "604801"}, "protocol configuration"),
    ({"allowed_versions": "3"}, "protocol configuration"),
    ({"test_tls_exporter_hex": None}, "tls_cert"),
    ({"server_profile_id": str(2**64)}, "u64"),
    ({"master_key_hex": None, "master_key": "env:NOT_SET_ANYWHERE"}, "not set"),
    ({"master_key": "env:ALSO_GIVEN"}, "exactly one"),
    ({"master_key_hex": None, "master_key": "provider:no.such.module:make"}, "cannot import"),
])
def test_invalid_configuration_is_refused_with_a_reason(flags: dict[str, str | None],
                                                        problem: str) -> None:
    base: dict[str, str | None] = {"server_profile_id": "42",
                                   "master_key_hex": TEST_MASTER_KEY_HEX,
                                   "test_tls_exporter_hex": TEST_EXPORTER_HEX}
    base.update(flags)
    with pytest.raises(SettingsError, match=problem):
        load_settings({k: v for k, v in base.items() if v is not None}, {})


def test_keygen_writes_a_private_hex_key_once_and_check_config_shows_only_its_id(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "master.hex"
    assert server_main(["keygen", "--out", str(key)]) == 0
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    assert server_main(["keygen", "--out", str(key)]) == 2
    capsys.readouterr()
    assert server_main(["check-config", "--server-profile-id", "9", "--master-key",
                        f"file:{key}", "--test-tls-exporter-hex", TEST_EXPORTER_HEX]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["server_profile_id"] == "9" and shown["mode"] == "test-plain-http"
    assert len(shown["current_key_id"]) == 16
    assert key.read_text().strip() not in json.dumps(shown)


def test_an_unreadable_certificate_is_a_clean_exit_2(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("ihp_server")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    try:
        status = _serve_with_bad_certificate(tmp_path)
    finally:  # _serve configured process-wide logging: put it back for the other tests
        logger.handlers[:], logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])
    assert status == 2
    assert "cannot serve HTTPS" in capsys.readouterr().err


def _serve_with_bad_certificate(tmp_path: Path) -> int:
    return server_main(["--server-profile-id", "1", "--master-key-hex", TEST_MASTER_KEY_HEX,
                        "--tls-cert", str(tmp_path / "missing.pem"),
                        "--tls-key", str(tmp_path / "missing.key"), "--port", "0"])


SERVING_STACK = ("starlette", "prometheus_client", "opentelemetry", "cryptography.x509")


def test_the_key_and_configuration_commands_start_without_the_serving_stack(
        tmp_path: Path) -> None:
    """`keygen`, `rotate`, `check-config`, `--print-config` are what an operator runs by
    hand and a runbook step runs many times: they import no web, metrics, tracing or X.509
    module (ihp_server's names load on first use), so they start in a third of the time."""
    script = (
        "import sys\n"
        "from ihp_server.cli import main\n"
        "key = sys.argv[1]\n"
        "assert main(['keygen', '--out', key]) == 0\n"
        "assert main(['check-config', '--server-profile-id', '9', '--master-key',\n"
        "             'file:' + key, '--test-tls-exporter-hex', sys.argv[2]]) == 0\n"
        f"print([m for m in {SERVING_STACK!r} if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "k.hex"),
                           TEST_EXPORTER_HEX], capture_output=True, text=True, check=False,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_every_public_name_of_ihp_server_loads_from_the_module_that_defines_it() -> None:
    import importlib

    import ihp_server

    table = ihp_server._MODULE_OF
    assert sorted(ihp_server.__all__) == sorted(table)
    for name, module in table.items():
        assert getattr(ihp_server, name) is getattr(
            importlib.import_module(module, "ihp_server"), name)
    with pytest.raises(AttributeError, match="no_such_name"):
        ihp_server.no_such_name  # noqa: B018
