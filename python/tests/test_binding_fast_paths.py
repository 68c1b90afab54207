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
