"""Every reachable error path, through both APIs, and the shape of the exceptions."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Callable, Type

import pytest

import keystead
from keystead import _keystead
from keystead import exceptions as exc

MISSING_KEY = "11111111-2222-3333-4444-555555555555"


def test_every_core_error_kind_has_its_class() -> None:
    kinds = _keystead._error_kinds()
    assert len(kinds) == len(exc.EXCEPTIONS) == 30
    for name, code, status, class_name in kinds:
        assert name == class_name, (name, class_name)
        cls = exc.EXCEPTIONS[name]
        assert issubclass(cls, keystead.ClientError) and issubclass(cls, keystead.KeysteadError)
        assert cls.__doc__
        assert code > 0 and 400 <= status < 600


@pytest.mark.parametrize(
    "cls",
    [exc.ValidationException, exc.InvalidAliasNameException, exc.InvalidArnException,
     exc.InvalidMarkerException, exc.TagException],
)
def test_argument_errors_are_value_errors(cls: Type[exc.KeysteadError]) -> None:
    assert issubclass(cls, ValueError)


def test_not_found_is_lookup_error() -> None:
    assert issubclass(exc.NotFoundException, LookupError)


def test_exceptions_are_botocore_shaped_and_picklable(store: keystead.Keystead) -> None:
    with pytest.raises(exc.NotFoundException) as info:
        store.encrypt(MISSING_KEY, b"x")
    err = info.value
    assert err.operation_name == "Encrypt"
    assert err.response["Error"]["Code"] == "NotFoundException" == err.code
    assert MISSING_KEY in err.response["Error"]["Message"] == err.message
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert err.response["ResponseMetadata"]["RequestId"]
    assert str(err).startswith("An error occurred (NotFoundException) when calling the Encrypt operation: ")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is exc.NotFoundException and again.response == err.response
    param = pickle.loads(pickle.dumps(keystead.ParamValidationError("bad")))
    assert "bad" in str(param)


def _both(store: keystead.Keystead, typed: Callable[[], Any], boto: Callable[[keystead.KMSClient], Any],
          cls: Type[exc.KeysteadError], operation: str) -> None:
    with pytest.raises(cls) as first:
        typed()
    assert first.value.operation_name == operation
    kms = store.client()
    with pytest.raises(getattr(kms.exceptions, cls.__name__)) as second:
        boto(kms)
    assert second.value.response["Error"]["Code"] == cls.__name__


def test_not_found(store: keystead.Keystead) -> None:
    _both(store, lambda: store.describe_key(MISSING_KEY), lambda k: k.describe_key(KeyId=MISSING_KEY),
          exc.NotFoundException, "DescribeKey")
    _both(store, lambda: store.delete_alias("alias/none"), lambda k: k.delete_alias(AliasName="alias/none"),
          exc.NotFoundException, "DeleteAlias")


def test_disabled(store: keystead.Keystead, key_id: str) -> None:
    sealed = store.encrypt(key_id, b"x")
    store.disable_key(key_id)
    _both(store, lambda: store.encrypt(key_id, b"x"), lambda k: k.encrypt(KeyId=key_id, Plaintext=b"x"),
          exc.DisabledException, "Encrypt")
    _both(store, lambda: store.decrypt(sealed.ciphertext_blob),
          lambda k: k.decrypt(CiphertextBlob=sealed.ciphertext_blob), exc.DisabledException, "Decrypt")
    _both(store, lambda: store.generate_data_key(key_id), lambda k: k.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
          exc.DisabledException, "GenerateDataKey")


def test_invalid_state(store: keystead.Keystead, key_id: str) -> None:
    _both(store, lambda: store.cancel_key_deletion(key_id), lambda k: k.cancel_key_deletion(KeyId=key_id),
          exc.KMSInvalidStateException, "CancelKeyDeletion")
    store.schedule_key_deletion(key_id)
    _both(store, lambda: store.encrypt(key_id, b"x"), lambda k: k.encrypt(KeyId=key_id, Plaintext=b"x"),
          exc.KMSInvalidStateException, "Encrypt")
    _both(store, lambda: store.enable_key_rotation(key_id), lambda k: k.enable_key_rotation(KeyId=key_id),
          exc.KMSInvalidStateException, "EnableKeyRotation")


def test_invalid_ciphertext(store: keystead.Keystead, key_id: str) -> None:
    sealed = store.encrypt(key_id, b"x", encryption_context={"user": "1"}).ciphertext_blob
    _both(store, lambda: store.decrypt(sealed, encryption_context={"user": "2"}),
          lambda k: k.decrypt(CiphertextBlob=sealed, EncryptionContext={"user": "2"}),
          exc.InvalidCiphertextException, "Decrypt")
    _both(store, lambda: store.decrypt(sealed), lambda k: k.decrypt(CiphertextBlob=sealed),
          exc.InvalidCiphertextException, "Decrypt")
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(exc.InvalidCiphertextException) as info:
        store.decrypt(tampered, encryption_context={"user": "1"})
    # The verdict carries no detail about which check failed.
    assert "tag" not in info.value.message.lower()
    other_store = keystead.Keystead.in_memory()
    with pytest.raises(exc.InvalidCiphertextException):
        other_store.decrypt(sealed, encryption_context={"user": "1"})


def test_incorrect_key(store: keystead.Keystead, key_id: str) -> None:
    other = store.create_key().key_id
    sealed = store.encrypt(key_id, b"x").ciphertext_blob
    _both(store, lambda: store.decrypt(sealed, key_id=other), lambda k: k.decrypt(CiphertextBlob=sealed, KeyId=other),
          exc.IncorrectKeyException, "Decrypt")


def test_validation(store: keystead.Keystead, key_id: str) -> None:
    _both(store, lambda: store.encrypt(key_id, b""), lambda k: k.encrypt(KeyId=key_id, Plaintext=b""),
          exc.ValidationException, "Encrypt")
    _both(store, lambda: store.encrypt(key_id, b"x" * 4097), lambda k: k.encrypt(KeyId=key_id, Plaintext=b"x" * 4097),
          exc.ValidationException, "Encrypt")
    _both(store, lambda: store.list_keys(limit=0), lambda k: k.list_keys(Limit=1001), exc.ValidationException, "ListKeys")
    _both(store, lambda: store.list_keys(limit=-1), lambda k: k.list_keys(Limit=2**40), exc.ValidationException, "ListKeys")
    _both(store, lambda: store.schedule_key_deletion(key_id, pending_window_in_days=3),
          lambda k: k.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=31),
          exc.ValidationException, "ScheduleKeyDeletion")
    _both(store, lambda: store.enable_key_rotation(key_id, rotation_period_in_days=10),
          lambda k: k.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=3000),
          exc.ValidationException, "EnableKeyRotation")
    _both(store, lambda: store.generate_data_key(key_id, key_spec="AES_512"),
          lambda k: k.generate_data_key(KeyId=key_id), exc.ValidationException, "GenerateDataKey")
    _both(store, lambda: store.generate_random(0), lambda k: k.generate_random(NumberOfBytes=1025),
          exc.ValidationException, "GenerateRandom")
    _both(store, lambda: store.create_key(key_usage="SIGN_VERIFY"), lambda k: k.create_key(KeyUsage="NOPE"),
          exc.ValidationException, "CreateKey")
    with pytest.raises(ValueError):  # argument errors are ValueErrors too
        store.update_key_description(key_id, "x" * 8193)


def test_invalid_alias_name(store: keystead.Keystead, key_id: str) -> None:
    _both(store, lambda: store.create_alias("orders", key_id), lambda k: k.create_alias(AliasName="orders", TargetKeyId=key_id),
          exc.InvalidAliasNameException, "CreateAlias")
    _both(store, lambda: store.create_alias("alias/aws/mine", key_id),
          lambda k: k.create_alias(AliasName="alias/aws/mine", TargetKeyId=key_id),
          exc.InvalidAliasNameException, "CreateAlias")


def test_invalid_arn(store: keystead.Keystead) -> None:
    _both(store, lambda: store.describe_key("arn:aws:s3:::bucket"), lambda k: k.describe_key(KeyId="arn:aws:kms:us-east-1"),
          exc.InvalidArnException, "DescribeKey")


def test_already_exists(store: keystead.Keystead, key_id: str) -> None:
    store.create_alias("alias/taken", key_id)
    _both(store, lambda: store.create_alias("alias/taken", key_id),
          lambda k: k.create_alias(AliasName="alias/taken", TargetKeyId=key_id),
          exc.AlreadyExistsException, "CreateAlias")


def test_limit_exceeded(store: keystead.Keystead, key_id: str) -> None:
    too_many = {f"k{i}": "v" for i in range(51)}
    _both(store, lambda: store.tag_resource(key_id, too_many),
          lambda k: k.tag_resource(KeyId=key_id, Tags=[{"TagKey": t, "TagValue": "v"} for t in too_many]),
          exc.LimitExceededException, "TagResource")


def test_invalid_marker(store: keystead.Keystead, key_id: str) -> None:
    _both(store, lambda: store.list_keys(marker="garbage"), lambda k: k.list_aliases(Marker="garbage"),
          exc.InvalidMarkerException, "ListKeys")
    store.create_key()
    marker = store.list_keys(limit=1).next_marker
    assert marker
    with pytest.raises(exc.InvalidMarkerException):  # a keys marker does not continue aliases
        store.list_aliases(marker=marker)


def test_tag_exception(store: keystead.Keystead, key_id: str) -> None:
    _both(store, lambda: store.tag_resource(key_id, {"aws:reserved": "x"}),
          lambda k: k.tag_resource(KeyId=key_id, Tags=[{"TagKey": "", "TagValue": "x"}]),
          exc.TagException, "TagResource")


def test_unsupported_and_key_usage(store: keystead.Keystead, key_id: str) -> None:
    _both(store, lambda: store.create_key(multi_region=True), lambda k: k.create_key(MultiRegion=True),
          exc.UnsupportedOperationException, "CreateKey")
    _both(store, lambda: store.encrypt(key_id, b"x", encryption_algorithm="RSAES_OAEP_SHA_256"),
          lambda k: k.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1"),
          exc.InvalidKeyUsageException, "Encrypt")


def test_access_denied_on_managed_key(store: keystead.Keystead) -> None:
    managed = store.describe_key("alias/aws/ebs").key_id
    _both(store, lambda: store.disable_key(managed), lambda k: k.schedule_key_deletion(KeyId=managed),
          exc.AccessDeniedException, "DisableKey")


def test_incorrect_root_key(tmp_path: Path) -> None:
    path = tmp_path / "locked"
    keystead.Keystead(path, root_key=keystead.RootKey.passphrase("correct horse battery staple")).create_key()
    with pytest.raises(exc.IncorrectRootKeyException) as info:
        keystead.Keystead(path, root_key=keystead.RootKey.passphrase("wrong"))
    assert info.value.operation_name == "OpenStore"
    assert "correct horse" not in str(info.value)
    with pytest.raises(exc.IncorrectRootKeyException):
        keystead.client(store_path=path, root_key=keystead.RootKey.passphrase("also wrong"))


def test_bad_arguments_are_typed_errors(store: keystead.Keystead, key_id: str) -> None:
    """The shared argument conversion (python/src/convert.rs IntArg, keystead/_args.py): an
    int beyond 64 bits or a lone surrogate is the operation's ValidationException, a wrong
    type a TypeError; neither an OverflowError, UnicodeEncodeError nor AttributeError."""
    with pytest.raises(exc.ValidationException) as info:
        store.generate_random(2**70)
    assert info.value.operation_name == "GenerateRandom"
    assert "numberOfBytes" in info.value.message
    with pytest.raises(exc.ValidationException):
        store.list_aliases(limit=2**70)
    with pytest.raises(exc.ValidationException) as info:
        keystead.envelope_seal(store, key_id, b"x", segment_size=-5)
    assert info.value.operation_name == "EnvelopeSeal"
    with pytest.raises(exc.ValidationException) as info:
        store.encrypt(key_id, b"x", encryption_context={"k": "\udcff"})
    assert info.value.operation_name == "Encrypt"
    with pytest.raises(TypeError, match="encryption_context"):
        keystead.envelope_seal(store, key_id, b"x", encryption_context=["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="store"):
        keystead.envelope_open("not a store", b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="root_key"):
        keystead.Keystead.in_memory(root_key=b"raw")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="constraints"):
        store.create_grant(key_id, "arn:aws:iam::111122223333:role/x", ["Encrypt"], constraints={"a": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="conditions"):
        store.explain(key_id, "kms:Encrypt", conditions=["x"])  # type: ignore[arg-type]
    # Nothing of the above changed the store: the key still encrypts, no grant was made.
    assert store.decrypt(store.encrypt(key_id, b"x").ciphertext_blob).plaintext == b"x"
    assert list(store.list_grants(key_id).items) == []
