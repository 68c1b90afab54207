"""Result types of the typed API: small frozen objects whose ``repr`` never shows secrets."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Iterator, Mapping, Optional, Tuple, TypeVar, Union

from .enums import (
    DataKeyPairSpec,
    EncryptionAlgorithm,
    ExpirationModel,
    KeyAgreementAlgorithm,
    KeyManager,
    KeyMaterialImportState,
    KeyMaterialState,
    KeySpec,
    KeyState,
    KeyUsage,
    MacAlgorithm,
    Origin,
    RotationType,
    SigningAlgorithm,
    _of,
)

# Result enums are looked up in a dict rather than by calling the enum class (see enums._of).
_encryption_algorithm = _of(EncryptionAlgorithm)
_signing_algorithm = _of(SigningAlgorithm)
_mac_algorithm = _of(MacAlgorithm)
_key_agreement_algorithm = _of(KeyAgreementAlgorithm)
_origin = _of(Origin)
_new = object.__new__

__all__ = [
    "RootKey",
    "KeyMetadata",
    "KeyListEntry",
    "AliasListEntry",
    "Tag",
    "Page",
    "EncryptResult",
    "DecryptResult",
    "ReEncryptResult",
    "DataKey",
    "EncryptedDataKey",
    "RotationStatus",
    "KeyRotation",
    "DeletionSchedule",
    "SignResult",
    "VerifyResult",
    "PublicKey",
    "MacResult",
    "VerifyMacResult",
    "SharedSecret",
    "DataKeyPair",
    "EncryptedDataKeyPair",
    "ImportParameters",
    "ImportedKeyMaterial",
    "AccessKey",
    "NewAccessKey",
]

T = TypeVar("T")
PathLike = Union[str, "os.PathLike[str]"]


def _redacted(secret: bytes) -> str:
    return f"<redacted, {len(secret)} bytes>"


class RootKey:
    """Where a store's root key (the key that seals every key material at rest) comes from.

    Build one with :meth:`key_file` (the default: ``<store>/root.key``, created on first open),
    :meth:`env_var` (base64 of 32 bytes in an environment variable), :meth:`passphrase`
    (stretched with scrypt) or :meth:`from_bytes` (32 bytes your application supplies).
    The ``repr`` never shows a passphrase or key.
    """

    __slots__ = ("_kind", "_value")
    _kind: str
    _value: Any

    def __init__(self, kind: str, value: Any) -> None:
        if kind not in ("key_file", "env_var", "passphrase", "bytes"):
            raise ValueError(f"unknown root key kind {kind!r}")
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_value", value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RootKey is immutable")

    @classmethod
    def key_file(cls, path: Optional[PathLike] = None) -> RootKey:
        """A 32-byte key file; ``None`` means ``<store folder>/root.key`` (created with mode 0600)."""
        return cls("key_file", None if path is None else os.fspath(path))

    @classmethod
    def env_var(cls, name: str = "KEYSTEAD_ROOT_KEY") -> RootKey:
        """An environment variable holding the base64 of 32 bytes."""
        if not isinstance(name, str):
            raise TypeError("the environment variable name must be a str")
        return cls("env_var", name)

    @classmethod
    def passphrase(cls, passphrase: Union[str, bytes, bytearray, memoryview]) -> RootKey:
        """A passphrase (text or bytes), stretched with scrypt; parameters are kept in the store."""
        if isinstance(passphrase, str):
            return cls("passphrase", passphrase)
        return cls("passphrase", bytes(passphrase))

    @classmethod
    def from_bytes(cls, key: Union[bytes, bytearray, memoryview]) -> RootKey:
        """32 bytes supplied by the application (e.g. from its secret manager)."""
        if isinstance(key, str):
            raise TypeError("a root key must be bytes-like, not str")
        return cls("bytes", bytes(key))

    @property
    def kind(self) -> str:
        """``key_file``, ``env_var``, ``passphrase`` or ``bytes``."""
        return self._kind

    def __repr__(self) -> str:
        if self._kind == "key_file":
            return f"RootKey.key_file({self._value!r})"
        if self._kind == "env_var":
            return f"RootKey.env_var({self._value!r})"
        if self._kind == "passphrase":
            return "RootKey.passphrase(<redacted>)"
        return "RootKey.from_bytes(<redacted>)"

    def _native_args(self) -> Tuple[str, Any]:
        return self._kind, self._value



def _enums(kind: Any, values: Optional[Any]) -> Tuple[Any, ...]:
    return tuple(kind(v) for v in values) if values else ()


@dataclass(frozen=True)
class KeyMetadata:
    """AWS's ``KeyMetadata``: a key's id, ARN, state, spec and dates (all dates are UTC)."""

    key_id: str
    arn: str
    key_state: KeyState
    key_spec: KeySpec
    key_usage: KeyUsage
    description: str
    creation_date: datetime
    enabled: bool = field(repr=False)
    aws_account_id: str = field(repr=False)
    origin: Origin = field(repr=False)
    key_manager: KeyManager = field(repr=False)
    customer_master_key_spec: KeySpec = field(repr=False)
    multi_region: bool = field(repr=False)
    deletion_date: Optional[datetime] = field(default=None, repr=False)
    valid_to: Optional[datetime] = field(default=None, repr=False)
    expiration_model: Optional[ExpirationModel] = field(default=None, repr=False)
    encryption_algorithms: Tuple[EncryptionAlgorithm, ...] = field(default=(), repr=False)
    signing_algorithms: Tuple[SigningAlgorithm, ...] = field(default=(), repr=False)
    mac_algorithms: Tuple[MacAlgorithm, ...] = field(default=(), repr=False)
    key_agreement_algorithms: Tuple[KeyAgreementAlgorithm, ...] = field(default=(), repr=False)
    current_key_material_id: Optional[str] = field(default=None, repr=False)

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> KeyMetadata:
        return cls(
            key_id=d["KeyId"],
            arn=d["Arn"],
            key_state=KeyState(d["KeyState"]),
            key_spec=KeySpec(d["KeySpec"]),
            key_usage=KeyUsage(d["KeyUsage"]),
            description=d["Description"],
            creation_date=d["CreationDate"],
            enabled=d["Enabled"],
            aws_account_id=d["AWSAccountId"],
            origin=_origin(d["Origin"]),
            key_manager=KeyManager(d["KeyManager"]),
            customer_master_key_spec=KeySpec(d["CustomerMasterKeySpec"]),
            multi_region=d["MultiRegion"],
            deletion_date=d.get("DeletionDate"),
            valid_to=d.get("ValidTo"),
            expiration_model=ExpirationModel(d["ExpirationModel"]) if "ExpirationModel" in d else None,
            encryption_algorithms=_enums(EncryptionAlgorithm, d.get("EncryptionAlgorithms")),
            signing_algorithms=_enums(SigningAlgorithm, d.get("SigningAlgorithms")),
            mac_algorithms=_enums(MacAlgorithm, d.get("MacAlgorithms")),
            key_agreement_algorithms=_enums(KeyAgreementAlgorithm, d.get("KeyAgreementAlgorithms")),
            current_key_material_id=d.get("CurrentKeyMaterialId"),
        )


@dataclass(frozen=True)
class KeyListEntry:
    """One key of :meth:`Keystead.list_keys`."""

    key_id: str
    key_arn: str

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> KeyListEntry:
        return cls(key_id=d["KeyId"], key_arn=d["KeyArn"])


@dataclass(frozen=True)
class AliasListEntry:
    """One alias of :meth:`Keystead.list_aliases`."""

    alias_name: str
    target_key_id: str
    alias_arn: str = field(repr=False)
    creation_date: datetime = field(repr=False)
    last_updated_date: datetime = field(repr=False)

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> AliasListEntry:
        return cls(
            alias_name=d["AliasName"],
            target_key_id=d["TargetKeyId"],
            alias_arn=d["AliasArn"],
            creation_date=d["CreationDate"],
            last_updated_date=d["LastUpdatedDate"],
        )


@dataclass(frozen=True)
class Tag:
    """A key tag: ``key`` is 1–128 characters (not starting with ``aws:``), ``value`` 0–256."""

    key: str
    value: str

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> Tag:
        return cls(key=d["TagKey"], value=d["TagValue"])


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list operation. Iterate it for the items; pass ``next_marker`` as
    ``marker`` to get the next page (``None`` on the last page)."""

    items: Tuple[T, ...]
    next_marker: Optional[str] = None

    @property
    def truncated(self) -> bool:
        """True when more items remain."""
        return self.next_marker is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class EncryptResult:
    """What :meth:`Keystead.encrypt` returns: the self-describing ciphertext blob."""

    ciphertext_blob: bytes = field(repr=False)
    key_id: str
    encryption_algorithm: EncryptionAlgorithm

    def __repr__(self) -> str:
        return (
            f"EncryptResult(key_id={self.key_id!r}, encryption_algorithm={self.encryption_algorithm}, "
            f"ciphertext_blob=<{len(self.ciphertext_blob)} bytes>)"
        )

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> EncryptResult:
        # Fields written straight into the instance dict: the frozen dataclass __init__ sets
        # each through object.__setattr__, about twice the cost (it is on every Encrypt), and
        # the instance is the same either way (no __post_init__, no defaults to apply).
        self = _new(cls)
        fields = self.__dict__
        fields["ciphertext_blob"] = d["CiphertextBlob"]
        fields["key_id"] = d["KeyId"]
        fields["encryption_algorithm"] = _encryption_algorithm(d["EncryptionAlgorithm"])
        return self


@dataclass(frozen=True)
class DecryptResult:
    """What :meth:`Keystead.decrypt` returns. The ``repr`` hides the plaintext."""

    plaintext: bytes = field(repr=False)
    key_id: str
    encryption_algorithm: EncryptionAlgorithm
    #: ``None`` for asymmetric (RSA) keys, as AWS omits it.
    key_material_id: Optional[str]

    def __repr__(self) -> str:
        return f"DecryptResult(key_id={self.key_id!r}, plaintext={_redacted(self.plaintext)})"

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> DecryptResult:
        # As EncryptResult._from_aws.
        self = _new(cls)
        fields = self.__dict__
        fields["plaintext"] = d["Plaintext"]
        fields["key_id"] = d["KeyId"]
        fields["encryption_algorithm"] = _encryption_algorithm(d["EncryptionAlgorithm"])
        fields["key_material_id"] = d.get("KeyMaterialId")
        return self


@dataclass(frozen=True)
class ReEncryptResult:
    """What :meth:`Keystead.re_encrypt` returns."""

    ciphertext_blob: bytes = field(repr=False)
    key_id: str
    source_key_id: str
    source_encryption_algorithm: EncryptionAlgorithm = field(repr=False)
    destination_encryption_algorithm: EncryptionAlgorithm = field(repr=False)
    source_key_material_id: Optional[str] = field(repr=False)
    destination_key_material_id: Optional[str] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"ReEncryptResult(source_key_id={self.source_key_id!r}, key_id={self.key_id!r}, "
            f"ciphertext_blob=<{len(self.ciphertext_blob)} bytes>)"
        )


@dataclass(frozen=True)
class DataKey:
    """A new data key: ``plaintext`` to use locally (then discard), ``ciphertext_blob`` to
    store beside the data. The ``repr`` hides the plaintext."""

    plaintext: bytes = field(repr=False)
    ciphertext_blob: bytes = field(repr=False)
    key_id: str
    key_material_id: str

    def __repr__(self) -> str:
        return (
            f"DataKey(key_id={self.key_id!r}, plaintext={_redacted(self.plaintext)}, "
            f"ciphertext_blob=<{len(self.ciphertext_blob)} bytes>)"
        )


@dataclass(frozen=True)
class EncryptedDataKey:
    """A new data key, encrypted only (``GenerateDataKeyWithoutPlaintext``)."""

    ciphertext_blob: bytes = field(repr=False)
    key_id: str
    key_material_id: str

    def __repr__(self) -> str:
        return f"EncryptedDataKey(key_id={self.key_id!r}, ciphertext_blob=<{len(self.ciphertext_blob)} bytes>)"


@dataclass(frozen=True)
class RotationStatus:
    """What :meth:`Keystead.get_key_rotation_status` returns."""

    key_rotation_enabled: bool
    key_id: str
    rotation_period_in_days: Optional[int] = None
    next_rotation_date: Optional[datetime] = None
    on_demand_rotation_start_date: Optional[datetime] = field(default=None, repr=False)

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> RotationStatus:
        return cls(
            key_rotation_enabled=d["KeyRotationEnabled"],
            key_id=d["KeyId"],
            rotation_period_in_days=d.get("RotationPeriodInDays"),
            next_rotation_date=d.get("NextRotationDate"),
            on_demand_rotation_start_date=d.get("OnDemandRotationStartDate"),
        )


@dataclass(frozen=True)
class KeyRotation:
    """One key material of :meth:`Keystead.list_key_rotations`."""

    key_id: str
    key_material_id: str
    key_material_state: KeyMaterialState
    rotation_date: Optional[datetime] = None
    rotation_type: Optional[RotationType] = None
    key_material_description: Optional[str] = None
    """The caller's description (symmetric ``EXTERNAL`` keys only)."""
    import_state: Optional[KeyMaterialImportState] = None
    """``IMPORTED`` or ``PENDING_IMPORT`` (symmetric ``EXTERNAL`` keys only)."""
    expiration_model: Optional[ExpirationModel] = None
    valid_to: Optional[datetime] = None

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> KeyRotation:
        return cls(
            key_id=d["KeyId"],
            key_material_id=d["KeyMaterialId"],
            key_material_state=KeyMaterialState(d["KeyMaterialState"]),
            rotation_date=d.get("RotationDate"),
            rotation_type=RotationType(d["RotationType"]) if "RotationType" in d else None,
            key_material_description=d.get("KeyMaterialDescription"),
            import_state=KeyMaterialImportState(d["ImportState"]) if "ImportState" in d else None,
            expiration_model=ExpirationModel(d["ExpirationModel"]) if "ExpirationModel" in d else None,
            valid_to=d.get("ValidTo"),
        )


@dataclass(frozen=True)
class DeletionSchedule:
    """What :meth:`Keystead.schedule_key_deletion` returns."""

    key_id: str
    deletion_date: datetime
    key_state: KeyState
    pending_window_in_days: int

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> DeletionSchedule:
        return cls(
            key_id=d["KeyId"],
            deletion_date=d["DeletionDate"],
            key_state=KeyState(d["KeyState"]),
            pending_window_in_days=d["PendingWindowInDays"],
        )


@dataclass(frozen=True)
class SignResult:
    """What :meth:`Keystead.sign` returns: the signature (DER ``ECDSA-Sig-Value`` for ECDSA,
    raw for RSA, Ed25519 and ML-DSA)."""

    signature: bytes = field(repr=False)
    key_id: str
    signing_algorithm: SigningAlgorithm

    def __repr__(self) -> str:
        return (
            f"SignResult(key_id={self.key_id!r}, signing_algorithm={self.signing_algorithm}, "
            f"signature=<{len(self.signature)} bytes>)"
        )

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> SignResult:
        # As EncryptResult._from_aws.
        self = _new(cls)
        fields = self.__dict__
        fields["signature"] = d["Signature"]
        fields["key_id"] = d["KeyId"]
        fields["signing_algorithm"] = _signing_algorithm(d["SigningAlgorithm"])
        return self


@dataclass(frozen=True)
class VerifyResult:
    """What :meth:`Keystead.verify` returns for a valid signature (an invalid one raises
    ``KMSInvalidSignatureException``)."""

    key_id: str
    signature_valid: bool
    signing_algorithm: SigningAlgorithm

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> VerifyResult:
        return cls(d["KeyId"], d["SignatureValid"], _signing_algorithm(d["SigningAlgorithm"]))


@dataclass(frozen=True)
class PublicKey:
    """What :meth:`Keystead.get_public_key` returns: the DER SubjectPublicKeyInfo, with the
    key's spec, usage and algorithms."""

    public_key: bytes = field(repr=False)
    key_id: str
    key_spec: KeySpec
    key_usage: KeyUsage
    customer_master_key_spec: KeySpec = field(repr=False)
    encryption_algorithms: Tuple[EncryptionAlgorithm, ...] = field(default=(), repr=False)
    signing_algorithms: Tuple[SigningAlgorithm, ...] = field(default=(), repr=False)
    key_agreement_algorithms: Tuple[KeyAgreementAlgorithm, ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return (
            f"PublicKey(key_id={self.key_id!r}, key_spec={self.key_spec}, key_usage={self.key_usage}, "
            f"public_key=<{len(self.public_key)} bytes>)"
        )

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> PublicKey:
        return cls(
            public_key=d["PublicKey"],
            key_id=d["KeyId"],
            key_spec=KeySpec(d["KeySpec"]),
            key_usage=KeyUsage(d["KeyUsage"]),
            customer_master_key_spec=KeySpec(d["CustomerMasterKeySpec"]),
            encryption_algorithms=_enums(EncryptionAlgorithm, d.get("EncryptionAlgorithms")),
            signing_algorithms=_enums(SigningAlgorithm, d.get("SigningAlgorithms")),
            key_agreement_algorithms=_enums(KeyAgreementAlgorithm, d.get("KeyAgreementAlgorithms")),
        )


@dataclass(frozen=True)
class MacResult:
    """What :meth:`Keystead.generate_mac` returns. The ``repr`` hides the MAC."""

    mac: bytes = field(repr=False)
    key_id: str
    mac_algorithm: MacAlgorithm

    def __repr__(self) -> str:
        return f"MacResult(key_id={self.key_id!r}, mac_algorithm={self.mac_algorithm}, mac=<{len(self.mac)} bytes>)"

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> MacResult:
        return cls(d["Mac"], d["KeyId"], _mac_algorithm(d["MacAlgorithm"]))


@dataclass(frozen=True)
class VerifyMacResult:
    """What :meth:`Keystead.verify_mac` returns for a valid MAC (a wrong one raises
    ``KMSInvalidMacException``)."""

    key_id: str
    mac_valid: bool
    mac_algorithm: MacAlgorithm

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> VerifyMacResult:
        return cls(d["KeyId"], d["MacValid"], _mac_algorithm(d["MacAlgorithm"]))


@dataclass(frozen=True)
class SharedSecret:
    """What :meth:`Keystead.derive_shared_secret` returns: the raw ECDH secret (no KDF; derive
    keys from it with HKDF). The ``repr`` hides it."""

    shared_secret: bytes = field(repr=False)
    key_id: str
    key_agreement_algorithm: KeyAgreementAlgorithm
    key_origin: Origin = field(repr=False)

    def __repr__(self) -> str:
        return f"SharedSecret(key_id={self.key_id!r}, shared_secret={_redacted(self.shared_secret)})"

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> SharedSecret:
        return cls(
            d["SharedSecret"], d["KeyId"], _key_agreement_algorithm(d["KeyAgreementAlgorithm"]), _origin(d["KeyOrigin"])
        )


@dataclass(frozen=True)
class DataKeyPair:
    """A new key pair: ``private_key_plaintext`` (DER PKCS#8) to use locally, the same private
    key encrypted under the KMS key, and ``public_key`` (DER SubjectPublicKeyInfo). The
    ``repr`` hides the private key."""

    private_key_plaintext: bytes = field(repr=False)
    private_key_ciphertext_blob: bytes = field(repr=False)
    public_key: bytes = field(repr=False)
    key_id: str
    key_pair_spec: DataKeyPairSpec
    key_material_id: str = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"DataKeyPair(key_id={self.key_id!r}, key_pair_spec={self.key_pair_spec}, "
            f"private_key_plaintext={_redacted(self.private_key_plaintext)}, "
            f"private_key_ciphertext_blob=<{len(self.private_key_ciphertext_blob)} bytes>)"
        )

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> DataKeyPair:
        return cls(
            d["PrivateKeyPlaintext"],
            d["PrivateKeyCiphertextBlob"],
            d["PublicKey"],
            d["KeyId"],
            DataKeyPairSpec(d["KeyPairSpec"]),
            d["KeyMaterialId"],
        )


@dataclass(frozen=True)
class EncryptedDataKeyPair:
    """A new key pair with its private key only encrypted (``GenerateDataKeyPairWithoutPlaintext``)."""

    private_key_ciphertext_blob: bytes = field(repr=False)
    public_key: bytes = field(repr=False)
    key_id: str
    key_pair_spec: DataKeyPairSpec
    key_material_id: str = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"EncryptedDataKeyPair(key_id={self.key_id!r}, key_pair_spec={self.key_pair_spec}, "
            f"private_key_ciphertext_blob=<{len(self.private_key_ciphertext_blob)} bytes>)"
        )

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> EncryptedDataKeyPair:
        return cls(
            d["PrivateKeyCiphertextBlob"], d["PublicKey"], d["KeyId"], DataKeyPairSpec(d["KeyPairSpec"]), d["KeyMaterialId"]
        )


@dataclass(frozen=True)
class ImportParameters:
    """What :meth:`Keystead.get_parameters_for_import` returns: the RSA wrapping public key
    (DER SubjectPublicKeyInfo) and the import token, both valid until ``parameters_valid_to``."""

    import_token: bytes = field(repr=False)
    public_key: bytes = field(repr=False)
    key_id: str
    parameters_valid_to: datetime

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> ImportParameters:
        return cls(d["ImportToken"], d["PublicKey"], d["KeyId"], d["ParametersValidTo"])


@dataclass(frozen=True)
class ImportedKeyMaterial:
    """What :meth:`Keystead.import_key_material` and :meth:`Keystead.delete_imported_key_material` return."""

    key_id: str
    key_material_id: str

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> ImportedKeyMaterial:
        return cls(d["KeyId"], d["KeyMaterialId"])


@dataclass(frozen=True)
class AccessKey:
    """An access key as listed (never with its secret)."""

    access_key_id: str
    principal: str
    create_date: datetime

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> AccessKey:
        return cls(d["AccessKeyId"], d["Principal"], d["CreateDate"])


@dataclass(frozen=True)
class NewAccessKey:
    """A new access key with its secret, shown only once. The ``repr`` hides the secret."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    principal: str

    def __repr__(self) -> str:
        return (
            f"NewAccessKey(access_key_id={self.access_key_id!r}, principal={self.principal!r}, "
            f"secret_access_key=<redacted, {len(self.secret_access_key)} characters>)"
        )

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> NewAccessKey:
        return cls(d["AccessKeyId"], d["SecretAccessKey"], d["Principal"])
