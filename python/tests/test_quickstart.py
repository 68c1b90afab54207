"""The thin end-to-end slice: open, create, encrypt, decrypt, errors, through both APIs."""

from __future__ import annotations

from pathlib import Path

import pytest

import keystead
from keystead import exceptions as exc


def test_typed_round_trip(store: keystead.Keystead) -> None:
    key = store.create_key(description="orders")
    assert key.key_state == keystead.KeyState.ENABLED == "Enabled"
    sealed = store.encrypt(key.key_id, b"4111 1111 1111 1111", encryption_context={"order": "42"})
    assert sealed.key_id == key.arn
    opened = store.decrypt(sealed.ciphertext_blob, encryption_context={"order": "42"})
    assert opened.plaintext == b"4111 1111 1111 1111"
    assert opened.key_id == key.arn


def test_boto3_seed_example(store_path: Path) -> None:
    kms = keystead.client(store_path=store_path)
    key_id = kms.create_key(Description="seed")["KeyMetadata"]["KeyId"]
    response = kms.encrypt(KeyId=key_id, Plaintext=b"secret")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert kms.decrypt(CiphertextBlob=response["CiphertextBlob"])["Plaintext"] == b"secret"


def test_errors_are_mapped(store: keystead.Keystead, kms: keystead.KMSClient) -> None:
    with pytest.raises(exc.NotFoundException) as info:
        store.describe_key("alias/missing")
    assert info.value.response["Error"]["Code"] == "NotFoundException"
    assert info.value.operation_name == "DescribeKey"
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId="alias/missing")
    with pytest.raises(keystead.ClientError):
        kms.describe_key(KeyId="alias/missing")


def test_str_plaintext_is_a_type_error(store: keystead.Keystead, key_id: str) -> None:
    with pytest.raises(TypeError, match="encode"):
        store.encrypt(key_id, "card number")  # type: ignore[arg-type]
