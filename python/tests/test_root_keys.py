"""Every root key provider, reopening, and root key rotation."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

import keystead
from keystead import RootKey
from keystead import exceptions as exc


def _round_trip(store: keystead.Keystead) -> bytes:
    key = store.create_key().key_id
    return store.encrypt(key, b"payload").ciphertext_blob


def test_default_key_file(tmp_path: Path) -> None:
    blob = _round_trip(keystead.Keystead(tmp_path / "s"))
    key_file = tmp_path / "s" / "root.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert keystead.Keystead(tmp_path / "s").decrypt(blob).plaintext == b"payload"


def test_explicit_key_file(tmp_path: Path) -> None:
    key_path = tmp_path / "keys" / "my.key"
    key_path.parent.mkdir()
    blob = _round_trip(keystead.Keystead(tmp_path / "s", root_key=RootKey.key_file(key_path)))
    assert key_path.exists() and not (tmp_path / "s" / "root.key").exists()
    assert keystead.Keystead(tmp_path / "s", root_key=RootKey.key_file(str(key_path))).decrypt(blob).plaintext == b"payload"
    with pytest.raises(exc.KeysteadError):  # the default file does not exist / does not match
        keystead.Keystead(tmp_path / "s", root_key=RootKey.key_file(tmp_path / "elsewhere.key"))


def test_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_ROOT", base64.b64encode(os.urandom(32)).decode())
    blob = _round_trip(keystead.Keystead(tmp_path / "s", root_key=RootKey.env_var("MY_ROOT")))
    assert keystead.Keystead(tmp_path / "s", root_key=RootKey.env_var("MY_ROOT")).decrypt(blob).plaintext == b"payload"
    monkeypatch.setenv("KEYSTEAD_ROOT_KEY", base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(exc.IncorrectRootKeyException):
        keystead.Keystead(tmp_path / "s", root_key=RootKey.env_var())
    monkeypatch.delenv("KEYSTEAD_ROOT_KEY")
    with pytest.raises(exc.KeysteadError):
        keystead.Keystead(tmp_path / "s2", root_key=RootKey.env_var())


def test_passphrase_text_or_bytes(tmp_path: Path) -> None:
    blob = _round_trip(keystead.Keystead(tmp_path / "s", root_key=RootKey.passphrase("pässword")))
    again = keystead.Keystead(tmp_path / "s", root_key=RootKey.passphrase("pässword".encode()))
    assert again.decrypt(blob).plaintext == b"payload"


def test_raw_bytes(tmp_path: Path) -> None:
    raw = bytearray(os.urandom(32))
    blob = _round_trip(keystead.Keystead(tmp_path / "s", root_key=RootKey.from_bytes(raw)))
    assert keystead.Keystead(tmp_path / "s", root_key=RootKey.from_bytes(bytes(raw))).decrypt(blob).plaintext == b"payload"
    with pytest.raises(exc.KeysteadError):
        keystead.Keystead(tmp_path / "short", root_key=RootKey.from_bytes(b"too short"))


def test_rotate_root_key(tmp_path: Path) -> None:
    store = keystead.Keystead(tmp_path / "s", root_key=RootKey.passphrase("old"))
    blob = _round_trip(store)
    store.rotate_root_key(RootKey.passphrase("new"))
    assert store.decrypt(blob).plaintext == b"payload"
    with pytest.raises(exc.IncorrectRootKeyException):
        keystead.Keystead(tmp_path / "s", root_key=RootKey.passphrase("old"))
    assert keystead.Keystead(tmp_path / "s", root_key=RootKey.passphrase("new")).decrypt(blob).plaintext == b"payload"
    with pytest.raises(exc.UnsupportedOperationException):
        store.rotate_root_key(RootKey.from_bytes(os.urandom(32)))


def test_rotate_key_file_root_key(tmp_path: Path) -> None:
    store = keystead.Keystead(tmp_path / "s")
    blob = _round_trip(store)
    before = (tmp_path / "s" / "root.key").read_bytes()
    store.rotate_root_key(RootKey.key_file())
    assert (tmp_path / "s" / "root.key").read_bytes() != before
    assert keystead.Keystead(tmp_path / "s").decrypt(blob).plaintext == b"payload"


def test_unknown_root_key_kind() -> None:
    with pytest.raises(ValueError):
        RootKey("magic", None)
