"""docs/RUNBOOK.md runs as documented: each `runbook:<id>` block is executed with bash
against a live HTTPS server (TLS exporter binding), paths moved to a temporary root."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ihp_client import (
    HttpConnection,
    TlsOptions,
    build_capsule_for_password,
    fetch_profile,
    send_capsule,
)
from ihp_ref import InMemoryKeyProvider

RUNBOOK = Path(__file__).resolve().parent.parent / "docs" / "RUNBOOK.md"
BLOCK = re.compile(r"<!-- runbook:([a-z-]+) -->\n```bash\n(.*?)```", re.DOTALL)
FINGERPRINTS = {"IHP_CPU_FINGERPRINT": "cpu:prod-1", "IHP_NIC_FINGERPRINT": "nic:prod-1",
                "IHP_OS_FINGERPRINT": "os:prod-1", "IHP_BUILD_FINGERPRINT": "build:prod-1"}


def runbook_blocks() -> dict[str, str]:
    return dict(BLOCK.findall(RUNBOOK.read_text()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Deployment:
    """A temporary root holding /etc/ihp, /run and /var/log/ihp, and one ihp-server."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.blocks = runbook_blocks()
        (root / "run").mkdir()
        self.env = dict(os.environ, **FINGERPRINTS,
                        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        self.process: subprocess.Popen[bytes] | None = None

    def localize(self, text: str) -> str:
        for path in ("/etc/ihp", "/run/ihp-server.pid", "/var/log/ihp"):
            text = text.replace(path, f"{self.root}{path}")
        return text.replace("localhost:8443", f"localhost:{self.port}").replace(
            "port = 8443", f"port = {self.port}")

    def run(self, block_id: str) -> str:
        script = self.localize(self.blocks[block_id])
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=self.env,
                              capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0, f"{block_id}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def ca(self) -> TlsOptions:
        return TlsOptions(str(self.root / "etc/ihp/tls/ca.pem"))

    def start(self) -> None:
        pid_file = self.root / "run/ihp-server.pid"
        pid_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(["bash", "-c", self.localize(self.blocks["start"])],
                                        env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            if pid_file.exists():  # written just before the server listens
                with contextlib.suppress(OSError), \
                        HttpConnection(self.url, tls=self.ca, timeout=2) as conn:
                    if conn.request("GET", "/healthz").status == 200:
                        return
            time.sleep(0.02)  # a start takes ~0.5 s: checked in 1/25 of it
        raise AssertionError("ihp-server did not come up:\n" + self.log())

    def start_refused(self) -> int:
        """Start as documented, expecting the server to refuse; its exit status."""
        self.process = subprocess.Popen(["bash", "-c", self.localize(self.blocks["start"])],
                                        env=self.env)
        return self.process.wait(timeout=30)

    def wait_stopped(self) -> None:
        assert self.process is not None
        self.process.wait(timeout=30)

    def stop(self) -> None:
        pid_file = self.root / "run/ihp-server.pid"
        if self.process is not None and self.process.poll() is None:
            if pid_file.exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid_file.read_text()), signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.root / "var/log/ihp/ihp-server.log"
        return path.read_text() if path.exists() else ""

    def key(self, name: str) -> InMemoryKeyProvider:
        text = (self.root / "etc/ihp" / name).read_text().strip()
        return InMemoryKeyProvider(bytes.fromhex(text))

    def login(self, key: InMemoryKeyProvider, *, age: int = 0, version: int = 1) -> int:
        with HttpConnection(self.url, tls=self.ca) as conn:
            exporter = conn.exporter_key()
            assert exporter is not None
            built = build_capsule_for_password(fetch_profile(conn), key, exporter, b"pw",
                                               rtt_bucket=1, now=int(time.time()) - age,
                                               version=version)
            return send_capsule(conn, built.capsule).status

    def until(self, predicate: object, what: str) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if predicate():  # type: ignore[operator]
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log()}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """The `install` procedure, run once: each test gets a copy of its files (four command
    start-ups per test saved), the paths and port in the configuration moved to its own."""
    template = Deployment(tmp_path_factory.mktemp("installed"))
    template.run("install")
    return template


@pytest.fixture
def unstarted(installed: Deployment, tmp_path: Path) -> Iterator[Deployment]:
    """An installed deployment not started yet: for a test that changes the configuration
    before its first start (one server start-up and shutdown saved), stopped at the end."""
    root = tmp_path / "root"
    shutil.copytree(installed.root, root)
    shutil.rmtree(root / "run")
    deployed = Deployment(root)
    for config in (root / "etc/ihp").glob("*.toml"):
        text = config.read_text().replace(str(installed.root), str(root))
        config.write_text(text.replace(f"port = {installed.port}", f"port = {deployed.port}"))
    try:
        yield deployed
    finally:
        deployed.stop()


@pytest.fixture
def deployment(unstarted: Deployment) -> Deployment:
    unstarted.start()
    return unstarted


def test_every_procedure_in_the_runbook_is_exercised_here() -> None:
    exercised = {"install", "start", "smoke-test", "planned-rotation", "rotation-progress",
                 "emergency-rotation", "drift-tuning", "version-rollout", "version-rollback",
                 "nonce-reuse", "decrypt-failures", "replay-capacity", "profile-pin",
                 "profile-id-check", "profile-id-roll", "profile-id-repin",
                 "service-degradation", "connection-limits", "performance", "clock-skew"}
    assert set(runbook_blocks()) == exercised


def test_the_configuration_reference_names_every_setting() -> None:
    from ihp_server import SETTINGS

    text = RUNBOOK.read_text()
    missing = [name for setting in SETTINGS for name in (setting.flag, setting.env, setting.toml)
               if f"`{name}`" not in text]
    assert missing == []


def test_install_start_and_smoke_test_pass_conformance_over_https(
        deployment: Deployment) -> None:
    out = deployment.run("smoke-test")
    assert json.loads(out.splitlines()[0])["outcome"] == "accepted"
    assert "IHP-HTTP" in out and "conforms" in out


def test_planned_rotation_keeps_the_old_key_open_and_counts_it(deployment: Deployment) -> None:
    old = deployment.key("master-1.hex")
    deployment.run("planned-rotation")
    new = deployment.key("master-2.hex")
    deployment.until(lambda: deployment.login(new) == 200, "the new key after SIGHUP")
    assert deployment.login(old) == 200
    progress = deployment.run("rotation-progress")
    assert "ihp_keyring_previous_key_success_total 1.0" in progress
    assert "ihp_keyring_previous_keys_open 1.0" in progress


def test_emergency_rotation_locks_out_every_previous_key(deployment: Deployment) -> None:
    first = deployment.key("master-1.hex")
    deployment.run("planned-rotation")
    second = deployment.key("master-2.hex")
    deployment.until(lambda: deployment.login(second) == 200, "the planned rotation")
    deployment.run("emergency-rotation")
    third = deployment.key("master-3.hex")
    deployment.until(lambda: deployment.login(third) == 200, "the emergency rotation")
    assert deployment.login(first) == 401
    assert deployment.login(second) == 401
    assert not (deployment.root / "etc/ihp/master-1.hex").exists()


def test_drift_tuning_narrows_the_window_after_a_restart(deployment: Deployment) -> None:
    key = deployment.key("master-1.hex")
    assert deployment.login(key, age=200) == 200
    out = deployment.run("drift-tuning")
    assert '"max_timestamp_drift": 120' in out
    assert "ihp_drift_seconds_count 1.0" in out
    deployment.wait_stopped()
    deployment.start()
    assert deployment.login(key, age=200) == 401
    assert deployment.login(key, age=100) == 200


def test_version_rollout_then_rollback(deployment: Deployment) -> None:
    key = deployment.key("master-1.hex")
    assert deployment.login(key, version=2) == 401
    deployment.run("version-rollout")
    deployment.wait_stopped()
    deployment.start()
    assert deployment.login(key, version=2) == 200
    deployment.run("version-rollback")
    deployment.wait_stopped()
    deployment.start()
    assert deployment.login(key, version=2) == 401
    assert deployment.login(key, version=1) == 200
    assert '"telemetry":"VersionUnsupported"' in deployment.log()


def test_nonce_reuse_response_finds_the_metric_and_the_peer(deployment: Deployment) -> None:
    key = deployment.key("master-1.hex")
    with HttpConnection(deployment.url, tls=deployment.ca) as conn:
        exporter = conn.exporter_key()
        assert exporter is not None
        profile = fetch_profile(conn)
        built = build_capsule_for_password(profile, key, exporter, b"pw", rtt_bucket=1)
        assert send_capsule(conn, built.capsule).status == 200
        assert send_capsule(conn, built.capsule).status == 401  # replay
        # a broken client RNG: same nonce, other payload, same connection and context
        from ihp_ref import (
            CapsuleTimestamp,
            IhpConfig,
            PasswordMaterial,
            encrypt_capsule,
        )

        capsule = built.capsule
        other = encrypt_capsule(1, IhpConfig(), secrets.randbits(64), capsule.client_nonce,
                                capsule.server_profile_id, capsule.network_context,
                                profile.server_env_hash, built.session_key,
                                PasswordMaterial(b"other"), CapsuleTimestamp(built.timestamp))
        assert send_capsule(conn, other).status == 401
    out = deployment.run("nonce-reuse")
    assert 'ihp_decrypt_failure_total{code="NonceCollision"} 1.0' in out
    assert 'ihp_decrypt_failure_total{code="NonceReuse"} 1.0' in out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert {line["telemetry"] for line in lines} == {"NonceReuse", "NonceCollision"}
    assert all(line["peer"] == "127.0.0.1" for line in lines)
    nonce_b64 = base64.b64encode(capsule.client_nonce.value).decode()
    assert nonce_b64 not in deployment.log() and capsule.client_nonce.value.hex() not in out


def test_decrypt_failure_breakdown_names_the_cause(deployment: Deployment) -> None:
    key = deployment.key("master-1.hex")
    assert deployment.login(key) == 200
    assert deployment.login(InMemoryKeyProvider(bytes(32))) == 401  # a wrong master key
    assert deployment.login(key, age=3600) == 401  # a slow clock
    out = deployment.run("decrypt-failures")
    assert "ihp_decrypt_total 3.0" in out
    assert 'ihp_decrypt_failure_total{code="AeadTagInvalid"} 1.0' in out
    assert 'ihp_decrypt_failure_total{code="TimestampStale"} 1.0' in out
    assert "NonceReuse" not in out  # zero-valued series are filtered out


def test_a_full_replay_guard_fails_closed_until_capacity_is_raised(
        unstarted: Deployment) -> None:
    deployment = unstarted
    key = deployment.key("master-1.hex")
    config = deployment.root / "etc/ihp/ihp.toml"
    config.write_text(config.read_text().replace("capacity = 1000000", "capacity = 2"))
    deployment.start()
    assert [deployment.login(key) for _ in range(3)] == [200, 200, 401]
    out = deployment.run("replay-capacity")
    assert "ihp_replay_capacity_exhausted_total 1.0" in out
    assert '"replay_capacity": 4000000' in out
    deployment.wait_stopped()
    deployment.start()
    assert deployment.login(key) == 200


def test_a_pinned_env_hash_refuses_a_re_imaged_host_until_a_new_profile_id_is_rolled(
        deployment: Deployment) -> None:
    out = deployment.run("profile-pin")
    assert '"server_profile_id": "42"' in out and '"env_hash_matches": true' in out
    key = deployment.key("master-1.hex")
    with HttpConnection(deployment.url, tls=deployment.ca) as conn:
        cached = fetch_profile(conn)  # what a client holds from before the re-image
    deployment.stop()
    deployment.env["IHP_OS_FINGERPRINT"] = "os:prod-2"  # the host is re-imaged
    assert deployment.start_refused() == 3
    out = deployment.run("profile-id-check")
    assert '"env_hash_matches": false' in out
    assert '"event":"env_hash_mismatch"' in out and '"action":"refused"' in out
    assert cached.server_env_hash.value.hex() in out
    out = deployment.run("profile-id-roll")
    assert '"server_profile_id": "43"' in out and '"env_hash_matches": true' in out
    deployment.start()
    assert deployment.login(key) == 200  # a fresh GET /ihp/profile: id 43, the new hash
    with HttpConnection(deployment.url, tls=deployment.ca) as conn:
        exporter = conn.exporter_key()
        assert exporter is not None
        stale = build_capsule_for_password(cached, key, exporter, b"pw", rtt_bucket=1)
        assert send_capsule(conn, stale.capsule).status == 401


def test_a_planned_fingerprint_change_is_re_pinned_under_the_same_profile_id(
        unstarted: Deployment) -> None:
    deployment = unstarted
    deployment.run("profile-pin")
    deployment.env["IHP_BUILD_FINGERPRINT"] = "build:prod-2"  # a release, on purpose
    assert deployment.start_refused() == 3
    assert '"env_hash_matches": true' in deployment.run("profile-id-repin")
    deployment.start()
    assert deployment.login(deployment.key("master-1.hex")) == 200
    with HttpConnection(deployment.url, tls=deployment.ca) as conn:
        assert fetch_profile(conn).server_profile_id.value == 42


def test_service_degradation_shows_the_front_end_closing_a_slow_request_head(
        unstarted: Deployment) -> None:
    deployment = unstarted
    config = deployment.root / "etc/ihp/ihp.toml"
    config.write_text(config.read_text() + "\n[limits]\nhead_timeout = 1\n")
    deployment.start()
    context = ssl.create_default_context(cafile=str(deployment.root / "etc/ihp/tls/ca.pem"))
    with socket.create_connection(("127.0.0.1", deployment.port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as slow:
        slow.sendall(b"POST /ihp/auth HTTP/1.1\r\n")  # and nothing more
        assert slow.recv(100) == b""  # closed by the head deadline
    out = deployment.run("service-degradation")
    assert out.startswith('{"status":"ok"}')
    assert 'ihp_server_connections_closed_total{reason="head_timeout"} 1.0' in out
    assert re.search(r"^ihp_server_connections_open \d", out, re.MULTILINE)
    limit = [json.loads(line) for line in out.splitlines() if '"connection_limit"' in line]
    assert [(e["reason"], e["peer"], e["count"]) for e in limit] == [
        ("head_timeout", "127.0.0.1", 1)]


def test_connection_limits_are_tuned_in_the_configuration_file(
        deployment: Deployment) -> None:
    out = deployment.run("connection-limits")
    assert '"max_connections": 8192' in out and '"head_timeout": 5.0' in out
    deployment.wait_stopped()
    deployment.start()
    assert deployment.login(deployment.key("master-1.hex")) == 200


def test_performance_splits_connect_handshake_and_first_byte(deployment: Deployment) -> None:
    out = deployment.run("performance")
    assert re.search(r"^tcp [0-9.]+s  tls [0-9.]+s  first-byte [0-9.]+s$", out, re.MULTILINE)
    pid = (deployment.root / "run/ihp-server.pid").read_text().strip()
    assert re.search(rf"^\s*{pid}\s", out, re.MULTILINE)
    assert "ihp_keyring_previous_keys_open 0.0" in out
    assert 'ihp_server_connections_closed_total{reason="refused"} 0.0' in out


def test_clock_skew_names_the_peers_and_the_drifts(deployment: Deployment) -> None:
    key = deployment.key("master-1.hex")
    assert deployment.login(key, age=200) == 200
    assert deployment.login(key, age=3600) == 401
    out = deployment.run("clock-skew")
    assert re.search(r'^\s*1 "peer":"127\.0\.0\.1"$', out, re.MULTILINE)
    assert re.search(r'^"drift_seconds":20[0-2]$', out, re.MULTILINE)
    assert "server clock " in out
