"""spec §5: host fingerprint detection, with the IHP_*_FINGERPRINT overrides first."""

from __future__ import annotations

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
