"""A boto3-shaped KMS client over a Keystead store.

``keystead.client(store_path="./keys")`` returns an object with boto3's KMS method names, AWS's
PascalCase keyword arguments and boto3-shaped response dicts, so code written for
``boto3.client("kms")`` runs by changing that one line::

    kms = keystead.client(store_path="./keys")      # was: boto3.client("kms")
    blob = kms.encrypt(KeyId="alias/orders", Plaintext=b"4111 1111 1111 1111")["CiphertextBlob"]
    try:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"order": "42"})
    except kms.exceptions.InvalidCiphertextException as err:
        print(err.response["Error"]["Code"])

Responses carry ``bytes`` for blobs, timezone-aware UTC ``datetime`` for dates and a
``ResponseMetadata`` (``HTTPStatusCode`` 200 and a fresh ``RequestId``). Errors are the
:mod:`keystead.exceptions` classes, all :class:`keystead.ClientError` subclasses, also reachable
as ``client.exceptions.<Name>``. Unknown or missing parameters raise
:class:`keystead.ParamValidationError` before the operation runs, as botocore does.
"""

from __future__ import annotations

import functools
import os
import random
from datetime import datetime, timezone
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Mapping, Optional, Tuple, Union

from . import exceptions as _exc
from .exceptions import ParamValidationError
from .store import Keystead, _epoch_millis
from .types import RootKey

__all__ = ["client", "KMSClient", "Paginator"]

Response = Dict[str, Any]

#: boto3 client arguments that have no meaning for a local store; accepted and ignored.
_IGNORED_CLIENT_ARGS = frozenset(
    {
        "api_version",
        "use_ssl",
        "verify",
        "endpoint_url",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "config",
        "aws_account_id",
    }
)


def client(
    service_name: str = "kms",
    *,
    store_path: Optional[Union[str, "os.PathLike[str]"]] = None,
    store: Optional[Keystead] = None,
    root_key: Optional[RootKey] = None,
    region_name: Optional[str] = None,
    account_id: Optional[str] = None,
    **boto_args: Any,
) -> KMSClient:
    """A boto3-shaped KMS client on the store in folder ``store_path`` (default: the
    ``KEYSTEAD_STORE_PATH`` environment variable), or on an open ``store``.

    ``root_key``, ``region_name`` and ``account_id`` are as for :class:`keystead.Keystead`
    (the Region and account apply when the store is created). boto3's connection arguments
    (``endpoint_url``, ``aws_access_key_id``, ``config``, ...) are accepted and ignored.
    """
    if service_name != "kms":
        raise ValueError(f"Keystead only provides the 'kms' service, not {service_name!r}")
    unknown = sorted(set(boto_args) - _IGNORED_CLIENT_ARGS)
    if unknown:
        raise TypeError(f"client() got unexpected keyword arguments: {', '.join(unknown)}")
    if store is None:
        path = store_path if store_path is not None else os.environ.get("KEYSTEAD_STORE_PATH")
        if path is None:
            raise ValueError("give store_path=... (a folder) or set KEYSTEAD_STORE_PATH")
        store = Keystead(path, root_key=root_key, region=region_name, account_id=account_id)
    elif store_path is not None or root_key is not None:
        raise ValueError("give either store= or store_path=, not both")
    return KMSClient(store)


class _Exceptions:
    """``client.exceptions``: every Keystead exception class by its AWS name."""

    ClientError = _exc.ClientError

    def __init__(self) -> None:
        for name, cls in _exc.EXCEPTIONS.items():
            setattr(self, name, cls)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"no KMS exception named {name!r}")


class _Meta:
    """``client.meta``: the Region and service name, as in botocore."""

    def __init__(self, region_name: str, partition: str) -> None:
        self.region_name = region_name
        self.partition = partition
        self.service_name = "kms"

    def __repr__(self) -> str:
        return f"ClientMeta(region_name={self.region_name!r})"


_request_ids = random.Random()


def _request_id() -> str:
    """A UUID4-shaped request id. It only tells responses apart, so a fast non-cryptographic
    generator is enough (``uuid.uuid4()`` costs a system call per response)."""
    h = f"{_request_ids.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _ok(body: Optional[Dict[str, Any]] = None) -> Response:
    """Adds boto3's ``ResponseMetadata`` to a response dict (fresh from the native module)."""
    response: Response = body if body is not None else {}
    response["ResponseMetadata"] = {
        "RequestId": _request_id(),
        "HTTPStatusCode": 200,
        "HTTPHeaders": {},
        "RetryAttempts": 0,
    }
    return response


@functools.lru_cache(maxsize=None)
def _spec(required: Tuple[str, ...], optional: Tuple[str, ...]) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    return frozenset(required), frozenset(required) | frozenset(optional)


def _check(operation: str, params: Mapping[str, Any], required: Tuple[str, ...], optional: Tuple[str, ...]) -> None:
    """Raises ParamValidationError, as botocore does, for missing or unknown parameters."""
    needed, allowed = _spec(required, optional)
    if needed.issubset(params) and allowed.issuperset(params):
        return
    report = [f'Missing required parameter in input: "{name}"' for name in required if name not in params]
    for name in params:
        if name not in allowed:
            report.append(f'Unknown parameter in input: "{name}", must be one of: {", ".join(list(required) + list(optional))}')
    if report:
        raise ParamValidationError("\n".join(report))


def _blob(value: Any) -> Any:
    """botocore accepts a ``str`` for blob parameters and sends its UTF-8 bytes; so do we."""
    return value.encode("utf-8") if isinstance(value, str) else value


def _timestamp(name: str, value: Any) -> datetime:
    """A timestamp parameter as botocore takes it: a datetime, epoch seconds or ISO 8601 text."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise ParamValidationError(f"Invalid type for parameter {name}, value: {value!r}, type: {type(value)}, "
                               "valid types: <class 'datetime.datetime'>, timestamp-string")


def _common(params: Mapping[str, Any]) -> Tuple[Optional[List[str]], bool]:
    """``GrantTokens`` and ``DryRun``, as the native methods take them last."""
    tokens = params.get("GrantTokens")
    if tokens is not None:
        if isinstance(tokens, str):
            raise ParamValidationError("Invalid type for parameter GrantTokens: must be a list of str")
        tokens = list(tokens)
    return tokens, bool(params.get("DryRun", False))


def _tags(tags: Any) -> List[Tuple[str, str]]:
    try:
        return [(t["TagKey"], t["TagValue"]) for t in tags]
    except (TypeError, KeyError) as err:
        raise ParamValidationError('Invalid type for parameter Tags: each tag must be {"TagKey": str, "TagValue": str}') from err


class KMSClient:
    """A boto3-shaped KMS client (see :func:`keystead.client`)."""

    def __init__(self, store: Keystead) -> None:
        self._store = store
        self._native = store._native
        self.exceptions = _Exceptions()
        self.meta = _Meta(store.region, store.partition)

    def __repr__(self) -> str:
        return f"<keystead KMS client on {self._store.location!r}>"

    @property
    def store(self) -> Keystead:
        """The :class:`keystead.Keystead` store behind this client."""
        return self._store

    # -- keys -------------------------------------------------------------------------------

    def create_key(self, **params: Any) -> Response:
        """CreateKey(Description=, KeyUsage=, KeySpec=, CustomerMasterKeySpec=, Origin=, Tags=, MultiRegion=,
        Policy=, BypassPolicyLockoutSafetyCheck=)."""
        _check(
            "CreateKey",
            params,
            (),
            (
                "Description",
                "KeyUsage",
                "KeySpec",
                "CustomerMasterKeySpec",
                "Origin",
                "Tags",
                "MultiRegion",
                "Policy",
                "BypassPolicyLockoutSafetyCheck",
            ),
        )
        spec = params.get("KeySpec", params.get("CustomerMasterKeySpec"))
        tags = _tags(params["Tags"]) if "Tags" in params else None
        metadata = self._native.create_key(
            params.get("Description"),
            params.get("KeyUsage"),
            spec,
            params.get("Origin"),
            tags,
            bool(params.get("MultiRegion", False)),
            params.get("Policy"),
            bool(params.get("BypassPolicyLockoutSafetyCheck", False)),
        )
        return _ok({"KeyMetadata": metadata})

    def describe_key(self, **params: Any) -> Response:
        """DescribeKey(KeyId=, GrantTokens=)."""
        _check("DescribeKey", params, ("KeyId",), ("GrantTokens",))
        return _ok({"KeyMetadata": self._native.describe_key(params["KeyId"])})

    def list_keys(self, **params: Any) -> Response:
        """ListKeys(Limit=, Marker=)."""
        _check("ListKeys", params, (), ("Limit", "Marker"))
        return _ok(self._native.list_keys(params.get("Limit"), params.get("Marker")))

    def update_key_description(self, **params: Any) -> Response:
        """UpdateKeyDescription(KeyId=, Description=)."""
        _check("UpdateKeyDescription", params, ("KeyId", "Description"), ())
        self._native.update_key_description(params["KeyId"], params["Description"])
        return _ok()

    def enable_key(self, **params: Any) -> Response:
        """EnableKey(KeyId=)."""
        _check("EnableKey", params, ("KeyId",), ())
        self._native.enable_key(params["KeyId"])
        return _ok()

    def disable_key(self, **params: Any) -> Response:
        """DisableKey(KeyId=)."""
        _check("DisableKey", params, ("KeyId",), ())
        self._native.disable_key(params["KeyId"])
        return _ok()

    def schedule_key_deletion(self, **params: Any) -> Response:
        """ScheduleKeyDeletion(KeyId=, PendingWindowInDays=)."""
        _check("ScheduleKeyDeletion", params, ("KeyId",), ("PendingWindowInDays",))
        return _ok(self._native.schedule_key_deletion(params["KeyId"], params.get("PendingWindowInDays")))

    def cancel_key_deletion(self, **params: Any) -> Response:
        """CancelKeyDeletion(KeyId=)."""
        _check("CancelKeyDeletion", params, ("KeyId",), ())
        return _ok({"KeyId": self._native.cancel_key_deletion(params["KeyId"])})

    # -- tags -------------------------------------------------------------------------------

    def tag_resource(self, **params: Any) -> Response:
        """TagResource(KeyId=, Tags=[{"TagKey", "TagValue"}])."""
        _check("TagResource", params, ("KeyId", "Tags"), ())
        self._native.tag_resource(params["KeyId"], _tags(params["Tags"]))
        return _ok()

    def untag_resource(self, **params: Any) -> Response:
        """UntagResource(KeyId=, TagKeys=[...])."""
        _check("UntagResource", params, ("KeyId", "TagKeys"), ())
        if isinstance(params["TagKeys"], str):
            raise ParamValidationError("Invalid type for parameter TagKeys: must be a list of str")
        self._native.untag_resource(params["KeyId"], list(params["TagKeys"]))
        return _ok()

    def list_resource_tags(self, **params: Any) -> Response:
        """ListResourceTags(KeyId=, Limit=, Marker=)."""
        _check("ListResourceTags", params, ("KeyId",), ("Limit", "Marker"))
        return _ok(self._native.list_resource_tags(params["KeyId"], params.get("Limit"), params.get("Marker")))

    # -- aliases ----------------------------------------------------------------------------

    def create_alias(self, **params: Any) -> Response:
        """CreateAlias(AliasName=, TargetKeyId=)."""
        _check("CreateAlias", params, ("AliasName", "TargetKeyId"), ())
        self._native.create_alias(params["AliasName"], params["TargetKeyId"])
        return _ok()

    def update_alias(self, **params: Any) -> Response:
        """UpdateAlias(AliasName=, TargetKeyId=)."""
        _check("UpdateAlias", params, ("AliasName", "TargetKeyId"), ())
        self._native.update_alias(params["AliasName"], params["TargetKeyId"])
        return _ok()

    def delete_alias(self, **params: Any) -> Response:
        """DeleteAlias(AliasName=)."""
        _check("DeleteAlias", params, ("AliasName",), ())
        self._native.delete_alias(params["AliasName"])
        return _ok()

    def list_aliases(self, **params: Any) -> Response:
        """ListAliases(KeyId=, Limit=, Marker=)."""
        _check("ListAliases", params, (), ("KeyId", "Limit", "Marker"))
        return _ok(self._native.list_aliases(params.get("KeyId"), params.get("Limit"), params.get("Marker")))

    # -- rotation ---------------------------------------------------------------------------

    def enable_key_rotation(self, **params: Any) -> Response:
        """EnableKeyRotation(KeyId=, RotationPeriodInDays=)."""
        _check("EnableKeyRotation", params, ("KeyId",), ("RotationPeriodInDays",))
        self._native.enable_key_rotation(params["KeyId"], params.get("RotationPeriodInDays"))
        return _ok()

    def disable_key_rotation(self, **params: Any) -> Response:
        """DisableKeyRotation(KeyId=)."""
        _check("DisableKeyRotation", params, ("KeyId",), ())
        self._native.disable_key_rotation(params["KeyId"])
        return _ok()

    def get_key_rotation_status(self, **params: Any) -> Response:
        """GetKeyRotationStatus(KeyId=)."""
        _check("GetKeyRotationStatus", params, ("KeyId",), ())
        return _ok(self._native.get_key_rotation_status(params["KeyId"]))

    def rotate_key_on_demand(self, **params: Any) -> Response:
        """RotateKeyOnDemand(KeyId=)."""
        _check("RotateKeyOnDemand", params, ("KeyId",), ())
        return _ok({"KeyId": self._native.rotate_key_on_demand(params["KeyId"])})

    def list_key_rotations(self, **params: Any) -> Response:
        """ListKeyRotations(KeyId=, IncludeKeyMaterial=, Limit=, Marker=)."""
        _check("ListKeyRotations", params, ("KeyId",), ("IncludeKeyMaterial", "Limit", "Marker"))
        return _ok(
            self._native.list_key_rotations(
                params["KeyId"], params.get("IncludeKeyMaterial"), params.get("Limit"), params.get("Marker")
            )
        )

    # -- cryptography -----------------------------------------------------------------------

    def encrypt(self, **params: Any) -> Response:
        """Encrypt(KeyId=, Plaintext=, EncryptionContext=, EncryptionAlgorithm=, GrantTokens=, DryRun=)."""
        _check("Encrypt", params, ("KeyId", "Plaintext"), ("EncryptionContext", "EncryptionAlgorithm", "GrantTokens", "DryRun"))
        return _ok(
            self._native.encrypt(
                params["KeyId"], _blob(params["Plaintext"]), params.get("EncryptionContext"), params.get("EncryptionAlgorithm"), *_common(params)
            )
        )

    def decrypt(self, **params: Any) -> Response:
        """Decrypt(CiphertextBlob=, EncryptionContext=, KeyId=, EncryptionAlgorithm=, GrantTokens=, DryRun=)."""
        _check("Decrypt", params, ("CiphertextBlob",), ("EncryptionContext", "KeyId", "EncryptionAlgorithm", "GrantTokens", "DryRun"))
        return _ok(
            self._native.decrypt(
                _blob(params["CiphertextBlob"]),
                params.get("EncryptionContext"),
                params.get("KeyId"),
                params.get("EncryptionAlgorithm"),
                *_common(params),
            )
        )

    def re_encrypt(self, **params: Any) -> Response:
        """ReEncrypt(CiphertextBlob=, DestinationKeyId=, SourceEncryptionContext=, SourceKeyId=,
        DestinationEncryptionContext=, SourceEncryptionAlgorithm=, DestinationEncryptionAlgorithm=, GrantTokens=, DryRun=)."""
        _check(
            "ReEncrypt",
            params,
            ("CiphertextBlob", "DestinationKeyId"),
            (
                "SourceEncryptionContext",
                "SourceKeyId",
                "DestinationEncryptionContext",
                "SourceEncryptionAlgorithm",
                "DestinationEncryptionAlgorithm",
                "GrantTokens",
                "DryRun",
            ),
        )
        return _ok(
            self._native.re_encrypt(
                _blob(params["CiphertextBlob"]),
                params["DestinationKeyId"],
                params.get("SourceEncryptionContext"),
                params.get("SourceKeyId"),
                params.get("DestinationEncryptionContext"),
                params.get("SourceEncryptionAlgorithm"),
                params.get("DestinationEncryptionAlgorithm"),
                *_common(params),
            )
        )

    def generate_data_key(self, **params: Any) -> Response:
        """GenerateDataKey(KeyId=, KeySpec= | NumberOfBytes=, EncryptionContext=, GrantTokens=, DryRun=)."""
        _check("GenerateDataKey", params, ("KeyId",), ("KeySpec", "NumberOfBytes", "EncryptionContext", "GrantTokens", "DryRun"))
        return _ok(
            self._native.generate_data_key(
                params["KeyId"], params.get("EncryptionContext"), params.get("KeySpec"), params.get("NumberOfBytes"), *_common(params)
            )
        )

    def generate_data_key_without_plaintext(self, **params: Any) -> Response:
        """GenerateDataKeyWithoutPlaintext(KeyId=, KeySpec= | NumberOfBytes=, EncryptionContext=, GrantTokens=, DryRun=)."""
        _check(
            "GenerateDataKeyWithoutPlaintext",
            params,
            ("KeyId",),
            ("KeySpec", "NumberOfBytes", "EncryptionContext", "GrantTokens", "DryRun"),
        )
        return _ok(
            self._native.generate_data_key_without_plaintext(
                params["KeyId"], params.get("EncryptionContext"), params.get("KeySpec"), params.get("NumberOfBytes"), *_common(params)
            )
        )

    def generate_random(self, **params: Any) -> Response:
        """GenerateRandom(NumberOfBytes=)."""
        _check("GenerateRandom", params, (), ("NumberOfBytes", "CustomKeyStoreId"))
        if "CustomKeyStoreId" in params:
            raise _exc.UnsupportedOperationException(
                {"Error": {"Code": "UnsupportedOperationException", "Message": "Keystead has no custom key stores"}},
                "GenerateRandom",
            )
        return _ok({"Plaintext": self._native.generate_random(params.get("NumberOfBytes", 32))})

    # -- asymmetric keys and HMAC -----------------------------------------------------------

    def sign(self, **params: Any) -> Response:
        """Sign(KeyId=, Message=, SigningAlgorithm=, MessageType=, GrantTokens=, DryRun=)."""
        _check("Sign", params, ("KeyId", "Message", "SigningAlgorithm"), ("MessageType", "GrantTokens", "DryRun"))
        return _ok(
            self._native.sign(
                params["KeyId"], _blob(params["Message"]), params["SigningAlgorithm"], params.get("MessageType"), *_common(params)
            )
        )

    def verify(self, **params: Any) -> Response:
        """Verify(KeyId=, Message=, Signature=, SigningAlgorithm=, MessageType=, GrantTokens=, DryRun=).
        An invalid signature raises ``KMSInvalidSignatureException``, as AWS does."""
        _check("Verify", params, ("KeyId", "Message", "Signature", "SigningAlgorithm"), ("MessageType", "GrantTokens", "DryRun"))
        return _ok(
            self._native.verify(
                params["KeyId"],
                _blob(params["Message"]),
                _blob(params["Signature"]),
                params["SigningAlgorithm"],
                params.get("MessageType"),
                *_common(params),
            )
        )

    def get_public_key(self, **params: Any) -> Response:
        """GetPublicKey(KeyId=, GrantTokens=)."""
        _check("GetPublicKey", params, ("KeyId",), ("GrantTokens",))
        return _ok(self._native.get_public_key(params["KeyId"], params.get("GrantTokens")))

    def generate_mac(self, **params: Any) -> Response:
        """GenerateMac(KeyId=, Message=, MacAlgorithm=, GrantTokens=, DryRun=)."""
        _check("GenerateMac", params, ("KeyId", "Message", "MacAlgorithm"), ("GrantTokens", "DryRun"))
        return _ok(self._native.generate_mac(params["KeyId"], _blob(params["Message"]), params["MacAlgorithm"], *_common(params)))

    def verify_mac(self, **params: Any) -> Response:
        """VerifyMac(KeyId=, Message=, Mac=, MacAlgorithm=, GrantTokens=, DryRun=). A wrong MAC raises
        ``KMSInvalidMacException``, as AWS does."""
        _check("VerifyMac", params, ("KeyId", "Message", "Mac", "MacAlgorithm"), ("GrantTokens", "DryRun"))
        return _ok(
            self._native.verify_mac(
                params["KeyId"], _blob(params["Message"]), _blob(params["Mac"]), params["MacAlgorithm"], *_common(params)
            )
        )

    def derive_shared_secret(self, **params: Any) -> Response:
        """DeriveSharedSecret(KeyId=, KeyAgreementAlgorithm=, PublicKey=, GrantTokens=, DryRun=)."""
        _check("DeriveSharedSecret", params, ("KeyId", "KeyAgreementAlgorithm", "PublicKey"), ("GrantTokens", "DryRun"))
        return _ok(
            self._native.derive_shared_secret(
                params["KeyId"], _blob(params["PublicKey"]), params["KeyAgreementAlgorithm"], *_common(params)
            )
        )

    def generate_data_key_pair(self, **params: Any) -> Response:
        """GenerateDataKeyPair(KeyId=, KeyPairSpec=, EncryptionContext=, GrantTokens=, DryRun=)."""
        _check("GenerateDataKeyPair", params, ("KeyId", "KeyPairSpec"), ("EncryptionContext", "GrantTokens", "DryRun"))
        return _ok(
            self._native.generate_data_key_pair(
                params["KeyId"], params["KeyPairSpec"], params.get("EncryptionContext"), *_common(params)
            )
        )

    def generate_data_key_pair_without_plaintext(self, **params: Any) -> Response:
        """GenerateDataKeyPairWithoutPlaintext(KeyId=, KeyPairSpec=, EncryptionContext=, GrantTokens=, DryRun=)."""
        _check(
            "GenerateDataKeyPairWithoutPlaintext",
            params,
            ("KeyId", "KeyPairSpec"),
            ("EncryptionContext", "GrantTokens", "DryRun"),
        )
        return _ok(
            self._native.generate_data_key_pair_without_plaintext(
                params["KeyId"], params["KeyPairSpec"], params.get("EncryptionContext"), *_common(params)
            )
        )

    # -- key material import (BYOK) ---------------------------------------------------------

    def get_parameters_for_import(self, **params: Any) -> Response:
        """GetParametersForImport(KeyId=, WrappingAlgorithm=, WrappingKeySpec=)."""
        _check("GetParametersForImport", params, ("KeyId", "WrappingAlgorithm", "WrappingKeySpec"), ())
        return _ok(
            self._native.get_parameters_for_import(
                params["KeyId"], params["WrappingAlgorithm"], params["WrappingKeySpec"]
            )
        )

    def import_key_material(self, **params: Any) -> Response:
        """ImportKeyMaterial(KeyId=, ImportToken=, EncryptedKeyMaterial=, ExpirationModel=, ValidTo=, ImportType=,
        KeyMaterialDescription=, KeyMaterialId=).
        ``ValidTo`` is a datetime (naive means UTC), epoch seconds or an ISO 8601 string, as in botocore."""
        _check(
            "ImportKeyMaterial",
            params,
            ("KeyId", "ImportToken", "EncryptedKeyMaterial"),
            ("ExpirationModel", "ValidTo", "ImportType", "KeyMaterialDescription", "KeyMaterialId"),
        )
        valid_to = _timestamp("ValidTo", params["ValidTo"]) if "ValidTo" in params else None
        return _ok(
            self._native.import_key_material(
                params["KeyId"],
                _blob(params["ImportToken"]),
                _blob(params["EncryptedKeyMaterial"]),
                params.get("ExpirationModel"),
                _epoch_millis(valid_to),
                params.get("ImportType"),
                params.get("KeyMaterialDescription"),
                params.get("KeyMaterialId"),
            )
        )

    def delete_imported_key_material(self, **params: Any) -> Response:
        """DeleteImportedKeyMaterial(KeyId=, KeyMaterialId=)."""
        _check("DeleteImportedKeyMaterial", params, ("KeyId",), ("KeyMaterialId",))
        return _ok(self._native.delete_imported_key_material(params["KeyId"], params.get("KeyMaterialId")))

    # -- key policies and grants ------------------------------------------------------------

    def put_key_policy(self, **params: Any) -> Response:
        """PutKeyPolicy(KeyId=, Policy=, PolicyName=, BypassPolicyLockoutSafetyCheck=)."""
        _check("PutKeyPolicy", params, ("KeyId", "Policy"), ("PolicyName", "BypassPolicyLockoutSafetyCheck"))
        self._native.put_key_policy(
            params["KeyId"],
            params["Policy"],
            params.get("PolicyName"),
            bool(params.get("BypassPolicyLockoutSafetyCheck", False)),
        )
        return _ok()

    def get_key_policy(self, **params: Any) -> Response:
        """GetKeyPolicy(KeyId=, PolicyName=); returns ``Policy`` (JSON text) and ``PolicyName``."""
        _check("GetKeyPolicy", params, ("KeyId",), ("PolicyName",))
        name = params.get("PolicyName")
        policy = self._native.get_key_policy(params["KeyId"], name)
        return _ok({"Policy": policy, "PolicyName": name if name is not None else "default"})

    def list_key_policies(self, **params: Any) -> Response:
        """ListKeyPolicies(KeyId=, Limit=, Marker=); a key has one policy, ``default``."""
        _check("ListKeyPolicies", params, ("KeyId",), ("Limit", "Marker"))
        return _ok({"PolicyNames": self._native.list_key_policies(params["KeyId"]), "Truncated": False})

    def create_grant(self, **params: Any) -> Response:
        """CreateGrant(KeyId=, GranteePrincipal=, Operations=, RetiringPrincipal=, Constraints=,
        GrantTokens=, Name=, DryRun=); returns ``GrantToken`` and ``GrantId``."""
        _check(
            "CreateGrant",
            params,
            ("KeyId", "GranteePrincipal", "Operations"),
            ("RetiringPrincipal", "Constraints", "GrantTokens", "Name", "DryRun"),
        )
        operations = params["Operations"]
        if isinstance(operations, str):
            raise ParamValidationError("Invalid type for parameter Operations: must be a list of str")
        constraints = params.get("Constraints") or {}
        unknown = set(constraints) - {"EncryptionContextSubset", "EncryptionContextEquals"}
        if unknown:
            raise ParamValidationError(
                f'Unknown parameter in Constraints: "{sorted(unknown)[0]}", must be one of: '
                "EncryptionContextSubset, EncryptionContextEquals"
            )
        tokens, dry_run = _common(params)
        return _ok(
            self._native.create_grant(
                params["KeyId"],
                params["GranteePrincipal"],
                list(operations),
                params.get("RetiringPrincipal"),
                constraints.get("EncryptionContextSubset"),
                constraints.get("EncryptionContextEquals"),
                tokens,
                params.get("Name"),
                dry_run,
            )
        )

    def list_grants(self, **params: Any) -> Response:
        """ListGrants(KeyId=, Limit=, Marker=, GrantId=, GranteePrincipal=)."""
        _check("ListGrants", params, ("KeyId",), ("Limit", "Marker", "GrantId", "GranteePrincipal"))
        return _ok(
            self._native.list_grants(
                params["KeyId"],
                params.get("GrantId"),
                params.get("GranteePrincipal"),
                params.get("Limit"),
                params.get("Marker"),
            )
        )

    def list_retirable_grants(self, **params: Any) -> Response:
        """ListRetirableGrants(RetiringPrincipal=, Limit=, Marker=)."""
        _check("ListRetirableGrants", params, ("RetiringPrincipal",), ("Limit", "Marker"))
        return _ok(
            self._native.list_retirable_grants(params["RetiringPrincipal"], params.get("Limit"), params.get("Marker"))
        )

    def retire_grant(self, **params: Any) -> Response:
        """RetireGrant(GrantToken= | KeyId= and GrantId=, DryRun=)."""
        _check("RetireGrant", params, (), ("GrantToken", "KeyId", "GrantId", "DryRun"))
        self._native.retire_grant(
            params.get("GrantToken"), params.get("KeyId"), params.get("GrantId"), bool(params.get("DryRun", False))
        )
        return _ok()

    def revoke_grant(self, **params: Any) -> Response:
        """RevokeGrant(KeyId=, GrantId=, DryRun=)."""
        _check("RevokeGrant", params, ("KeyId", "GrantId"), ("DryRun",))
        self._native.revoke_grant(params["KeyId"], params["GrantId"], bool(params.get("DryRun", False)))
        return _ok()

    # -- pagination -------------------------------------------------------------------------

    _PAGINATED = {
        "list_keys": "Keys",
        "list_aliases": "Aliases",
        "list_resource_tags": "Tags",
        "list_key_rotations": "Rotations",
        "list_grants": "Grants",
        "list_retirable_grants": "Grants",
        "list_key_policies": "PolicyNames",
    }

    def can_paginate(self, operation_name: str) -> bool:
        """True for ``list_keys``, ``list_aliases``, ``list_resource_tags``, ``list_key_rotations``,
        ``list_grants``, ``list_retirable_grants`` and ``list_key_policies``."""
        return operation_name in self._PAGINATED

    def get_paginator(self, operation_name: str) -> Paginator:
        """A paginator like boto3's: ``paginate(**params)`` yields one response per page."""
        if operation_name not in self._PAGINATED:
            raise ValueError(f"Operation cannot be paginated: {operation_name}")
        return Paginator(getattr(self, operation_name))


class Paginator:
    """Pages through a list operation; ``PaginationConfig`` supports ``PageSize`` and
    ``StartingToken`` (a ``NextMarker``)."""

    def __init__(self, method: Callable[..., Response]) -> None:
        self._method = method

    def paginate(self, **params: Any) -> Iterator[Response]:
        """Yields each page's response until ``Truncated`` is false."""
        config = dict(params.pop("PaginationConfig", None) or {})
        unknown = set(config) - {"PageSize", "StartingToken"}
        if unknown:
            raise ParamValidationError(f"Unsupported PaginationConfig keys: {', '.join(sorted(unknown))}")
        if "PageSize" in config:
            params["Limit"] = config["PageSize"]
        if config.get("StartingToken"):
            params["Marker"] = config["StartingToken"]
        while True:
            page = self._method(**params)
            yield page
            if not page.get("Truncated"):
                return
            params["Marker"] = page["NextMarker"]
