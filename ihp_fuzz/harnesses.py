"""The harness table: names, libFuzzer limits and where their files live.

One table for the CLI, the ClusterFuzzLite packaging (`<t>.options`) and the tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ihp_fuzz.errors import FuzzToolError

__all__ = [
    "HARNESSES",
    "Harness",
    "checkout_fuzz_dir",
    "fuzz_dir",
    "get_harness",
    "packaged_fuzz_dir",
]


@dataclass(frozen=True, slots=True)
class Harness:
    name: str
    timeout_s: int = 10  # libFuzzer -timeout: one input slower than this is a finding
    rss_limit_mb: int = 2048
    max_len: int = 4096
    dict_name: str = "capsule.dict"
    smoke_runs: int = 3000

    def script(self, root: Path | None = None) -> Path:
        return (root or fuzz_dir()) / f"{self.name}.py"

    def seeds(self, root: Path | None = None) -> Path:
        return (root or fuzz_dir()) / "corpus" / self.name

    def dictionary(self, root: Path | None = None) -> Path:
        return (root or fuzz_dir()) / "dicts" / self.dict_name

    def regressions(self, root: Path | None = None) -> Path:
        return (root or fuzz_dir()) / "regressions" / self.name

    def libfuzzer_options(self) -> dict[str, int]:
        """The flags every run of this harness carries (also written to `<t>.options`)."""
        return {"timeout": self.timeout_s, "rss_limit_mb": self.rss_limit_mb,
                "max_len": self.max_len}


HARNESSES: tuple[Harness, ...] = (
    Harness("capsule_roundtrip", max_len=8192),
    Harness("nonce_mutation"),
    Harness("json_decode", max_len=16384, dict_name="json.dict"),
    Harness("json_model", max_len=16384, dict_name="json.dict"),
    Harness("binary_decode"),
    Harness("http_body", dict_name="http.dict"),
    Harness("server_body", dict_name="http.dict"),
    Harness("differential", timeout_s=20, smoke_runs=500),
)


def get_harness(name: str) -> Harness:
    for harness in HARNESSES:
        if harness.name == name:
            return harness
    known = ", ".join(h.name for h in HARNESSES)
    raise FuzzToolError(f"unknown harness {name!r} (known: {known})")


# A checkout keeps the harnesses, seeds and dictionaries in fuzz/ at the repository root; the
# wheel force-includes that folder as ihp_fuzz/_data/fuzz (pyproject.toml).
_CHECKOUT_FUZZ_DIR = Path(__file__).resolve().parent.parent / "fuzz"


def packaged_fuzz_dir() -> Path:
    """Where an installed wheel keeps `fuzz/` (absent in a checkout)."""
    return Path(str(files("ihp_fuzz").joinpath("_data").joinpath("fuzz")))


def fuzz_dir() -> Path:
    """`fuzz/`: IHP_FUZZ_DIR if set, else the installed wheel's copy, else the checkout's."""
    override = os.environ.get("IHP_FUZZ_DIR")
    if override:
        path = Path(override)
    else:
        packaged = packaged_fuzz_dir()
        path = packaged if (packaged / "corpus").is_dir() else _CHECKOUT_FUZZ_DIR
    if not (path / "corpus").is_dir():
        raise FuzzToolError(f"no fuzz directory at {path} (set IHP_FUZZ_DIR to the checkout's "
                            "fuzz/ folder)")
    return path


def checkout_fuzz_dir(purpose: str) -> Path:
    """`fuzz/` for a command that writes into it: never the installed wheel's copy."""
    path = fuzz_dir()
    if not os.environ.get("IHP_FUZZ_DIR") and path == packaged_fuzz_dir():
        raise FuzzToolError(f"{purpose} writes into fuzz/ of a checkout; this is the installed "
                            "copy: set IHP_FUZZ_DIR to the checkout's fuzz/ folder")
    return path
