"""Every operation through the boto3-shaped client, checking response shapes as boto3's."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict

import pytest

import keystead


def _meta_ok(response: Dict[str, Any]) -> None:
    meta = response["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 200
    uuid.UUID(meta["RequestId"])


@pytest.fixture
def kid(kms: keystead.KMSClient) -> str:
    return str(kms.create_key(Description="client key")["KeyMetadata"]["KeyId"])


def test_client_construction(tmp_path: Path) -> None:
    kms = keystead.client("kms", store_path=tmp_path / "s", region_name="eu-central-1",
                          endpoint_url="ignored", aws_access_key_id="x", aws_secret_access_key="y")
    assert kms.meta.region_name == "eu-central-1"
    assert ":eu-central-1:" in kms.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ValueError):
        keystead.client("s3", store_path=tmp_path / "s")
    with pytest.raises(TypeError):
        keystead.client(store_path=tmp_path / "s", bogus=1)


def test_client_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYSTEAD_STORE_PATH", str(tmp_path / "env-store"))
    kms = keystead.client()
    kms.create_key()
    assert (tmp_path / "env-store" / "keystead.db").exists()
    monkeypatch.delenv("KEYSTEAD_STORE_PATH")
    with pytest.raises(ValueError, match="store_path"):
        keystead.client()


def test_create_describe_list(kms: keystead.KMSClient) -> None:
    created = kms.create_key(
        Description="d", KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT",
        Tags=[{"TagKey": "env", "TagValue": "prod"}],
    )
    _meta_ok(created)
    meta = created["KeyMetadata"]
    assert set(meta) >= {"AWSAccountId", "KeyId", "Arn", "CreationDate", "Enabled", "Description", "KeyUsage",
                         "KeyState", "Origin", "KeyManager", "CustomerMasterKeySpec", "KeySpec",
                         "EncryptionAlgorithms", "MultiRegion"}
    assert "DeletionDate" not in meta
    assert isinstance(meta["CreationDate"], datetime) and meta["CreationDate"].tzinfo == timezone.utc
    assert meta["KeyState"] == "Enabled" and type(meta["KeyState"]) is str
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    described = kms.describe_key(KeyId=meta["KeyId"], GrantTokens=[])
    assert described["KeyMetadata"] == meta
    deprecated = kms.create_key(CustomerMasterKeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]
    assert deprecated["KeySpec"] == "SYMMETRIC_DEFAULT"
    listed = kms.list_keys(Limit=1)
    _meta_ok(listed)
    assert listed["Truncated"] is True and "NextMarker" in listed
    assert set(listed["Keys"][0]) == {"KeyId", "KeyArn"}
    rest = kms.list_keys(Marker=listed["NextMarker"])
    assert rest["Truncated"] is False and "NextMarker" not in rest
    assert {k["KeyId"] for k in listed["Keys"] + rest["Keys"]} == {meta["KeyId"], deprecated["KeyId"]}


def test_paginators(kms: keystead.KMSClient) -> None:
    ids = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)}
    assert kms.can_paginate("list_keys") and not kms.can_paginate("encrypt")
    pages = list(kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert {k["KeyId"] for p in pages for k in p["Keys"]} == ids
    with pytest.raises(ValueError):
        kms.get_paginator("encrypt")
    key = sorted(ids)[0]
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": f"t{i}", "TagValue": "v"} for i in range(3)])
    tags = [t for p in kms.get_paginator("list_resource_tags").paginate(KeyId=key, PaginationConfig={"PageSize": 1})
            for t in p["Tags"]]
    assert [t["TagKey"] for t in tags] == ["t0", "t1", "t2"]


def test_description_enable_disable(kms: keystead.KMSClient, kid: str) -> None:
    _meta_ok(kms.update_key_description(KeyId=kid, Description="changed"))
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["Description"] == "changed"
    _meta_ok(kms.disable_key(KeyId=kid))
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Disabled"
    _meta_ok(kms.enable_key(KeyId=kid))
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["Enabled"] is True


def test_deletion(kms: keystead.KMSClient, kid: str) -> None:
    scheduled = kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    _meta_ok(scheduled)
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7
    assert isinstance(scheduled["DeletionDate"], datetime)
    assert scheduled["KeyId"].startswith("arn:aws:kms:")
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["DeletionDate"] == scheduled["DeletionDate"]
    cancelled = kms.cancel_key_deletion(KeyId=kid)
    assert cancelled["KeyId"] == scheduled["KeyId"]


def test_tags(kms: keystead.KMSClient, kid: str) -> None:
    _meta_ok(kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}]))
    listed = kms.list_resource_tags(KeyId=kid)
    assert listed["Tags"] == [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}]
    assert listed["Truncated"] is False
    _meta_ok(kms.untag_resource(KeyId=kid, TagKeys=["a"]))
    assert kms.list_resource_tags(KeyId=kid, Limit=10)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]


def test_aliases(kms: keystead.KMSClient, kid: str) -> None:
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    _meta_ok(kms.create_alias(AliasName="alias/web", TargetKeyId=kid))
    aliases = kms.list_aliases()["Aliases"]
    entry = next(a for a in aliases if a["AliasName"] == "alias/web")
    assert entry["TargetKeyId"] == kid and entry["AliasArn"].endswith(":alias/web")
    assert isinstance(entry["CreationDate"], datetime) and isinstance(entry["LastUpdatedDate"], datetime)
    _meta_ok(kms.update_alias(AliasName="alias/web", TargetKeyId=other))
    assert kms.list_aliases(KeyId=other, Limit=5)["Aliases"][0]["AliasName"] == "alias/web"
    _meta_ok(kms.delete_alias(AliasName="alias/web"))
    assert kms.list_aliases(KeyId=other)["Aliases"] == []


def test_rotation(kms: keystead.KMSClient, kid: str) -> None:
    _meta_ok(kms.enable_key_rotation(KeyId=kid, RotationPeriodInDays=180))
    status = kms.get_key_rotation_status(KeyId=kid)
    _meta_ok(status)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 180
    assert isinstance(status["NextRotationDate"], datetime)
    _meta_ok(kms.disable_key_rotation(KeyId=kid))
    status = kms.get_key_rotation_status(KeyId=kid)
    assert status["KeyRotationEnabled"] is False and "RotationPeriodInDays" not in status
    rotated = kms.rotate_key_on_demand(KeyId=kid)
    assert rotated["KeyId"].endswith(kid)
    rotations = kms.list_key_rotations(KeyId=kid)
    assert len(rotations["Rotations"]) == 1 and rotations["Rotations"][0]["RotationType"] == "ON_DEMAND"
    everything = kms.list_key_rotations(KeyId=kid, IncludeKeyMaterial="ALL_KEY_MATERIAL", Limit=1)
    assert everything["Truncated"] is True
    assert "RotationDate" not in everything["Rotations"][0]
    assert everything["Rotations"][0]["KeyMaterialState"] == "NON_CURRENT"


def test_crypto(kms: keystead.KMSClient, kid: str) -> None:
    sealed = kms.encrypt(KeyId=kid, Plaintext=b"card", EncryptionContext={"c": "1"}, GrantTokens=[])
    _meta_ok(sealed)
    assert isinstance(sealed["CiphertextBlob"], bytes)
    assert sealed["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    opened = kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext={"c": "1"}, KeyId=kid)
    _meta_ok(opened)
    assert opened["Plaintext"] == b"card" and opened["KeyId"] == sealed["KeyId"]
    # botocore sends a str blob as its UTF-8 bytes; so does the client.
    text = kms.encrypt(KeyId=kid, Plaintext="naïve")
    assert kms.decrypt(CiphertextBlob=text["CiphertextBlob"])["Plaintext"] == "naïve".encode()

    other = kms.create_key()["KeyMetadata"]["KeyId"]
    moved = kms.re_encrypt(CiphertextBlob=sealed["CiphertextBlob"], SourceEncryptionContext={"c": "1"},
                           DestinationKeyId=other, DestinationEncryptionContext={"d": "2"})
    _meta_ok(moved)
    assert moved["KeyId"].endswith(other) and moved["SourceKeyId"].endswith(kid)
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"d": "2"})["Plaintext"] == b"card"

    data_key = kms.generate_data_key(KeyId=kid, KeySpec="AES_256", EncryptionContext={"f": "x"})
    _meta_ok(data_key)
    assert len(data_key["Plaintext"]) == 32
    again = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext={"f": "x"})
    assert again["Plaintext"] == data_key["Plaintext"]
    assert len(kms.generate_data_key(KeyId=kid, NumberOfBytes=7)["Plaintext"]) == 7
    bare = kms.generate_data_key_without_plaintext(KeyId=kid, KeySpec="AES_128")
    _meta_ok(bare)
    assert "Plaintext" not in bare
    assert len(kms.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]) == 16

    random = kms.generate_random(NumberOfBytes=16)
    _meta_ok(random)
    assert len(random["Plaintext"]) == 16
    assert len(kms.generate_random()["Plaintext"]) == 32


def test_envelope_encryption_like_boto3(kms: keystead.KMSClient, kid: str) -> None:
    """A typical boto3 envelope pattern runs unchanged."""
    hashlib = pytest.importorskip("hashlib")
    key = kms.generate_data_key(KeyId=kid, KeySpec="AES_256")
    stored = {"key": key["CiphertextBlob"], "digest": hashlib.sha256(key["Plaintext"]).hexdigest()}
    recovered = kms.decrypt(CiphertextBlob=stored["key"])["Plaintext"]
    assert hashlib.sha256(recovered).hexdigest() == stored["digest"]


def test_param_validation(kms: keystead.KMSClient, kid: str) -> None:
    with pytest.raises(keystead.ParamValidationError, match='Missing required parameter in input: "Plaintext"'):
        kms.encrypt(KeyId=kid)
    with pytest.raises(keystead.ParamValidationError, match='Unknown parameter in input: "Bogus"'):
        kms.describe_key(KeyId=kid, Bogus=1)
    with pytest.raises(ValueError):
        kms.tag_resource(KeyId=kid, Tags=[{"Key": "a"}])
    with pytest.raises(keystead.ParamValidationError):
        kms.untag_resource(KeyId=kid, TagKeys="a")
    with pytest.raises(keystead.ParamValidationError):
        list(kms.get_paginator("list_keys").paginate(PaginationConfig={"MaxItems": 3}))
    with pytest.raises(kms.exceptions.UnsupportedOperationException):
        kms.generate_random(NumberOfBytes=8, CustomKeyStoreId="cks-1")
