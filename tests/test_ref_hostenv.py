"""spec §5: host fingerprint detection, with the IHP_*_FINGERPRINT overrides first."""

from __future__ import annotations

from pathlib import Path

import pytest

import ihp_ref
from ihp_ref import hostenv
from ihp_ref.hostenv import detect_server_environment_profile


def test_environment_overrides_win() -> None:
    sep = detect_server_environment_profile({
        "IHP_CPU_FINGERPRINT": "cpu:a", "IHP_NIC_FINGERPRINT": "nic:b",
        "IHP_OS_FINGERPRINT": "os:c", "IHP_BUILD_FINGERPRINT": "build:d"})
    assert (sep.cpu_fingerprint, sep.nic_fingerprint, sep.os_fingerprint,
            sep.app_build_fingerprint, sep.tpm_quote) == ("cpu:a", "nic:b", "os:c", "build:d", None)


def test_detection_never_fails_and_uses_the_spec_prefixes() -> None:
    sep = detect_server_environment_profile({}, build_epoch=7)
    assert sep.cpu_fingerprint.startswith("cpu:")
    assert sep.nic_fingerprint.startswith("nic:")
    assert sep.os_fingerprint.startswith("os:") and sep.os_fingerprint.count(":") >= 2
    assert sep.app_build_fingerprint.startswith("build:v") and sep.app_build_fingerprint.endswith(":7")


def _host(monkeypatch: pytest.MonkeyPatch, files: dict[str, str], interfaces: object,
          processor: str = "", machine: str = "arm64") -> None:
    monkeypatch.setattr(hostenv, "_read", lambda path: files.get(path, ""))
    monkeypatch.setattr(hostenv.platform, "processor", lambda: processor)
    monkeypatch.setattr(hostenv.platform, "machine", lambda: machine)

    def if_nameindex() -> list[tuple[int, str]]:
        if isinstance(interfaces, OSError):
            raise interfaces
        return list(interfaces)  # type: ignore[call-overload]
    monkeypatch.setattr(hostenv.socket, "if_nameindex", if_nameindex)


def test_each_fingerprint_is_read_from_the_host_as_spec_5_says(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _host(monkeypatch, {
        "/proc/cpuinfo": "processor\t: 0\nmodel name\t: Example CPU @ 3.0GHz \nflags\t: x\n",
        "/etc/os-release": 'NAME="X"\nPRETTY_NAME="Example OS 1 (a=b)"\n'},
        [(3, "eth1"), (1, "lo"), (2, "eth0")])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    sep = detect_server_environment_profile({})
    assert (sep.cpu_fingerprint, sep.nic_fingerprint, sep.os_fingerprint) == (
        "cpu:Example CPU @ 3.0GHz", "nic:eth0", "os:Example OS 1 (a=b):arm64")
    assert sep.app_build_fingerprint == f"build:v{ihp_ref.__version__}:1700000000"


@pytest.mark.parametrize("processor,machine,cpu", [
    ("x86_64", "amd64", "cpu:x86_64"), ("", "amd64", "cpu:amd64"), ("", "", "cpu:unknown")])
def test_a_host_without_the_usual_files_still_gets_a_fingerprint(
        monkeypatch: pytest.MonkeyPatch, processor: str, machine: str, cpu: str) -> None:
    _host(monkeypatch, {}, [(1, "lo")], processor, machine)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "not a number")
    sep = detect_server_environment_profile({})
    assert (sep.cpu_fingerprint, sep.nic_fingerprint, sep.os_fingerprint) == (
        cpu, "nic:none", f"os:unknown:{machine}")
    assert sep.app_build_fingerprint == f"build:v{ihp_ref.__version__}:0"


def test_no_interface_list_is_nic_none(monkeypatch: pytest.MonkeyPatch) -> None:
    _host(monkeypatch, {}, OSError("no interfaces"))
    assert detect_server_environment_profile({}).nic_fingerprint == "nic:none"


def test_a_file_that_cannot_be_read_is_empty(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"a\xffb")
    assert hostenv._read(str(tmp_path / "f")) == "a\ufffdb"
    assert hostenv._read(str(tmp_path / "missing")) == ""


def test_a_value_is_kept_whole_after_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # the CPU model after the first colon, colons and all; the OS name inside its quotes
    _host(monkeypatch, {"/proc/cpuinfo": "model name\t: Example: CPU rev 2\n",
                        "/etc/os-release": 'PRETTY_NAME="Xubuntu 24.04 LTS"\n'}, [])
    sep = detect_server_environment_profile({})
    assert (sep.cpu_fingerprint, sep.os_fingerprint) == (
        "cpu:Example: CPU rev 2", "os:Xubuntu 24.04 LTS:arm64")


def test_the_process_environment_is_read_only_when_no_environment_is_given(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IHP_CPU_FINGERPRINT", "cpu:from-os-environ")
    assert detect_server_environment_profile().cpu_fingerprint == "cpu:from-os-environ"
    given = detect_server_environment_profile({"IHP_CPU_FINGERPRINT": "cpu:given"})
    assert given.cpu_fingerprint == "cpu:given"
    assert detect_server_environment_profile({}).cpu_fingerprint != "cpu:from-os-environ"
