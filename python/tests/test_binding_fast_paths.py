"""The per-call fast paths of the binding give the same results and errors as the general paths
they skip: `bytes` inputs read in place (python/src/convert.rs `bytes_arg`) against copied
buffers, plain-dict contexts (keystead/_args.py `string_map`) against other mappings, and
results built field by field (`_from_aws`) against their dataclass constructors."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from types import MappingProxyType

import pytest

import keystead
from keystead import exceptions as exc
from keystead.enums import EncryptionAlgorithm, SigningAlgorithm
from keystead.types import DecryptResult, EncryptResult, SignResult


def test_every_context_form_binds_the_same(store: keystead.Keystead, key_id: str) -> None:
    # ASCII and non-ASCII text, a plain dict and other mappings: each decrypts the others'.
    for context in ({"tenant": "acme"}, {"tenant": "açme €"}):
        others = (dict(context), OrderedDict(context), MappingProxyType(dict(context)))
        for given in others:
            blob = store.encrypt(key_id, b"record", encryption_context=given).ciphertext_blob
            for other in others:
                assert store.decrypt(blob, encryption_context=other).plaintext == b"record"
        with pytest.raises(exc.InvalidCiphertextException):
            store.decrypt(blob, encryption_context={"tenant": "other"})


def test_plain_dict_context_errors_are_unchanged(store: keystead.Keystead, key_id: str) -> None:
    with pytest.raises(TypeError, match="encryption_context must be a mapping of str to str, not one with a str key and a int value"):
        store.encrypt(key_id, b"x", encryption_context={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="encryption_context"):
        store.encrypt(key_id, b"x", encryption_context={2: "b"})  # type: ignore[dict-item]
    # A lone surrogate after an ASCII pair: the fast path leaves at the second item.
    with pytest.raises(exc.ValidationException) as info:
        store.decrypt(b"x" * 40, encryption_context={"a": "b", "k": "\udcff"})
    assert info.value.operation_name == "Decrypt"


def test_buffers_read_in_place_or_copied_give_the_same_bytes(store: keystead.Keystead, key_id: str) -> None:
    signing = store.create_key(key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY").key_id
    message = bytes(range(64))
    signature = store.sign(signing, message, signing_algorithm="ECDSA_SHA_256").signature
    for form in (bytes, bytearray, memoryview):
        assert store.verify(signing, form(message), form(signature), signing_algorithm="ECDSA_SHA_256").signature_valid
        blob = store.encrypt(key_id, form(message)).ciphertext_blob
        assert store.decrypt(form(blob)).plaintext == message
    # A buffer changed after the call does not change what was encrypted (it was copied).
    buffer = bytearray(message)
    blob = store.encrypt(key_id, buffer).ciphertext_blob
    buffer[:] = b"\0" * len(buffer)
    assert store.decrypt(blob).plaintext == message
    with pytest.raises(TypeError, match="Plaintext must be bytes-like"):
        store.encrypt(key_id, "text")  # type: ignore[arg-type]


def test_results_built_from_native_dicts_equal_constructed_ones(store: keystead.Keystead, key_id: str) -> None:
    sealed = store.encrypt(key_id, b"abc")
    assert sealed == EncryptResult(sealed.ciphertext_blob, sealed.key_id, EncryptionAlgorithm.SYMMETRIC_DEFAULT)
    assert sealed.encryption_algorithm is EncryptionAlgorithm.SYMMETRIC_DEFAULT
    opened = store.decrypt(sealed.ciphertext_blob)
    assert opened == DecryptResult(b"abc", sealed.key_id, EncryptionAlgorithm.SYMMETRIC_DEFAULT, opened.key_material_id)
    assert opened.key_material_id
    signing = store.create_key(key_spec="ECC_NIST_EDWARDS25519", key_usage="SIGN_VERIFY").key_id
    signed = store.sign(signing, b"m", signing_algorithm="ED25519_SHA_512")
    assert signed == SignResult(signed.signature, signed.key_id, SigningAlgorithm.ED25519_SHA_512)
    assert hash(sealed) == hash(EncryptResult(sealed.ciphertext_blob, sealed.key_id, EncryptionAlgorithm.SYMMETRIC_DEFAULT))
    for result in (sealed, opened, signed):
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.key_id = "other"  # type: ignore[misc]
    assert "abc" not in repr(opened)


# -- the typed calls done in one native call (python/src/typed.rs) ---------------------------


def test_every_typed_result_is_its_dataclass(memory_store: keystead.Keystead) -> None:
    """Results built natively are the documented frozen dataclasses: equal to (and hashing as)
    the constructed ones, with enum members, pickled and unpickled unchanged, secrets hidden."""
    import pickle

    from keystead.enums import MacAlgorithm
    from keystead.types import DataKey, EncryptedDataKey, MacResult, ReEncryptResult, VerifyMacResult, VerifyResult

    store = memory_store
    key = store.create_key().key_id
    other = store.create_key().key_id
    sealed = store.encrypt(key, b"abc", encryption_context={"a": "b"})
    moved = store.re_encrypt(
        sealed.ciphertext_blob, other, source_encryption_context={"a": "b"}, destination_encryption_context={"c": "d"}
    )
    assert moved == ReEncryptResult(
        moved.ciphertext_blob,
        moved.key_id,
        moved.source_key_id,
        EncryptionAlgorithm.SYMMETRIC_DEFAULT,
        EncryptionAlgorithm.SYMMETRIC_DEFAULT,
        moved.source_key_material_id,
        moved.destination_key_material_id,
    )
    assert moved.key_id.endswith(other) and moved.source_key_id.endswith(key)
    assert moved.source_key_material_id and moved.destination_key_material_id
    assert store.decrypt(moved.ciphertext_blob, encryption_context={"c": "d"}).plaintext == b"abc"

    data_key = store.generate_data_key(key)  # AES_256 when neither key_spec nor number_of_bytes
    assert len(data_key.plaintext) == 32
    assert data_key == DataKey(data_key.plaintext, data_key.ciphertext_blob, data_key.key_id, data_key.key_material_id)
    assert store.decrypt(data_key.ciphertext_blob).plaintext == data_key.plaintext
    assert len(store.generate_data_key(key, number_of_bytes=7).plaintext) == 7
    assert len(store.generate_data_key(key, key_spec="AES_128").plaintext) == 16
    encrypted = store.generate_data_key_without_plaintext(key, encryption_context={"x": "y"})
    assert encrypted == EncryptedDataKey(encrypted.ciphertext_blob, encrypted.key_id, encrypted.key_material_id)
    assert len(store.decrypt(encrypted.ciphertext_blob, encryption_context={"x": "y"}).plaintext) == 32

    signing = store.create_key(key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY").key_id
    signed = store.sign(signing, b"m", signing_algorithm=SigningAlgorithm.ECDSA_SHA_256)
    checked = store.verify(signing, b"m", signed.signature, signing_algorithm="ECDSA_SHA_256")
    assert checked == VerifyResult(checked.key_id, True, SigningAlgorithm.ECDSA_SHA_256)
    assert checked.signing_algorithm is SigningAlgorithm.ECDSA_SHA_256
    hmac = store.create_key(key_spec="HMAC_256", key_usage="GENERATE_VERIFY_MAC").key_id
    mac = store.generate_mac(hmac, b"m", mac_algorithm="HMAC_SHA_256")
    assert mac == MacResult(mac.mac, mac.key_id, MacAlgorithm.HMAC_SHA_256)
    assert mac.mac_algorithm is MacAlgorithm.HMAC_SHA_256
    valid = store.verify_mac(hmac, b"m", mac.mac, mac_algorithm=MacAlgorithm.HMAC_SHA_256)
    assert valid == VerifyMacResult(valid.key_id, True, MacAlgorithm.HMAC_SHA_256)

    for result in (sealed, moved, data_key, encrypted, signed, checked, mac, valid):
        again = pickle.loads(pickle.dumps(result))
        assert again == result and type(again) is type(result) and hash(again) == hash(result)
        assert list(vars(result)) == [f.name for f in dataclasses.fields(result)]
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.key_id = "other"  # type: ignore[misc]
    assert data_key.plaintext.hex() not in repr(data_key) and "redacted" in repr(data_key)


def test_typed_argument_errors_are_unchanged(memory_store: keystead.Keystead) -> None:
    """The checks moved into the native call raise what keystead._args / store._tokens raised."""
    store = memory_store
    key = store.create_key().key_id
    blob = store.encrypt(key, b"x").ciphertext_blob
    calls = {
        "Encrypt": lambda **kw: store.encrypt(key, b"x", **kw),
        "Decrypt": lambda **kw: store.decrypt(blob, **kw),
        "GenerateDataKey": lambda **kw: store.generate_data_key(key, **kw),
        "GenerateDataKeyWithoutPlaintext": lambda **kw: store.generate_data_key_without_plaintext(key, **kw),
    }
    for operation, call in calls.items():
        with pytest.raises(TypeError, match="encryption_context must be a mapping of str to str, not list"):
            call(encryption_context=[("a", "b")])
        with pytest.raises(TypeError, match="not one with a int key and a str value"):
            call(encryption_context=OrderedDict([(1, "b")]))
        with pytest.raises(exc.ValidationException, match="encryption_context") as info:
            call(encryption_context=MappingProxyType({"k": "\udcff"}))
        assert info.value.operation_name == operation
        with pytest.raises(TypeError, match="grant_tokens must be a sequence of str, not a single str"):
            call(grant_tokens="token")
        with pytest.raises(TypeError, match="grant_tokens"):
            call(grant_tokens=[b"token"])
    with pytest.raises(TypeError, match="source_encryption_context"):
        store.re_encrypt(blob, key, source_encryption_context=5)  # type: ignore[arg-type]
    with pytest.raises(exc.ValidationException, match="destination_encryption_context") as info:
        store.re_encrypt(blob, key, destination_encryption_context={"\ud800": "v"})
    assert info.value.operation_name == "ReEncrypt"
    with pytest.raises(exc.ValidationException) as info:
        keystead.envelope_seal(store, key, b"x", encryption_context={"k": "\udcff"})
    assert info.value.operation_name == "EnvelopeSeal"
    with pytest.raises(TypeError, match="store"):
        keystead.envelope_seal(object(), key, b"x")  # type: ignore[arg-type]
    sealed = keystead.envelope_seal(store, key, b"x", encryption_context=OrderedDict(a="b"))
    assert keystead.envelope_open(store, sealed, encryption_context=MappingProxyType({"a": "b"})) == b"x"
    with pytest.raises(exc.InvalidCiphertextException):
        keystead.envelope_open(store, sealed, encryption_context={"a": "c"})
    # Grant tokens are taken from any iterable, as list() took them.
    assert store.encrypt(key, b"x", grant_tokens=iter([])).key_id.endswith(key)


def test_large_inputs_and_folder_stores_release_the_gil(store: keystead.Keystead, key_id: str) -> None:
    """Small in-memory calls keep the GIL (typed.rs `run`: handing it over costs more than the
    call); a folder store's calls and large inputs release it, so another thread runs meanwhile.
    A long switch interval means the GIL changes hands only when a call releases it."""
    import sys
    import threading

    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    memory = keystead.Keystead.in_memory()
    memory_key = memory.create_key().key_id
    big = bytes(16 << 20)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.05)
    worker = threading.Thread(target=count)
    worker.start()
    try:
        before = ticks
        sealed = keystead.envelope_seal(memory, memory_key, big)
        during_large = ticks - before
        before = ticks
        for _ in range(20):
            memory.decrypt(memory.encrypt(memory_key, b"x" * 1024).ciphertext_blob)
        during_small = ticks - before
        before = ticks
        for _ in range(500):  # the other thread may need a few calls' time to wake up
            store.encrypt(key_id, b"x")
            if ticks != before:
                break
        during_folder = ticks - before
    finally:
        stop.set()
        worker.join()
        sys.setswitchinterval(interval)
    assert keystead.envelope_open(memory, sealed) == big
    assert during_large > 0, "a 16 MiB seal kept the GIL"
    assert during_small == 0, "small in-memory calls released the GIL"
    assert during_folder > 0, "folder-store calls kept the GIL"
