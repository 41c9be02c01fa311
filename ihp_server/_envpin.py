"""The profile-id lifecycle guard (docs/RUNBOOK.md, "Profile-id lifecycle").

A `server_profile_id` is issued for one `ServerEnvHash` (spec §5). When the detected SEP
hashes otherwise (a re-image, a new NIC, a new build fingerprint), `K_profile` changes and
every capsule clients make for that profile fails with `InvalidAeadTag`, with nothing to
say why. A pinned hash turns that into a refusal to start that names the procedure, or,
when the operator asks for it, a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ihp_ref import ServerEnvHash

__all__ = ["EXIT_ENV_HASH_MISMATCH", "RUNBOOK_SECTION", "EnvHashCheck"]

RUNBOOK_SECTION = "docs/RUNBOOK.md#profile-id-lifecycle"
EXIT_ENV_HASH_MISMATCH = 3  # 2 is an invalid configuration; systemd can tell them apart


@dataclass(frozen=True, slots=True)
class EnvHashCheck:
    detected: ServerEnvHash
    expected: ServerEnvHash | None  # None: not pinned
    mode: str  # "refuse" or "warn"

    @property
    def matches(self) -> bool | None:
        return None if self.expected is None else self.detected == self.expected

    @property
    def refuses(self) -> bool:
        return self.matches is False and self.mode == "refuse"

    def summary(self) -> dict[str, Any]:
        """The `--print-config` / `check-config` fields (hashes are public)."""
        return {
            "server_env_hash_hex": self.detected.value.hex(),
            "expect_env_hash_hex": self.expected.value.hex() if self.expected else None,
            "env_hash_matches": self.matches,
            "env_hash_mismatch": self.mode,
        }

    def message(self, server_profile_id: int) -> str:
        assert self.expected is not None
        detected = self.detected.value.hex()
        action = ("refusing to start" if self.refuses
                  else "serving anyway (--env-hash-mismatch=warn)")
        return (f"ServerEnvHash {detected} detected, but server_profile_id "
                f"{server_profile_id} was issued for {self.expected.value.hex()}: the host's "
                "SEP changed and every capsule made for this profile id would fail with "
                f"InvalidAeadTag; {action}. Procedure {RUNBOOK_SECTION}: roll a new "
                f"server_profile_id, or after a planned change re-pin with "
                f"--expect-env-hash {detected}")
