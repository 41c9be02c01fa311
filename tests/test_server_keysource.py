"""Master key sources (spec §6): hex or base64 files, environment variables, and the
`provider:module:callable` hook for HSM/KMS-wrapped keys; key ring files and rotations."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest

from ihp_ref import InMemoryKeyProvider
from ihp_server import (
    KeyRingFile,
    KeySource,
    KeySourceError,
    emergency_rotation,
    key_id,
    planned_rotation,
)
from ihp_server.cli import main as server_main

KEY = bytes(range(100, 132))


def loaded(source: str, environ: dict[str, str] | None = None) -> bytes:
    with KeySource.parse(source).load(environ or {}).master_key() as key:
        return key.value


def test_files_and_variables_may_hold_hex_or_base64(tmp_path: Path) -> None:
    (tmp_path / "k.hex").write_text(KEY.hex() + "\n")
    (tmp_path / "k.b64").write_text(base64.b64encode(KEY).decode())
    assert loaded(f"file:{tmp_path / 'k.hex'}") == KEY
    assert loaded(f"file:{tmp_path / 'k.b64'}") == KEY
    assert loaded("env:IHP_K", {"IHP_K": base64.b64encode(KEY).decode()}) == KEY


@pytest.mark.parametrize("text", ["", "00" * 31, "zz" * 32, base64.b64encode(bytes(31)).decode()])
def test_key_material_of_the_wrong_size_or_encoding_is_refused_without_echo(
        tmp_path: Path, text: str) -> None:
    (tmp_path / "bad").write_text(text)
    with pytest.raises(KeySourceError) as caught:
        loaded(f"file:{tmp_path / 'bad'}")
    assert not text or text not in str(caught.value)


def test_the_hsm_hook_imports_a_provider_factory(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fake_hsm.py").write_text(
        "from ihp_ref import InMemoryKeyProvider\n"
        "def unwrap(blob):\n    return bytes(b ^ 0xFF for b in blob)\n"
        f"def provider():\n    return InMemoryKeyProvider.from_hsm_wrapped("
        f"{bytes(b ^ 0xFF for b in KEY)!r}, unwrap)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert loaded("provider:fake_hsm:provider") == KEY
    with pytest.raises(KeySourceError):
        loaded("provider:fake_hsm:missing")
    sys.modules.pop("fake_hsm", None)


def test_hex_sources_are_redacted_in_reprs() -> None:
    assert KEY.hex() not in repr(KeySource.parse("hex:" + KEY.hex()))
    assert key_id(InMemoryKeyProvider(KEY)) != key_id(InMemoryKeyProvider(bytes(32)))


def test_planned_rotation_keeps_open_windows_and_prunes_closed_ones() -> None:
    a, b, c, d = (KeySource.parse(f"file:/k/{n}") for n in "abcd")
    ring = KeyRingFile(c, ((b, 1000), (a, 10)))
    rotated = planned_rotation(ring, d, now=500, window_seconds=60)
    assert rotated == KeyRingFile(d, ((c, 560), (b, 1000)))
    assert emergency_rotation(rotated, a) == KeyRingFile(a, ())


def test_rotate_command_rewrites_the_ring_file_readably(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).write_text(bytes([len(name)] * 32).hex() if name == "one"
                                     else KEY.hex())
    ring = tmp_path / "keyring.toml"
    ring.write_text(f'current = "file:{tmp_path / "one"}"\n')
    assert server_main(["rotate", "--keyring", str(ring), "--new-key", f"file:{tmp_path / 'two'}",
                        "--window-seconds", "3600", "--now", "1000"]) == 0
    parsed = KeyRingFile.read(ring)
    assert parsed.current == KeySource.parse(f"file:{tmp_path / 'two'}")
    assert parsed.previous == ((KeySource.parse(f"file:{tmp_path / 'one'}"), 4600),)
    assert ring.stat().st_mode & 0o777 == 0o600
    assert server_main(["rotate", "--keyring", str(ring), "--new-key", "file:/nonexistent",
                        "--emergency"]) == 2
    assert KeyRingFile.read(ring) == parsed  # a failed rotation leaves the ring alone
