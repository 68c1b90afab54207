"""Key material import (BYOK) through both APIs: material wrapped locally with `cryptography`
exactly as AWS documents it (RSA-OAEP, or RSA-OAEP of an AES key + AES-KWP of the material)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Union

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

import keystead
from keystead import exceptions as exc
from keystead.enums import ExpirationModel, KeyState, Origin, WrappingAlgorithm, WrappingKeySpec


def wrap(public_key_der: bytes, algorithm: Union[WrappingAlgorithm, str], material: bytes) -> bytes:
    """Wraps `material` for import with the wrapping public key, as AWS's procedure does."""
    public = serialization.load_der_public_key(public_key_der)
    assert isinstance(public, rsa.RSAPublicKey)
    algorithm = WrappingAlgorithm(algorithm)
    sha = hashes.SHA1() if "SHA_1" in algorithm.value else hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(sha), algorithm=sha, label=None)
    if algorithm in (WrappingAlgorithm.RSAES_OAEP_SHA_1, WrappingAlgorithm.RSAES_OAEP_SHA_256):
        return public.encrypt(material, oaep)
    aes_key = os.urandom(32)
    return public.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)


def _import(store: keystead.Keystead, key_id: str, material: bytes,
            algorithm: WrappingAlgorithm = WrappingAlgorithm.RSAES_OAEP_SHA_256) -> keystead.ImportedKeyMaterial:
    params = store.get_parameters_for_import(key_id, wrapping_algorithm=algorithm, wrapping_key_spec="RSA_2048")
    return store.import_key_material(key_id, params.import_token, wrap(params.public_key, algorithm, material),
                                     expiration_model=ExpirationModel.KEY_MATERIAL_DOES_NOT_EXPIRE)


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256", "RSAES_OAEP_SHA_1"])
def test_byok_typed(store: keystead.Keystead, algorithm: str) -> None:
    meta = store.create_key(origin=Origin.EXTERNAL, description="byok")
    assert meta.origin is Origin.EXTERNAL and meta.key_state is KeyState.PENDING_IMPORT
    with pytest.raises(exc.KMSInvalidStateException):
        store.encrypt(meta.key_id, b"x")

    params = store.get_parameters_for_import(
        meta.key_id, wrapping_algorithm=algorithm, wrapping_key_spec=WrappingKeySpec.RSA_2048
    )
    assert isinstance(params, keystead.ImportParameters) and params.key_id == meta.arn
    now = datetime.now(timezone.utc)
    assert params.parameters_valid_to.tzinfo is not None
    assert timedelta(hours=23) < params.parameters_valid_to - now <= timedelta(hours=24, minutes=1)
    wrapping = serialization.load_der_public_key(params.public_key)
    assert isinstance(wrapping, rsa.RSAPublicKey) and wrapping.key_size == 2048
    assert params.import_token.hex() not in repr(params)

    material = os.urandom(32)
    imported = store.import_key_material(meta.key_id, params.import_token, wrap(params.public_key, algorithm, material),
                                         expiration_model="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert imported.key_id == meta.arn and imported.key_material_id
    described = store.describe_key(meta.key_id)
    assert described.key_state is KeyState.ENABLED
    assert described.expiration_model is ExpirationModel.KEY_MATERIAL_DOES_NOT_EXPIRE and described.valid_to is None

    sealed = store.encrypt(meta.key_id, b"imported secret", encryption_context={"k": "v"})
    assert store.decrypt(sealed.ciphertext_blob, encryption_context={"k": "v"}).plaintext == b"imported secret"

    deleted = store.delete_imported_key_material(meta.key_id)
    assert deleted.key_id == meta.arn and deleted.key_material_id == imported.key_material_id
    assert store.describe_key(meta.key_id).key_state is KeyState.PENDING_IMPORT
    with pytest.raises(exc.KMSInvalidStateException):
        store.decrypt(sealed.ciphertext_blob, encryption_context={"k": "v"})
    with pytest.raises(exc.KMSInvalidStateException):
        store.encrypt(meta.key_id, b"x")

    # The same material again: old ciphertexts decrypt.
    again = _import(store, meta.key_id, material)
    assert again.key_material_id == imported.key_material_id
    assert store.decrypt(sealed.ciphertext_blob, encryption_context={"k": "v"}).plaintext == b"imported secret"

    # Different material is refused.
    with pytest.raises(exc.IncorrectKeyMaterialException):
        _import(store, meta.key_id, os.urandom(32))
    store.delete_imported_key_material(meta.key_id)
    with pytest.raises(exc.IncorrectKeyMaterialException):
        _import(store, meta.key_id, os.urandom(32))


def test_byok_expiring_material_and_errors(store: keystead.Keystead, key_id: str) -> None:
    kid = store.create_key(origin="EXTERNAL").key_id
    params = store.get_parameters_for_import(kid, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_3072")
    wrapping = serialization.load_der_public_key(params.public_key)
    assert isinstance(wrapping, rsa.RSAPublicKey) and wrapping.key_size == 3072
    valid_to = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)
    store.import_key_material(kid, params.import_token, wrap(params.public_key, "RSAES_OAEP_SHA_256", os.urandom(32)),
                              expiration_model="KEY_MATERIAL_EXPIRES", valid_to=valid_to)
    described = store.describe_key(kid)
    assert described.valid_to == valid_to and described.expiration_model is ExpirationModel.KEY_MATERIAL_EXPIRES

    with pytest.raises(exc.UnsupportedOperationException):  # an AWS_KMS key
        store.get_parameters_for_import(key_id, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_2048")
    other = store.create_key(origin="EXTERNAL").key_id
    params = store.get_parameters_for_import(other, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_2048")
    wrapped = wrap(params.public_key, "RSAES_OAEP_SHA_256", os.urandom(32))
    with pytest.raises(exc.ValidationException):  # KEY_MATERIAL_EXPIRES (the default) needs valid_to
        store.import_key_material(other, params.import_token, wrapped)
    with pytest.raises(exc.InvalidImportTokenException):
        store.import_key_material(other, b"not a token", wrapped, expiration_model="KEY_MATERIAL_DOES_NOT_EXPIRE")
    with pytest.raises(exc.ValidationException):
        store.get_parameters_for_import(other, wrapping_algorithm="NOPE", wrapping_key_spec="RSA_2048")
    with pytest.raises(TypeError):
        store.import_key_material(other, params.import_token, wrapped, valid_to=12345)  # type: ignore[arg-type]


def test_byok_client(kms: keystead.KMSClient) -> None:
    meta = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert meta["KeyState"] == "PendingImport" and meta["Origin"] == "EXTERNAL"
    kid = meta["KeyId"]
    params = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256",
                                           WrappingKeySpec="RSA_4096")
    assert set(params) == {"KeyId", "ImportToken", "PublicKey", "ParametersValidTo", "ResponseMetadata"}
    assert params["KeyId"] == meta["Arn"] and isinstance(params["ImportToken"], bytes)
    assert isinstance(params["ParametersValidTo"], datetime) and params["ParametersValidTo"].tzinfo == timezone.utc
    material = os.urandom(32)
    valid_to = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None) + timedelta(days=10)  # naive = UTC
    imported = kms.import_key_material(
        KeyId=kid, ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], "RSA_AES_KEY_WRAP_SHA_256", material),
        ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to,
    )
    assert imported["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert imported["KeyId"] == meta["Arn"] and imported["KeyMaterialId"]
    described = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert described["KeyState"] == "Enabled" and described["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert described["ValidTo"] == valid_to.replace(tzinfo=timezone.utc)

    blob = kms.encrypt(KeyId=kid, Plaintext=b"p")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
    deleted = kms.delete_imported_key_material(KeyId=kid)
    assert deleted["KeyId"] == meta["Arn"] and deleted["KeyMaterialId"] == imported["KeyMaterialId"]
    with pytest.raises(kms.exceptions.KMSInvalidStateException) as info:
        kms.decrypt(CiphertextBlob=blob)
    assert info.value.response["Error"]["Code"] == "KMSInvalidStateException"

    def reimport(material: bytes) -> None:
        p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"],
                                EncryptedKeyMaterial=wrap(p["PublicKey"], "RSAES_OAEP_SHA_256", material),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")

    reimport(material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
    with pytest.raises(kms.exceptions.IncorrectKeyMaterialException):
        reimport(os.urandom(32))

    with pytest.raises(keystead.ParamValidationError, match="WrappingKeySpec"):
        kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256")
    with pytest.raises(keystead.ParamValidationError, match="ValidTo"):
        kms.import_key_material(KeyId=kid, ImportToken=b"t", EncryptedKeyMaterial=b"m", ValidTo=object())


def test_valid_to_forms_in_client(kms: keystead.KMSClient) -> None:
    """botocore takes a timestamp as a datetime, epoch seconds or ISO 8601 text."""
    target = (datetime.now(timezone.utc) + timedelta(days=5)).replace(microsecond=0)
    for form in (target, int(target.timestamp()), target.isoformat().replace("+00:00", "Z")):
        kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        p = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"],
                                EncryptedKeyMaterial=wrap(p["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
                                ValidTo=form)
        assert kms.describe_key(KeyId=kid)["KeyMetadata"]["ValidTo"] == target


def test_multiple_imported_materials_typed(store: keystead.Keystead) -> None:
    key = store.create_key(origin=Origin.EXTERNAL).key_id
    first = os.urandom(32)
    params = store.get_parameters_for_import(key, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_2048")
    first_id = store.import_key_material(key, params.import_token, wrap(params.public_key, "RSAES_OAEP_SHA_256", first),
                                         expiration_model="KEY_MATERIAL_DOES_NOT_EXPIRE",
                                         key_material_description="first one").key_material_id
    old = store.encrypt(key, b"old").ciphertext_blob
    with pytest.raises(exc.UnsupportedOperationException):
        store.rotate_key_on_demand(key)

    second = os.urandom(32)
    params = store.get_parameters_for_import(key, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_2048")
    wrapped = wrap(params.public_key, "RSAES_OAEP_SHA_256", second)
    never = ExpirationModel.KEY_MATERIAL_DOES_NOT_EXPIRE
    with pytest.raises(exc.ValidationException):
        store.import_key_material(key, params.import_token, wrapped, expiration_model=never,
                                  import_type=keystead.ImportType.NEW_KEY_MATERIAL, key_material_id=first_id)
    with pytest.raises(exc.IncorrectKeyMaterialException):  # EXISTING is the default after the first import
        store.import_key_material(key, params.import_token, wrapped, expiration_model=never)
    second_id = store.import_key_material(key, params.import_token, wrapped, expiration_model=never,
                                          import_type="NEW_KEY_MATERIAL").key_material_id
    assert len(second_id) == 64 and second_id != first_id
    rotations = store.list_key_rotations(key, include_key_material="ALL_KEY_MATERIAL").items
    assert [r.key_material_state for r in rotations] == [keystead.KeyMaterialState.CURRENT,
                                                          keystead.KeyMaterialState.PENDING_ROTATION]
    assert rotations[0].key_material_description == "first one"
    assert rotations[1].import_state is keystead.KeyMaterialImportState.IMPORTED
    assert rotations[1].expiration_model is never and rotations[1].rotation_date is None
    store.rotate_key_on_demand(key)
    assert store.describe_key(key).current_key_material_id == second_id

    deleted = store.delete_imported_key_material(key, key_material_id=first_id)
    assert deleted.key_material_id == first_id
    assert store.describe_key(key).key_state is KeyState.PENDING_IMPORT
    with pytest.raises(exc.KMSInvalidStateException, match="pending import"):
        store.decrypt(old)
    listed = store.list_key_rotations(key, include_key_material="ALL_KEY_MATERIAL").items
    assert listed[0].import_state is keystead.KeyMaterialImportState.PENDING_IMPORT
    params = store.get_parameters_for_import(key, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_2048")
    store.import_key_material(key, params.import_token, wrap(params.public_key, "RSAES_OAEP_SHA_256", first),
                              expiration_model=never, import_type="EXISTING_KEY_MATERIAL", key_material_id=first_id)
    assert store.decrypt(old).plaintext == b"old"


def test_multiple_imported_materials_client(kms: keystead.KMSClient) -> None:
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    ids = []
    for n, material in enumerate([os.urandom(32), os.urandom(32)]):
        params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        extra = {"ImportType": "NEW_KEY_MATERIAL", "KeyMaterialDescription": f"material {n}"}
        response = kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"],
                                           EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
                                           ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", **extra)
        ids.append(response["KeyMaterialId"])
    entries = kms.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [e["KeyMaterialState"] for e in entries] == ["CURRENT", "PENDING_ROTATION"]
    assert [e["KeyMaterialDescription"] for e in entries] == ["material 0", "material 1"]
    assert all(e["ImportState"] == "IMPORTED" and "RotationDate" not in e for e in entries)
    assert kms.list_key_rotations(KeyId=key)["Rotations"] == []
    deleted = kms.delete_imported_key_material(KeyId=key, KeyMaterialId=ids[1])
    assert deleted["KeyMaterialId"] == ids[1]
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"  # pending material was not bound
    with pytest.raises(exc.NotFoundException):
        kms.delete_imported_key_material(KeyId=key, KeyMaterialId=ids[1])


def test_get_public_key_grant_tokens(store: keystead.Keystead, kms: keystead.KMSClient) -> None:
    key = store.create_key(key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY").key_id
    assert store.get_public_key(key, grant_tokens=[]).key_spec.value == "ECC_NIST_P256"
    with pytest.raises(exc.InvalidGrantTokenException):
        store.get_public_key(key, grant_tokens=["not a token"])
    with pytest.raises(exc.InvalidGrantTokenException):
        kms.get_public_key(KeyId=key, GrantTokens=["not a token"])
