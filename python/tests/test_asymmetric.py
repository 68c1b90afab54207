"""Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, DeriveSharedSecret and the data key pair
operations through both APIs, checked against the `cryptography` package."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

import keystead
from keystead import exceptions as exc
from keystead.enums import (
    DataKeyPairSpec,
    KeyAgreementAlgorithm,
    KeySpec,
    KeyUsage,
    MacAlgorithm,
    MessageType,
    SigningAlgorithm,
)

MESSAGE = b"order 42: 3 items, 129.90 EUR"


def _der_public(key: Any) -> bytes:
    return bytes(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def _local_verify(public_der: bytes, algorithm: str, signature: bytes, message: bytes) -> None:
    """Verifies with `cryptography` (raises InvalidSignature when wrong)."""
    public = serialization.load_der_public_key(public_der)
    if algorithm == "ECDSA_SHA_256":
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    elif algorithm == "RSASSA_PSS_SHA_256":
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    elif algorithm == "ED25519_SHA_512":
        assert isinstance(public, ed25519.Ed25519PublicKey)
        public.verify(signature, message)
    else:  # pragma: no cover
        raise AssertionError(algorithm)


SIGNING_CASES = [
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
    ("RSA_2048", "RSASSA_PSS_SHA_256"),
    ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"),
]


# -- typed API ------------------------------------------------------------------------------


@pytest.mark.parametrize(("key_spec", "algorithm"), SIGNING_CASES)
def test_sign_verify_typed(store: keystead.Keystead, key_spec: str, algorithm: str) -> None:
    meta = store.create_key(key_spec=key_spec, key_usage=KeyUsage.SIGN_VERIFY)
    assert meta.key_spec == KeySpec(key_spec) and meta.key_usage is KeyUsage.SIGN_VERIFY
    assert SigningAlgorithm(algorithm) in meta.signing_algorithms
    assert meta.encryption_algorithms == ()

    signed = store.sign(meta.key_id, MESSAGE, signing_algorithm=algorithm)
    assert isinstance(signed, keystead.SignResult)
    assert signed.key_id == meta.arn and signed.signing_algorithm is SigningAlgorithm(algorithm)
    assert f"<{len(signed.signature)} bytes>" in repr(signed) and signed.signature.hex() not in repr(signed)

    verified = store.verify(meta.key_id, bytearray(MESSAGE), signed.signature, signing_algorithm=SigningAlgorithm(algorithm))
    assert verified == keystead.VerifyResult(meta.arn, True, SigningAlgorithm(algorithm))

    tampered = bytearray(signed.signature)
    tampered[len(tampered) // 2] ^= 0x01
    with pytest.raises(exc.KMSInvalidSignatureException) as info:
        store.verify(meta.key_id, MESSAGE, bytes(tampered), signing_algorithm=algorithm)
    assert info.value.response["Error"]["Code"] == "KMSInvalidSignatureException"
    assert info.value.operation_name == "Verify"
    with pytest.raises(exc.KMSInvalidSignatureException):
        store.verify(meta.key_id, MESSAGE + b"!", signed.signature, signing_algorithm=algorithm)

    public = store.get_public_key(meta.key_id)
    assert isinstance(public, keystead.PublicKey)
    assert public.key_id == meta.arn and public.key_spec == KeySpec(key_spec)
    assert public.key_usage is KeyUsage.SIGN_VERIFY and public.customer_master_key_spec == KeySpec(key_spec)
    assert SigningAlgorithm(algorithm) in public.signing_algorithms
    assert public.encryption_algorithms == () and public.key_agreement_algorithms == ()
    _local_verify(public.public_key, algorithm, signed.signature, MESSAGE)
    with pytest.raises(InvalidSignature):
        _local_verify(public.public_key, algorithm, bytes(tampered), MESSAGE)


def test_sign_digest_and_errors(store: keystead.Keystead, key_id: str) -> None:
    key = store.create_key(key_spec=KeySpec.ECC_NIST_P256, key_usage="SIGN_VERIFY").key_id
    digest = hashes.Hash(hashes.SHA256())
    digest.update(MESSAGE)
    signed = store.sign(key, digest.finalize(), signing_algorithm="ECDSA_SHA_256", message_type=MessageType.DIGEST)
    # A DIGEST signature verifies as a RAW signature of the message.
    assert store.verify(key, MESSAGE, signed.signature, signing_algorithm="ECDSA_SHA_256").signature_valid
    with pytest.raises(exc.InvalidKeyUsageException):
        store.sign(key, MESSAGE, signing_algorithm="RSASSA_PSS_SHA_256")
    with pytest.raises(exc.InvalidKeyUsageException):
        store.sign(key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256")  # a symmetric key
    with pytest.raises(exc.UnsupportedOperationException):
        store.get_public_key(key_id)
    with pytest.raises(exc.ValidationException):
        store.sign(key, b"", signing_algorithm="ECDSA_SHA_256")
    with pytest.raises(TypeError, match="encode"):
        store.sign(key, "text", signing_algorithm="ECDSA_SHA_256")  # type: ignore[arg-type]
    store.disable_key(key)
    with pytest.raises(exc.DisabledException):
        store.sign(key, MESSAGE, signing_algorithm="ECDSA_SHA_256")


def test_hmac_typed(store: keystead.Keystead) -> None:
    meta = store.create_key(key_spec="HMAC_256", key_usage=KeyUsage.GENERATE_VERIFY_MAC)
    assert meta.mac_algorithms == (MacAlgorithm.HMAC_SHA_256,)
    result = store.generate_mac(meta.key_id, MESSAGE, mac_algorithm=MacAlgorithm.HMAC_SHA_256)
    assert len(result.mac) == 32 and result.key_id == meta.arn and result.mac_algorithm is MacAlgorithm.HMAC_SHA_256
    assert result.mac.hex() not in repr(result)
    assert store.generate_mac(meta.key_id, MESSAGE, mac_algorithm="HMAC_SHA_256").mac == result.mac  # deterministic
    assert store.generate_mac(meta.key_id, MESSAGE + b"!", mac_algorithm="HMAC_SHA_256").mac != result.mac
    ok = store.verify_mac(meta.key_id, MESSAGE, memoryview(result.mac), mac_algorithm="HMAC_SHA_256")
    assert ok == keystead.VerifyMacResult(meta.arn, True, MacAlgorithm.HMAC_SHA_256)
    bad = bytes([result.mac[0] ^ 1]) + result.mac[1:]
    with pytest.raises(exc.KMSInvalidMacException) as info:
        store.verify_mac(meta.key_id, MESSAGE, bad, mac_algorithm="HMAC_SHA_256")
    assert info.value.operation_name == "VerifyMac"
    with pytest.raises(exc.KMSInvalidMacException):
        store.verify_mac(meta.key_id, MESSAGE + b"!", result.mac, mac_algorithm="HMAC_SHA_256")
    with pytest.raises(exc.InvalidKeyUsageException):
        store.generate_mac(meta.key_id, MESSAGE, mac_algorithm="HMAC_SHA_512")
    other = store.create_key(key_spec="HMAC_256", key_usage="GENERATE_VERIFY_MAC").key_id
    with pytest.raises(exc.KMSInvalidMacException):
        store.verify_mac(other, MESSAGE, result.mac, mac_algorithm="HMAC_SHA_256")


def test_ecdh_typed(store: keystead.Keystead) -> None:
    a = store.create_key(key_spec="ECC_NIST_P256", key_usage="KEY_AGREEMENT")
    b = store.create_key(key_spec="ECC_NIST_P256", key_usage="KEY_AGREEMENT")
    assert a.key_agreement_algorithms == (KeyAgreementAlgorithm.ECDH,)
    a_pub = store.get_public_key(a.key_id)
    assert a_pub.key_usage is KeyUsage.KEY_AGREEMENT and a_pub.key_agreement_algorithms == (KeyAgreementAlgorithm.ECDH,)
    b_pub = store.get_public_key(b.key_id).public_key
    ab = store.derive_shared_secret(a.key_id, b_pub)
    ba = store.derive_shared_secret(b.key_id, a_pub.public_key, key_agreement_algorithm="ECDH")
    assert ab.shared_secret == ba.shared_secret and len(ab.shared_secret) == 32
    assert ab.key_id == a.arn and ab.key_agreement_algorithm is KeyAgreementAlgorithm.ECDH
    assert ab.key_origin is keystead.enums.Origin.AWS_KMS
    assert ab.shared_secret.hex() not in repr(ab) and "redacted, 32 bytes" in repr(ab)

    local = ec.generate_private_key(ec.SECP256R1())
    kms_public = serialization.load_der_public_key(a_pub.public_key)
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    expected = local.exchange(ec.ECDH(), kms_public)
    assert store.derive_shared_secret(a.key_id, _der_public(local.public_key())).shared_secret == expected

    other_curve = _der_public(ec.generate_private_key(ec.SECP384R1()).public_key())
    with pytest.raises(keystead.KeysteadError):
        store.derive_shared_secret(a.key_id, other_curve)
    signing = store.create_key(key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY").key_id
    with pytest.raises(exc.InvalidKeyUsageException):
        store.derive_shared_secret(signing, b_pub)


@pytest.mark.parametrize("spec", ["ECC_NIST_P256", "RSA_2048", "ECC_NIST_EDWARDS25519"])
def test_data_key_pair_typed(store: keystead.Keystead, key_id: str, spec: str) -> None:
    context = {"tenant": "7"}
    pair = store.generate_data_key_pair(key_id, spec, encryption_context=context)
    assert isinstance(pair, keystead.DataKeyPair)
    assert pair.key_pair_spec is DataKeyPairSpec(spec) and pair.key_id.endswith(key_id)
    assert pair.private_key_plaintext.hex() not in repr(pair) and "redacted" in repr(pair)
    private = serialization.load_der_private_key(pair.private_key_plaintext, password=None)
    assert _der_public(private.public_key()) == pair.public_key
    opened = store.decrypt(pair.private_key_ciphertext_blob, encryption_context=context)
    assert opened.plaintext == pair.private_key_plaintext
    assert opened.key_material_id == pair.key_material_id
    with pytest.raises(exc.InvalidCiphertextException):
        store.decrypt(pair.private_key_ciphertext_blob)

    bare = store.generate_data_key_pair_without_plaintext(key_id, DataKeyPairSpec(spec))
    assert isinstance(bare, keystead.EncryptedDataKeyPair) and not hasattr(bare, "private_key_plaintext")
    private = serialization.load_der_private_key(store.decrypt(bare.private_key_ciphertext_blob).plaintext, None)
    assert _der_public(private.public_key()) == bare.public_key


def test_data_key_pair_errors(store: keystead.Keystead, key_id: str) -> None:
    with pytest.raises(exc.ValidationException):
        store.generate_data_key_pair(key_id, "AES_256")
    signing = store.create_key(key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY").key_id
    with pytest.raises(exc.InvalidKeyUsageException):
        store.generate_data_key_pair(signing, "ECC_NIST_P256")


# -- boto3-shaped client --------------------------------------------------------------------


def _meta_ok(response: Dict[str, Any]) -> None:
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(("key_spec", "algorithm"), SIGNING_CASES)
def test_sign_verify_client(kms: keystead.KMSClient, key_spec: str, algorithm: str) -> None:
    meta = kms.create_key(KeySpec=key_spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert algorithm in meta["SigningAlgorithms"] and "EncryptionAlgorithms" not in meta
    kid = meta["KeyId"]
    signed = kms.sign(KeyId=kid, Message=MESSAGE, SigningAlgorithm=algorithm)
    _meta_ok(signed)
    assert set(signed) == {"KeyId", "Signature", "SigningAlgorithm", "ResponseMetadata"}
    assert signed["KeyId"] == meta["Arn"] and signed["SigningAlgorithm"] == algorithm
    assert type(signed["SigningAlgorithm"]) is str and isinstance(signed["Signature"], bytes)

    verified = kms.verify(KeyId=kid, Message=MESSAGE, Signature=signed["Signature"], SigningAlgorithm=algorithm,
                          MessageType="RAW", GrantTokens=[])
    _meta_ok(verified)
    assert verified["SignatureValid"] is True and verified["KeyId"] == meta["Arn"]
    assert verified["SigningAlgorithm"] == algorithm

    tampered = bytearray(signed["Signature"])
    tampered[-1] ^= 0x80
    with pytest.raises(kms.exceptions.KMSInvalidSignatureException) as info:
        kms.verify(KeyId=kid, Message=MESSAGE, Signature=bytes(tampered), SigningAlgorithm=algorithm)
    assert info.value.response["Error"]["Code"] == "KMSInvalidSignatureException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    public = kms.get_public_key(KeyId=kid)
    _meta_ok(public)
    assert public["KeyId"] == meta["Arn"] and public["KeySpec"] == key_spec
    assert public["CustomerMasterKeySpec"] == key_spec and public["KeyUsage"] == "SIGN_VERIFY"
    assert algorithm in public["SigningAlgorithms"]
    assert "EncryptionAlgorithms" not in public and "KeyAgreementAlgorithms" not in public
    _local_verify(public["PublicKey"], algorithm, signed["Signature"], MESSAGE)


def test_sign_client_params(kms: keystead.KMSClient) -> None:
    kid = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    with pytest.raises(keystead.ParamValidationError, match="SigningAlgorithm"):
        kms.sign(KeyId=kid, Message=MESSAGE)
    with pytest.raises(keystead.ParamValidationError, match="Bogus"):
        kms.sign(KeyId=kid, Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256", Bogus=1)
    # botocore sends a str blob as its UTF-8 bytes.
    signed = kms.sign(KeyId=kid, Message="héllo", SigningAlgorithm="ECDSA_SHA_256")
    assert kms.verify(KeyId=kid, Message="héllo".encode(), Signature=signed["Signature"],
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    with pytest.raises(kms.exceptions.ValidationException):
        kms.sign(KeyId=kid, Message=MESSAGE, SigningAlgorithm="NOT_AN_ALGORITHM")


def test_hmac_client(kms: keystead.KMSClient) -> None:
    meta = kms.create_key(KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert meta["MacAlgorithms"] == ["HMAC_SHA_384"]
    generated = kms.generate_mac(KeyId=meta["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_384")
    _meta_ok(generated)
    assert set(generated) == {"Mac", "MacAlgorithm", "KeyId", "ResponseMetadata"}
    assert len(generated["Mac"]) == 48 and generated["KeyId"] == meta["Arn"]
    ok = kms.verify_mac(KeyId=meta["KeyId"], Message=MESSAGE, Mac=generated["Mac"], MacAlgorithm="HMAC_SHA_384")
    assert ok["MacValid"] is True and ok["MacAlgorithm"] == "HMAC_SHA_384" and ok["KeyId"] == meta["Arn"]
    with pytest.raises(kms.exceptions.KMSInvalidMacException) as info:
        kms.verify_mac(KeyId=meta["KeyId"], Message=b"other", Mac=generated["Mac"], MacAlgorithm="HMAC_SHA_384")
    assert info.value.response["Error"]["Code"] == "KMSInvalidMacException"
    with pytest.raises(keystead.ParamValidationError):
        kms.generate_mac(KeyId=meta["KeyId"], Message=MESSAGE)


def test_ecdh_client(kms: keystead.KMSClient) -> None:
    a = kms.create_key(KeySpec="ECC_NIST_P384", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    b = kms.create_key(KeySpec="ECC_NIST_P384", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    assert a["KeyAgreementAlgorithms"] == ["ECDH"]
    a_pub = kms.get_public_key(KeyId=a["KeyId"])
    assert a_pub["KeyAgreementAlgorithms"] == ["ECDH"] and "SigningAlgorithms" not in a_pub
    b_pub = kms.get_public_key(KeyId=b["KeyId"])["PublicKey"]
    ab = kms.derive_shared_secret(KeyId=a["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=b_pub)
    ba = kms.derive_shared_secret(KeyId=b["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=a_pub["PublicKey"])
    _meta_ok(ab)
    assert ab["SharedSecret"] == ba["SharedSecret"] and len(ab["SharedSecret"]) == 48
    assert ab["KeyId"] == a["Arn"] and ab["KeyAgreementAlgorithm"] == "ECDH" and ab["KeyOrigin"] == "AWS_KMS"
    local = ec.generate_private_key(ec.SECP384R1())
    kms_public = serialization.load_der_public_key(a_pub["PublicKey"])
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    derived = kms.derive_shared_secret(KeyId=a["KeyId"], KeyAgreementAlgorithm="ECDH",
                                       PublicKey=_der_public(local.public_key()))
    assert derived["SharedSecret"] == local.exchange(ec.ECDH(), kms_public)
    with pytest.raises(keystead.ParamValidationError, match="KeyAgreementAlgorithm"):
        kms.derive_shared_secret(KeyId=a["KeyId"], PublicKey=b_pub)


def test_data_key_pair_client(kms: keystead.KMSClient) -> None:
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    pair = kms.generate_data_key_pair(KeyId=kid, KeyPairSpec="ECC_NIST_P256", EncryptionContext={"a": "b"})
    _meta_ok(pair)
    assert set(pair) == {"PrivateKeyCiphertextBlob", "PrivateKeyPlaintext", "PublicKey", "KeyId", "KeyPairSpec",
                         "KeyMaterialId", "ResponseMetadata"}
    assert pair["KeyPairSpec"] == "ECC_NIST_P256"
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
    assert _der_public(private.public_key()) == pair["PublicKey"]
    opened = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"a": "b"})
    assert opened["Plaintext"] == pair["PrivateKeyPlaintext"]

    bare = kms.generate_data_key_pair_without_plaintext(KeyId=kid, KeyPairSpec="RSA_2048")
    _meta_ok(bare)
    assert "PrivateKeyPlaintext" not in bare and bare["KeyPairSpec"] == "RSA_2048"
    private = serialization.load_der_private_key(kms.decrypt(CiphertextBlob=bare["PrivateKeyCiphertextBlob"])["Plaintext"], None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    assert _der_public(private.public_key()) == bare["PublicKey"]
    with pytest.raises(keystead.ParamValidationError, match="KeyPairSpec"):
        kms.generate_data_key_pair(KeyId=kid)


@pytest.mark.parametrize(
    ("key_spec", "algorithm"),
    [
        ("ECC_NIST_P384", "ECDSA_SHA_384"),
        ("ECC_NIST_P521", "ECDSA_SHA_512"),
        ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
        ("ML_DSA_44", "ML_DSA_SHAKE_256"),
    ],
)
def test_other_signing_specs_round_trip(store: keystead.Keystead, key_spec: str, algorithm: str) -> None:
    key = store.create_key(key_spec=key_spec, key_usage="SIGN_VERIFY").key_id
    signature = store.sign(key, MESSAGE, signing_algorithm=algorithm).signature
    assert store.verify(key, MESSAGE, signature, signing_algorithm=algorithm).signature_valid
    with pytest.raises(exc.KMSInvalidSignatureException):
        store.verify(key, MESSAGE[:-1], signature, signing_algorithm=algorithm)
    public = serialization.load_der_public_key(store.get_public_key(key).public_key) if "ML_DSA" not in key_spec else None
    if isinstance(public, ec.EllipticCurvePublicKey):
        digest = {"ECDSA_SHA_256": hashes.SHA256(), "ECDSA_SHA_384": hashes.SHA384(), "ECDSA_SHA_512": hashes.SHA512()}
        public.verify(signature, MESSAGE, ec.ECDSA(digest[algorithm]))
    elif isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, MESSAGE, padding.PKCS1v15(), hashes.SHA256())


def test_rsa_encryption_both_apis(store: keystead.Keystead, kms: keystead.KMSClient) -> None:
    meta = store.create_key(key_spec="RSA_2048", key_usage=KeyUsage.ENCRYPT_DECRYPT)
    sealed = store.encrypt(meta.key_id, b"card 4111", encryption_algorithm="RSAES_OAEP_SHA_256")
    opened = store.decrypt(sealed.ciphertext_blob, key_id=meta.key_id, encryption_algorithm="RSAES_OAEP_SHA_256")
    assert opened.plaintext == b"card 4111" and opened.key_material_id is None
    with pytest.raises(exc.ValidationException):
        store.encrypt(meta.key_id, b"x")  # the algorithm is required for asymmetric keys
    with pytest.raises(exc.InvalidCiphertextException):
        store.decrypt(sealed.ciphertext_blob)  # no metadata in the blob: the key id is needed
    # `cryptography` encrypts with the public key; Keystead decrypts (boto3-shaped client).
    public = serialization.load_der_public_key(store.get_public_key(meta.key_id).public_key)
    assert isinstance(public, rsa.RSAPublicKey)
    blob = public.encrypt(b"hello", padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    response = kms.decrypt(CiphertextBlob=blob, KeyId=meta.key_id, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert response["Plaintext"] == b"hello" and "KeyMaterialId" not in response


def test_ed25519ph_signs_a_sha512_digest(store: keystead.Keystead) -> None:
    key = store.create_key(key_spec=KeySpec.ECC_NIST_EDWARDS25519, key_usage="SIGN_VERIFY").key_id
    digest = hashes.Hash(hashes.SHA512())
    digest.update(MESSAGE)
    message_digest = digest.finalize()
    algorithm = SigningAlgorithm.ED25519_PH_SHA_512
    signed = store.sign(key, message_digest, signing_algorithm=algorithm, message_type=MessageType.DIGEST)
    assert len(signed.signature) == 64 and signed.signing_algorithm is algorithm
    assert store.verify(
        key, message_digest, signed.signature, signing_algorithm=algorithm, message_type=MessageType.DIGEST
    ).signature_valid
    # Ed25519ph is not pure Ed25519: the pure verifier refuses its signature of the digest.
    public = ed25519.Ed25519PublicKey.from_public_bytes(
        serialization.load_der_public_key(store.get_public_key(key).public_key).public_bytes_raw()  # type: ignore[union-attr]
    )
    with pytest.raises(InvalidSignature):
        public.verify(signed.signature, message_digest)
    tampered = bytearray(signed.signature)
    tampered[5] ^= 1
    with pytest.raises(exc.KMSInvalidSignatureException):
        store.verify(key, message_digest, bytes(tampered), signing_algorithm=algorithm, message_type=MessageType.DIGEST)
    with pytest.raises(exc.ValidationException):
        store.sign(key, message_digest[:32], signing_algorithm=algorithm, message_type=MessageType.DIGEST)
    with pytest.raises(exc.InvalidKeyUsageException):
        store.sign(key, MESSAGE, signing_algorithm=algorithm, message_type=MessageType.RAW)


def test_ml_dsa_external_mu_signature_verifies_as_the_message_signature(store: keystead.Keystead) -> None:
    from cryptography.hazmat.primitives.asymmetric import mldsa

    key = store.create_key(key_spec=KeySpec.ML_DSA_65, key_usage="SIGN_VERIFY").key_id
    public = serialization.load_der_public_key(store.get_public_key(key).public_key)
    assert isinstance(public, mldsa.MLDSA65PublicKey)
    hasher = mldsa.MLDSAMuHasher(public)
    hasher.update(MESSAGE)
    mu = hasher.finalize()
    assert len(mu) == 64
    algorithm = SigningAlgorithm.ML_DSA_SHAKE_256
    signed = store.sign(key, mu, signing_algorithm=algorithm, message_type=MessageType.EXTERNAL_MU)
    # FIPS 204: a signature of mu is a signature of the message; cryptography checks it as one.
    public.verify(signed.signature, MESSAGE)
    assert store.verify(key, MESSAGE, signed.signature, signing_algorithm=algorithm).signature_valid
    assert store.verify(
        key, mu, signed.signature, signing_algorithm=algorithm, message_type=MessageType.EXTERNAL_MU
    ).signature_valid
    with pytest.raises(exc.KMSInvalidSignatureException):
        store.verify(key, b"another message", signed.signature, signing_algorithm=algorithm)
    with pytest.raises(exc.ValidationException):
        store.sign(key, mu[:63], signing_algorithm=algorithm, message_type=MessageType.EXTERNAL_MU)
