"""boto3, unmodified, against keystead serve: every answer is checked against what the call
did (round trips, states, typed exceptions), not against fixed values."""

import base64
import datetime
import hashlib
import json
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import (ACCESS_KEY_ID, ACCESS_LOG, DATA_DIR, OUTSIDER_KEY_ID, OUTSIDER_PRINCIPAL, OUTSIDER_SECRET,
                      PRINCIPAL, make_client)

SECRET_MARKER = b"card 4111-1111-1111-1111 " + uuid.uuid4().hex.encode()


def new_key(kms, **kwargs):
    return kms.create_key(**kwargs)["KeyMetadata"]


def test_key_lifecycle(kms):
    meta = new_key(kms, Description="orders", Tags=[{"TagKey": "team", "TagValue": "shop"}])
    key_id = meta["KeyId"]
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{meta['AWSAccountId']}:key/{key_id}"
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert isinstance(meta["CreationDate"], datetime.datetime)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - meta["CreationDate"]).total_seconds()) < 120

    kms.update_key_description(KeyId=key_id, Description="orders v2")
    assert kms.describe_key(KeyId=meta["Arn"])["KeyMetadata"]["Description"] == "orders v2"

    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "env", "TagValue": "ci"}])
    kms.untag_resource(KeyId=key_id, TagKeys=["team"])
    tags = kms.list_resource_tags(KeyId=key_id)["Tags"]
    assert tags == [{"TagKey": "env", "TagValue": "ci"}]

    kms.disable_key(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    with pytest.raises(kms.exceptions.DisabledException):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    kms.enable_key(KeyId=key_id)
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"] == meta["Arn"]

    listed = [k["KeyId"] for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1})
              for k in page["Keys"]]
    assert key_id in listed

    scheduled = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7
    days = (scheduled["DeletionDate"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds() / 86400
    assert 6.9 < days < 7.1
    with pytest.raises(kms.exceptions.KMSInvalidStateException):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert kms.cancel_key_deletion(KeyId=key_id)["KeyId"] == meta["Arn"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_aliases(kms):
    first, second = new_key(kms), new_key(kms)
    name = "alias/boto3-" + uuid.uuid4().hex[:8]
    kms.create_alias(AliasName=name, TargetKeyId=first["KeyId"])
    with pytest.raises(kms.exceptions.AlreadyExistsException):
        kms.create_alias(AliasName=name, TargetKeyId=second["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == first["KeyId"]
    aliases = kms.list_aliases(KeyId=first["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [name]
    assert aliases[0]["AliasArn"].endswith(":" + name)
    kms.update_alias(AliasName=name, TargetKeyId=second["KeyId"])
    assert kms.encrypt(KeyId=name, Plaintext=b"x")["KeyId"] == second["Arn"]
    kms.delete_alias(AliasName=name)
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=name)
    with pytest.raises(kms.exceptions.InvalidAliasNameException):
        kms.create_alias(AliasName="alias/aws/reserved", TargetKeyId=first["KeyId"])


def test_rotation(kms):
    key_id = new_key(kms)["KeyId"]
    old = kms.encrypt(KeyId=key_id, Plaintext=SECRET_MARKER)["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    assert isinstance(status["NextRotationDate"], datetime.datetime)
    kms.rotate_key_on_demand(KeyId=key_id)
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert len(rotations) == 1 and rotations[0]["RotationType"] == "ON_DEMAND"
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == SECRET_MARKER
    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_encrypt_decrypt_reencrypt_with_context(kms):
    source, destination = new_key(kms), new_key(kms)
    context = {"order": "42", "tenant": "acme"}
    sealed = kms.encrypt(KeyId=source["KeyId"], Plaintext=SECRET_MARKER, EncryptionContext=context)
    assert sealed["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    opened = kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext=context)
    assert opened["Plaintext"] == SECRET_MARKER and opened["KeyId"] == source["Arn"]
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext={"order": "43", "tenant": "acme"})
    with pytest.raises(kms.exceptions.IncorrectKeyException):
        kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext=context, KeyId=destination["KeyId"])

    moved = kms.re_encrypt(
        CiphertextBlob=sealed["CiphertextBlob"],
        SourceEncryptionContext=context,
        DestinationKeyId=destination["KeyId"],
        DestinationEncryptionContext={"order": "42"},
    )
    assert moved["SourceKeyId"] == source["Arn"] and moved["KeyId"] == destination["Arn"]
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"order": "42"})["Plaintext"] == SECRET_MARKER

    with pytest.raises(kms.exceptions.DryRunOperationException):
        kms.encrypt(KeyId=source["KeyId"], Plaintext=b"x", DryRun=True)
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.encrypt(KeyId="alias/does-not-exist", Plaintext=b"x", DryRun=True)


def test_data_keys_and_random(kms):
    key_id = new_key(kms)["KeyId"]
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext={"file": "a"})
    assert len(data_key["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext={"file": "a"})["Plaintext"] == data_key["Plaintext"]
    short = kms.generate_data_key(KeyId=key_id, NumberOfBytes=16)
    assert len(short["Plaintext"]) == 16
    blind = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_128")
    assert "Plaintext" not in blind
    assert len(kms.decrypt(CiphertextBlob=blind["CiphertextBlob"])["Plaintext"]) == 16

    pair = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="ECC_NIST_P256")
    assert pair["KeyPairSpec"] == "ECC_NIST_P256" and len(pair["PublicKey"]) > 60
    assert kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"] == pair["PrivateKeyPlaintext"]
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=key_id, KeyPairSpec="ECC_NIST_P256")
    assert "PrivateKeyPlaintext" not in bare

    randoms = {kms.generate_random(NumberOfBytes=32)["Plaintext"] for _ in range(3)}
    assert len(randoms) == 3 and all(len(r) == 32 for r in randoms)


def test_sign_and_verify(kms):
    meta = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    assert meta["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    signed = kms.sign(KeyId=meta["KeyId"], Message=b"release 1.0", SigningAlgorithm="ECDSA_SHA_256")
    ok = kms.verify(KeyId=meta["KeyId"], Message=b"release 1.0", Signature=signed["Signature"],
                    SigningAlgorithm="ECDSA_SHA_256")
    assert ok["SignatureValid"] is True
    with pytest.raises(kms.exceptions.KMSInvalidSignatureException):
        kms.verify(KeyId=meta["KeyId"], Message=b"release 1.1", Signature=signed["Signature"],
                   SigningAlgorithm="ECDSA_SHA_256")
    public = kms.get_public_key(KeyId=meta["KeyId"])
    assert public["KeySpec"] == "ECC_NIST_P256" and public["PublicKey"][:2] == b"\x30\x59"  # DER SEQUENCE, 89 bytes
    with pytest.raises(kms.exceptions.InvalidKeyUsageException):
        kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")


def test_ed25519ph_and_ml_dsa_external_mu(kms):
    ed = new_key(kms, KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")
    digest = hashlib.sha512(b"release 1.0").digest()
    signed = kms.sign(KeyId=ed["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")
    assert kms.verify(KeyId=ed["KeyId"], Message=digest, MessageType="DIGEST", Signature=signed["Signature"],
                      SigningAlgorithm="ED25519_PH_SHA_512")["SignatureValid"] is True
    with pytest.raises(ClientError) as raised:
        kms.sign(KeyId=ed["KeyId"], Message=digest[:32], MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")
    assert error_code(raised) == "ValidationException"

    ml = new_key(kms, KeySpec="ML_DSA_65", KeyUsage="SIGN_VERIFY")
    spki = kms.get_public_key(KeyId=ml["KeyId"])["PublicKey"]
    raw_public = spki[-1952:]  # ML-DSA-65's public key ends its SubjectPublicKeyInfo
    message = b"release 1.0"
    # FIPS 204 section 6.2, pure ML-DSA with an empty context: mu = H(H(pk, 64) || 0 || 0 || M, 64).
    mu = hashlib.shake_256(hashlib.shake_256(raw_public).digest(64) + b"\x00\x00" + message).digest(64)
    signed = kms.sign(KeyId=ml["KeyId"], Message=mu, MessageType="EXTERNAL_MU", SigningAlgorithm="ML_DSA_SHAKE_256")
    assert kms.verify(KeyId=ml["KeyId"], Message=message, Signature=signed["Signature"],
                      SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"] is True
    with pytest.raises(kms.exceptions.KMSInvalidSignatureException):
        kms.verify(KeyId=ml["KeyId"], Message=b"release 1.1", Signature=signed["Signature"],
                   SigningAlgorithm="ML_DSA_SHAKE_256")


def test_mac(kms):
    meta = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    mac = kms.generate_mac(KeyId=meta["KeyId"], Message=b"payload", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert len(mac) == 32
    assert kms.verify_mac(KeyId=meta["KeyId"], Message=b"payload", Mac=mac, MacAlgorithm="HMAC_SHA_256")["MacValid"]
    with pytest.raises(kms.exceptions.KMSInvalidMacException):
        kms.verify_mac(KeyId=meta["KeyId"], Message=b"payload!", Mac=mac, MacAlgorithm="HMAC_SHA_256")


def error_code(raised):
    return raised.value.response["Error"]["Code"]


def test_key_policies(kms):
    meta = new_key(kms)
    key_id, account = meta["KeyId"], meta["AWSAccountId"]
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]
    default = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert any(st.get("Principal", {}).get("AWS") == f"arn:aws:iam::{account}:root" for st in default["Statement"])

    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "NoEncryptForCI", "Effect": "Deny", "Principal": {"AWS": PRINCIPAL},
             "Action": "kms:Encrypt", "Resource": "*"},
        ],
    }
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == policy
    # The Deny names this access key's principal: Encrypt is refused, the rest still allowed.
    with pytest.raises(ClientError) as raised:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert error_code(raised) == "AccessDeniedException"
    assert len(kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"]) == 32
    with pytest.raises(kms.exceptions.MalformedPolicyDocumentException):
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy="{not a policy")


def test_grants_let_another_account_in(kms):
    outsider = make_client(key_id=OUTSIDER_KEY_ID, secret=OUTSIDER_SECRET)
    meta = new_key(kms)
    with pytest.raises(ClientError) as raised:
        outsider.encrypt(KeyId=meta["Arn"], Plaintext=b"x")
    assert error_code(raised) == "AccessDeniedException"

    grant = kms.create_grant(
        KeyId=meta["KeyId"], GranteePrincipal=OUTSIDER_PRINCIPAL, Operations=["Encrypt", "Decrypt"],
        Constraints={"EncryptionContextSubset": {"tenant": "acme"}}, RetiringPrincipal=PRINCIPAL, Name="outsider")
    context = {"tenant": "acme", "order": "7"}
    sealed = outsider.encrypt(KeyId=meta["Arn"], Plaintext=SECRET_MARKER, EncryptionContext=context,
                              GrantTokens=[grant["GrantToken"]])["CiphertextBlob"]
    assert outsider.decrypt(CiphertextBlob=sealed, EncryptionContext=context)["Plaintext"] == SECRET_MARKER
    with pytest.raises(ClientError) as raised:
        outsider.encrypt(KeyId=meta["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "other"})
    assert error_code(raised) == "AccessDeniedException"
    with pytest.raises(ClientError) as raised:
        outsider.generate_data_key(KeyId=meta["Arn"], KeySpec="AES_256", EncryptionContext=context)
    assert error_code(raised) == "AccessDeniedException"

    listed = kms.list_grants(KeyId=meta["KeyId"])["Grants"]
    assert [(g["GrantId"], g["GranteePrincipal"], sorted(g["Operations"])) for g in listed] == [
        (grant["GrantId"], OUTSIDER_PRINCIPAL, ["Decrypt", "Encrypt"])]
    assert listed[0]["Constraints"] == {"EncryptionContextSubset": {"tenant": "acme"}}
    retirable = kms.list_retirable_grants(RetiringPrincipal=PRINCIPAL)["Grants"]
    assert grant["GrantId"] in [g["GrantId"] for g in retirable]

    kms.retire_grant(GrantToken=grant["GrantToken"])
    assert kms.list_grants(KeyId=meta["KeyId"])["Grants"] == []
    with pytest.raises(ClientError) as raised:
        outsider.decrypt(CiphertextBlob=sealed, EncryptionContext=context)
    assert error_code(raised) == "AccessDeniedException"

    second = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=OUTSIDER_PRINCIPAL, Operations=["Encrypt"])
    with pytest.raises(kms.exceptions.DryRunOperationException):
        kms.revoke_grant(KeyId=meta["KeyId"], GrantId=second["GrantId"], DryRun=True)
    kms.revoke_grant(KeyId=meta["KeyId"], GrantId=second["GrantId"])
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.revoke_grant(KeyId=meta["KeyId"], GrantId=second["GrantId"])


def test_error_codes(kms):
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.describe_key(KeyId=str(uuid.uuid4()))
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # ValidationException is not in botocore's KMS model: a ClientError with its code.
    with pytest.raises(ClientError) as raised:
        kms.schedule_key_deletion(KeyId=new_key(kms)["KeyId"], PendingWindowInDays=3)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=b"\x01" * 80)
    with pytest.raises(kms.exceptions.UnsupportedOperationException):
        kms.create_custom_key_store(CustomKeyStoreName="hsm", CloudHsmClusterId="cluster-1234567abcd",
                                    TrustAnchorCertificate="x", KeyStorePassword="password")


def test_bad_credentials_are_rejected(kms):
    wrong_secret = make_client(secret="x" * 40)
    with pytest.raises(ClientError) as raised:
        wrong_secret.list_keys()
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    unknown = make_client(key_id="AKIAUNKNOWNUNKNOWN00")
    with pytest.raises(ClientError) as raised:
        unknown.list_keys()
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_regions_are_partitions(kms):
    west = make_client(region="eu-west-1")
    meta = west.create_key(Description="west")["KeyMetadata"]
    assert ":eu-west-1:" in meta["Arn"]
    assert os.path.isdir(os.path.join(DATA_DIR, "regions", "eu-west-1"))
    home_keys = [k["KeyId"] for page in kms.get_paginator("list_keys").paginate() for k in page["Keys"]]
    assert meta["KeyId"] not in home_keys
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=meta["KeyId"])
    sealed = west.encrypt(KeyId=meta["KeyId"], Plaintext=b"regional")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"regional"
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=sealed)


def test_access_log_names_the_caller_and_holds_no_secret(kms):
    key_id = new_key(kms)["KeyId"]
    kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key_id, Plaintext=SECRET_MARKER)["CiphertextBlob"])
    with open(ACCESS_LOG, "rb") as log:
        raw = log.read()
    assert SECRET_MARKER not in raw and base64.b64encode(SECRET_MARKER) not in raw
    lines = [json.loads(line) for line in raw.splitlines() if line.startswith(b"{")]
    decrypts = [l for l in lines if l.get("operation") == "Decrypt" and l["status"] == 200]
    assert decrypts, "no Decrypt line in the access log"
    line = decrypts[-1]
    assert line["principal"] == PRINCIPAL and line["access_key_id"] == ACCESS_KEY_ID
    assert line["region"] == "us-east-1" and line["latency_ms"] >= 0 and line["time"].endswith("Z")
    rejected = [l for l in lines if l.get("error") == "UnrecognizedClientException"]
    assert all(l["principal"] is None for l in rejected)
