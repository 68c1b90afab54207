"""Bad argument types, and that plaintext and keys never show in repr or exception text."""

from __future__ import annotations

import array
import base64
import gc
import os
from pathlib import Path

import pytest

import keystead
from keystead import exceptions as exc

SECRET = b"S3CRET-4111-1111-1111-1111"


def test_str_plaintext_message_helps(store: keystead.Keystead, key_id: str) -> None:
    with pytest.raises(TypeError) as info:
        store.encrypt(key_id, "card")  # type: ignore[arg-type]
    assert "not str" in str(info.value) and ".encode(" in str(info.value)
    with pytest.raises(TypeError):
        store.decrypt("blob")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keystead.RootKey.from_bytes("k" * 32)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, 42, 3.5, ["a"], {"a": 1}, object(), array.array("i", [1, 2])])
def test_non_bytes_plaintext_is_type_error(store: keystead.Keystead, key_id: str, value: object) -> None:
    with pytest.raises(TypeError):
        store.encrypt(key_id, value)  # type: ignore[arg-type]


def test_bad_argument_types(store: keystead.Keystead, key_id: str) -> None:
    with pytest.raises(TypeError):
        store.describe_key(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.encrypt(key_id, b"x", encryption_context={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        store.encrypt(key_id, b"x", encryption_context=[("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.create_key(key_spec=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.list_keys(limit="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.tag_resource(key_id, {"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        store.rotate_root_key("new")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keystead.Keystead(None)  # type: ignore[arg-type]
    kms = store.client()
    with pytest.raises(TypeError):
        kms.encrypt(KeyId=key_id, Plaintext=12)
    with pytest.raises(TypeError):
        kms.describe_key(KeyId=None)


def test_enum_members_and_strings_are_interchangeable(store: keystead.Keystead, key_id: str) -> None:
    a = store.generate_data_key(key_id, key_spec=keystead.DataKeySpec.AES_128)
    b = store.generate_data_key(key_id, key_spec="AES_128")
    assert len(a.plaintext) == len(b.plaintext) == 16
    assert keystead.KeyState("Enabled") is keystead.KeyState.ENABLED
    assert str(keystead.KeySpec.SYMMETRIC_DEFAULT) == "SYMMETRIC_DEFAULT"
    assert f"{keystead.KeyUsage.ENCRYPT_DECRYPT}" == "ENCRYPT_DECRYPT"


def test_results_are_frozen(store: keystead.Keystead, key_id: str) -> None:
    meta = store.describe_key(key_id)
    with pytest.raises(AttributeError):
        meta.description = "x"  # type: ignore[misc]
    data_key = store.generate_data_key(key_id)
    with pytest.raises(AttributeError):
        data_key.plaintext = b""  # type: ignore[misc]
    root = keystead.RootKey.passphrase("p")
    with pytest.raises(AttributeError):
        root._kind = "bytes"  # type: ignore[misc]


def _texts(*objects: object) -> str:
    return "\n".join(f"{o!r} {o!s}" for o in objects)


def test_repr_never_shows_secrets(store: keystead.Keystead, key_id: str) -> None:
    sealed = store.encrypt(key_id, SECRET)
    opened = store.decrypt(sealed.ciphertext_blob)
    data_key = store.generate_data_key(key_id)
    bare = store.generate_data_key_without_plaintext(key_id)
    moved = store.re_encrypt(sealed.ciphertext_blob, key_id)
    shown = _texts(sealed, opened, data_key, bare, moved, store, store.client())
    assert "redacted, 26 bytes" in repr(opened)
    for secret in (SECRET, data_key.plaintext, sealed.ciphertext_blob):
        for form in (repr(secret), secret.hex(), base64.b64encode(secret).decode()):
            assert form not in shown
    assert "S3CRET" not in shown


def test_root_key_repr_hides_secrets() -> None:
    raw = os.urandom(32)
    shown = _texts(keystead.RootKey.passphrase("hunter2-passphrase"), keystead.RootKey.from_bytes(raw))
    assert "hunter2" not in shown and raw.hex() not in shown and repr(raw) not in shown
    assert "RootKey.key_file(None)" == repr(keystead.RootKey.key_file())


def test_exception_text_never_shows_secrets(store: keystead.Keystead, key_id: str) -> None:
    sealed = store.encrypt(key_id, SECRET, encryption_context={"k": "v"})
    failures = []
    for call in (
        lambda: store.decrypt(sealed.ciphertext_blob),
        lambda: store.decrypt(sealed.ciphertext_blob[:-3] + b"\x00\x00\x00", encryption_context={"k": "v"}),
        lambda: store.encrypt(key_id, SECRET * 200),
        lambda: store.encrypt("alias/none", SECRET),
    ):
        with pytest.raises(exc.KeysteadError) as info:
            call()
        failures.append(info.value)
    shown = _texts(*failures) + repr([f.response for f in failures])
    assert "S3CRET" not in shown
    assert sealed.ciphertext_blob.hex() not in shown and repr(sealed.ciphertext_blob) not in shown


def test_wrong_root_key_bytes_never_shown(tmp_path: Path) -> None:
    right, wrong = os.urandom(32), os.urandom(32)
    keystead.Keystead(tmp_path / "s", root_key=keystead.RootKey.from_bytes(right))
    with pytest.raises(exc.IncorrectRootKeyException) as info:
        keystead.Keystead(tmp_path / "s", root_key=keystead.RootKey.from_bytes(wrong))
    text = _texts(info.value) + repr(info.value.response)
    for key in (right, wrong):
        assert key.hex() not in text and base64.b64encode(key).decode() not in text
    gc.collect()


def test_keystead_handle_cannot_be_pickled(store: keystead.Keystead) -> None:
    import pickle

    with pytest.raises(TypeError, match="open the store folder"):
        pickle.dumps(store)
