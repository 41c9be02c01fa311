"""Host fingerprint detection for the reference server (spec §5). Reads the machine, so
it lives outside the sans-I/O core. Detection never fails: a missing source gives a
fallback string."""

from __future__ import annotations

import os
import platform
import socket
from collections.abc import Mapping
from pathlib import Path

from . import ServerEnvironmentProfile, __version__

__all__ = ["FINGERPRINT_ENV_VARS", "detect_server_environment_profile"]

# spec §5: environment overrides, in the order the fields are hashed
FINGERPRINT_ENV_VARS = (
    "IHP_CPU_FINGERPRINT",
    "IHP_NIC_FINGERPRINT",
    "IHP_OS_FINGERPRINT",
    "IHP_BUILD_FINGERPRINT",
)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _cpu() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return "cpu:" + line.split(":", 1)[1].strip()
    return "cpu:" + (platform.processor() or platform.machine() or "unknown")


def _nic() -> str:
    try:  # spec §5: the first non-loopback interface, in the kernel's index order
        interfaces = sorted((index, name) for index, name in socket.if_nameindex()
                            if name != "lo")
    except OSError:
        interfaces = []
    return "nic:" + (interfaces[0][1] if interfaces else "none")


def _os() -> str:
    pretty = "unknown"
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            pretty = line.split("=", 1)[1].strip().strip('"')
    return f"os:{pretty}:{platform.machine()}"


def _build(build_epoch: int | None) -> str:
    if build_epoch is None:
        source_date = os.environ.get("SOURCE_DATE_EPOCH", "")
        build_epoch = int(source_date) if source_date.isdigit() else 0
    return f"build:v{__version__}:{build_epoch}"


def detect_server_environment_profile(
    environ: Mapping[str, str] | None = None, build_epoch: int | None = None
) -> ServerEnvironmentProfile:
    """The host's SEP: `IHP_*_FINGERPRINT` variables first, then the host (spec §5)."""
    env = os.environ if environ is None else environ
    cpu_var, nic_var, os_var, build_var = FINGERPRINT_ENV_VARS
    return ServerEnvironmentProfile(
        cpu_fingerprint=env.get(cpu_var) or _cpu(),
        nic_fingerprint=env.get(nic_var) or _nic(),
        os_fingerprint=env.get(os_var) or _os(),
        app_build_fingerprint=env.get(build_var) or _build(build_epoch),
    )
