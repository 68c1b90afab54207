"""The typed, idiomatic API: :class:`Keystead`, a handle on a key store."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from . import _keystead
from ._args import instance, string_map
from .access import (
    AuditOptions,
    AuditReport,
    CreateGrantResult,
    Explanation,
    Grant,
    GrantConstraints,
    KeyLastUsage,
    MetricsSnapshot,
    PolicyArg,
    _policy_text,
)
from .enums import (
    DataKeyPairSpec,
    DataKeySpec,
    EncryptionAlgorithm,
    ExpirationModel,
    GrantOperation,
    ImportType,
    IncludeKeyMaterial,
    KeyAgreementAlgorithm,
    KeySpec,
    KeyUsage,
    MacAlgorithm,
    MessageType,
    Origin,
    SigningAlgorithm,
    WrappingAlgorithm,
    WrappingKeySpec,
)
from .types import (
    AccessKey,
    AliasListEntry,
    DataKey,
    DataKeyPair,
    EncryptedDataKeyPair,
    ImportedKeyMaterial,
    ImportParameters,
    MacResult,
    NewAccessKey,
    PublicKey,
    SharedSecret,
    SignResult,
    VerifyMacResult,
    VerifyResult,
    DecryptResult,
    DeletionSchedule,
    EncryptedDataKey,
    EncryptResult,
    KeyListEntry,
    KeyMetadata,
    KeyRotation,
    Page,
    ReEncryptResult,
    RootKey,
    RotationStatus,
    Tag,
)

# The hot calls: argument checks, the core call and the result dataclass in one native call
# (python/src/typed.rs), bound here once so that each method is a single call.
_encrypt = _keystead.typed_encrypt
_decrypt = _keystead.typed_decrypt
_re_encrypt = _keystead.typed_re_encrypt
_generate_data_key = _keystead.typed_generate_data_key
_generate_data_key_without_plaintext = _keystead.typed_generate_data_key_without_plaintext
_sign = _keystead.typed_sign
_verify = _keystead.typed_verify
_generate_mac = _keystead.typed_generate_mac
_verify_mac = _keystead.typed_verify_mac

if TYPE_CHECKING:
    from .client import KMSClient

__all__ = ["Keystead", "Buffer", "TagsArg"]

T = TypeVar("T")
#: Any bytes-like object (anything with the buffer protocol); never ``str``.
Buffer = Union[bytes, bytearray, memoryview]
#: Tags as a mapping, or as :class:`Tag` objects or ``(key, value)`` pairs.
TagsArg = Union[Mapping[str, str], Iterable[Union[Tag, Tuple[str, str]]]]
PathLike = Union[str, "os.PathLike[str]"]


def _tag_pairs(tags: Optional[TagsArg]) -> Optional[List[Tuple[str, str]]]:
    if tags is None:
        return None
    if isinstance(tags, Mapping):
        return [(k, v) for k, v in tags.items()]
    pairs = []
    for tag in tags:
        if isinstance(tag, Tag):
            pairs.append((tag.key, tag.value))
        else:
            key, value = tag
            pairs.append((key, value))
    return pairs


def _page(d: Mapping[str, Any], list_name: str, item: Callable[[Mapping[str, Any]], T]) -> Page[T]:
    return Page(items=tuple(item(x) for x in d[list_name]), next_marker=d.get("NextMarker"))


class Keystead:
    """A handle on a Keystead key store: AWS KMS operations on keys kept in a local folder.

    ``Keystead(path)`` opens the store in folder ``path``, creating it (and a root key file
    ``path/root.key``) if needed. Pass ``root_key=`` to take the root key from an environment
    variable, a passphrase or your own bytes (:class:`RootKey`); ``region`` and ``account_id``
    name the ARNs of a new store. Every call is written to an audit log in ``path/audit/``
    unless ``audit=False`` (``audit=AuditOptions(...)`` tunes it).

    The handle calls as the account principal; :meth:`as_principal` gives a handle that calls
    as another principal, which key policies and grants then govern.

    Key arguments (``key_id``) accept a key id, key ARN, alias name (``alias/...``) or alias
    ARN wherever AWS accepts them. Byte arguments accept any bytes-like object; ``str`` is
    refused. Enum arguments accept the :mod:`keystead.enums` members or AWS's strings.
    Failures raise :mod:`keystead.exceptions` classes named after the AWS KMS exceptions.

    The handle is immutable and safe to share between threads; the GIL is released while the
    store works. Several processes may open the same folder.
    """

    __slots__ = ("_native",)
    _native: _keystead.Store

    def __init__(
        self,
        path: PathLike,
        *,
        root_key: Optional[RootKey] = None,
        region: Optional[str] = None,
        account_id: Optional[str] = None,
        audit: Union[bool, AuditOptions] = True,
    ) -> None:
        given = RootKey.key_file() if root_key is None else instance(root_key, RootKey, "root_key")
        kind, value = given._native_args()
        durability, hmac_values = AuditOptions._native_args(audit)
        native = _keystead.Store.open(os.fspath(path), kind, value, region, account_id, durability, hmac_values)
        object.__setattr__(self, "_native", native)

    @classmethod
    def open(
        cls,
        path: PathLike,
        *,
        root_key: Optional[RootKey] = None,
        region: Optional[str] = None,
        account_id: Optional[str] = None,
        audit: Union[bool, AuditOptions] = True,
    ) -> Keystead:
        """Opens (or creates) the store in folder ``path``; same as ``Keystead(path, ...)``."""
        return cls(path, root_key=root_key, region=region, account_id=account_id, audit=audit)

    @classmethod
    def in_memory(
        cls,
        *,
        root_key: Optional[RootKey] = None,
        region: Optional[str] = None,
        account_id: Optional[str] = None,
    ) -> Keystead:
        """A store held only in memory, gone with its last handle (for tests). Without
        ``root_key`` a random root key is used."""
        self = cls.__new__(cls)
        if root_key is None:
            native = _keystead.Store.open_in_memory("bytes", None, region, account_id)
        else:
            kind, value = instance(root_key, RootKey, "root_key")._native_args()
            native = _keystead.Store.open_in_memory(kind, value, region, account_id)
        object.__setattr__(self, "_native", native)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Keystead handles are immutable")

    def __repr__(self) -> str:
        return f"Keystead({self.location!r}, region={self.region!r}, account_id={self.account_id!r})"

    def __reduce__(self) -> Any:
        raise TypeError("a Keystead handle cannot be pickled; open the store folder in each process")

    # -- identity ---------------------------------------------------------------------------

    @property
    def location(self) -> str:
        """The store folder (``":memory:"`` for an in-memory store)."""
        return self._native.location

    @property
    def region(self) -> str:
        """The Region named in this store's ARNs."""
        return self._native.region

    @property
    def account_id(self) -> str:
        """The account id named in this store's ARNs."""
        return self._native.account_id

    @property
    def partition(self) -> str:
        """The partition named in this store's ARNs (``aws``)."""
        return self._native.partition

    def client(self) -> KMSClient:
        """A boto3-shaped KMS client over this store (see :func:`keystead.client`)."""
        from .client import KMSClient

        return KMSClient(self)

    # -- keys -------------------------------------------------------------------------------

    def create_key(
        self,
        *,
        description: Optional[str] = None,
        key_usage: Union[KeyUsage, str, None] = None,
        key_spec: Union[KeySpec, str, None] = None,
        origin: Union[Origin, str, None] = None,
        tags: Optional[TagsArg] = None,
        multi_region: bool = False,
        policy: Optional[PolicyArg] = None,
        bypass_policy_lockout_safety_check: bool = False,
    ) -> KeyMetadata:
        """``CreateKey``: a new key (``SYMMETRIC_DEFAULT`` / ``ENCRYPT_DECRYPT`` by default),
        with AWS's default key policy unless ``policy`` (JSON text or a mapping) is given."""
        d = self._native.create_key(
            description,
            key_usage,
            key_spec,
            origin,
            _tag_pairs(tags),
            multi_region,
            _policy_text(policy) if policy is not None else None,
            bypass_policy_lockout_safety_check,
        )
        return KeyMetadata._from_aws(d)

    def describe_key(self, key_id: str) -> KeyMetadata:
        """``DescribeKey``: the metadata of a key in any state."""
        return KeyMetadata._from_aws(self._native.describe_key(key_id))

    def list_keys(self, *, limit: Optional[int] = None, marker: Optional[str] = None) -> Page[KeyListEntry]:
        """``ListKeys``: one page of keys (``limit`` 1–1000, default 100)."""
        return _page(self._native.list_keys(limit, marker), "Keys", KeyListEntry._from_aws)

    def iter_keys(self) -> Iterator[KeyListEntry]:
        """Every key, following the pages of :meth:`list_keys`."""
        return self._iterate(lambda marker: self.list_keys(limit=1000, marker=marker))

    def update_key_description(self, key_id: str, description: str) -> None:
        """``UpdateKeyDescription``."""
        self._native.update_key_description(key_id, description)

    def enable_key(self, key_id: str) -> None:
        """``EnableKey``."""
        self._native.enable_key(key_id)

    def disable_key(self, key_id: str) -> None:
        """``DisableKey``: the key refuses cryptographic operations until enabled again."""
        self._native.disable_key(key_id)

    def schedule_key_deletion(self, key_id: str, *, pending_window_in_days: Optional[int] = None) -> DeletionSchedule:
        """``ScheduleKeyDeletion``: destroy the key after 7–30 days (default 30)."""
        return DeletionSchedule._from_aws(self._native.schedule_key_deletion(key_id, pending_window_in_days))

    def cancel_key_deletion(self, key_id: str) -> str:
        """``CancelKeyDeletion``: the key comes back ``Disabled``; returns its ARN."""
        return self._native.cancel_key_deletion(key_id)

    # -- tags -------------------------------------------------------------------------------

    def tag_resource(self, key_id: str, tags: TagsArg) -> None:
        """``TagResource``: adds tags or replaces their values."""
        self._native.tag_resource(key_id, _tag_pairs(tags) or [])

    def untag_resource(self, key_id: str, tag_keys: Iterable[str]) -> None:
        """``UntagResource``: removes tags (missing ones are ignored)."""
        if isinstance(tag_keys, str):
            raise TypeError("tag_keys must be an iterable of str, not a single str")
        self._native.untag_resource(key_id, list(tag_keys))

    def list_resource_tags(
        self, key_id: str, *, limit: Optional[int] = None, marker: Optional[str] = None
    ) -> Page[Tag]:
        """``ListResourceTags``: one page of a key's tags (``limit`` 1–50)."""
        return _page(self._native.list_resource_tags(key_id, limit, marker), "Tags", Tag._from_aws)

    def tags(self, key_id: str) -> dict[str, str]:
        """All tags of a key as a dict."""
        return {t.key: t.value for t in self._iterate(lambda m: self.list_resource_tags(key_id, marker=m))}

    # -- aliases ----------------------------------------------------------------------------

    def create_alias(self, alias_name: str, target_key_id: str) -> None:
        """``CreateAlias``: ``alias/name`` pointing to a key."""
        self._native.create_alias(alias_name, target_key_id)

    def update_alias(self, alias_name: str, target_key_id: str) -> None:
        """``UpdateAlias``: points an alias to another key of the same type and usage."""
        self._native.update_alias(alias_name, target_key_id)

    def delete_alias(self, alias_name: str) -> None:
        """``DeleteAlias``."""
        self._native.delete_alias(alias_name)

    def list_aliases(
        self, *, key_id: Optional[str] = None, limit: Optional[int] = None, marker: Optional[str] = None
    ) -> Page[AliasListEntry]:
        """``ListAliases``: one page of aliases, all or of one key (``limit`` 1–100)."""
        return _page(self._native.list_aliases(key_id, limit, marker), "Aliases", AliasListEntry._from_aws)

    def iter_aliases(self, *, key_id: Optional[str] = None) -> Iterator[AliasListEntry]:
        """Every alias (of one key, if given), following the pages."""
        return self._iterate(lambda m: self.list_aliases(key_id=key_id, limit=100, marker=m))

    # -- rotation ---------------------------------------------------------------------------

    def enable_key_rotation(self, key_id: str, *, rotation_period_in_days: Optional[int] = None) -> None:
        """``EnableKeyRotation``: rotate every 90–2560 days (default 365)."""
        self._native.enable_key_rotation(key_id, rotation_period_in_days)

    def disable_key_rotation(self, key_id: str) -> None:
        """``DisableKeyRotation``."""
        self._native.disable_key_rotation(key_id)

    def get_key_rotation_status(self, key_id: str) -> RotationStatus:
        """``GetKeyRotationStatus``."""
        return RotationStatus._from_aws(self._native.get_key_rotation_status(key_id))

    def rotate_key_on_demand(self, key_id: str) -> str:
        """``RotateKeyOnDemand``: a new key material now (at most 25 times); returns the key ARN."""
        return self._native.rotate_key_on_demand(key_id)

    def list_key_rotations(
        self,
        key_id: str,
        *,
        include_key_material: Union[IncludeKeyMaterial, str, None] = None,
        limit: Optional[int] = None,
        marker: Optional[str] = None,
    ) -> Page[KeyRotation]:
        """``ListKeyRotations``: completed rotations, oldest first (with ``ALL_KEY_MATERIAL``
        the first material too)."""
        d = self._native.list_key_rotations(key_id, include_key_material, limit, marker)
        return _page(d, "Rotations", KeyRotation._from_aws)

    # -- cryptography -----------------------------------------------------------------------

    def encrypt(
        self,
        key_id: str,
        plaintext: Buffer,
        *,
        encryption_context: Optional[Mapping[str, str]] = None,
        encryption_algorithm: Union[EncryptionAlgorithm, str, None] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> EncryptResult:
        """``Encrypt``: 1–4096 bytes under a symmetric key, bound to ``encryption_context``; or,
        with an RSA ``ENCRYPT_DECRYPT`` key, RSA-OAEP with ``encryption_algorithm``
        ``RSAES_OAEP_SHA_1``/``RSAES_OAEP_SHA_256`` (required; no context; 190–470 bytes max)."""
        return _encrypt(self._native, key_id, plaintext, encryption_context, encryption_algorithm, grant_tokens, dry_run)

    def decrypt(
        self,
        ciphertext_blob: Buffer,
        *,
        encryption_context: Optional[Mapping[str, str]] = None,
        key_id: Optional[str] = None,
        encryption_algorithm: Union[EncryptionAlgorithm, str, None] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> DecryptResult:
        """``Decrypt``: the blob names its key; give the same ``encryption_context`` as at
        encryption. With ``key_id``, the blob must have been encrypted under that key. RSA
        ciphertexts carry no metadata: give ``key_id`` and ``encryption_algorithm``."""
        return _decrypt(self._native, ciphertext_blob, encryption_context, key_id, encryption_algorithm, grant_tokens, dry_run)

    def re_encrypt(
        self,
        ciphertext_blob: Buffer,
        destination_key_id: str,
        *,
        source_encryption_context: Optional[Mapping[str, str]] = None,
        source_key_id: Optional[str] = None,
        destination_encryption_context: Optional[Mapping[str, str]] = None,
        source_encryption_algorithm: Union[EncryptionAlgorithm, str, None] = None,
        destination_encryption_algorithm: Union[EncryptionAlgorithm, str, None] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> ReEncryptResult:
        """``ReEncrypt``: decrypt and encrypt again (another key, context or the newest
        material) without the plaintext leaving the store."""
        return _re_encrypt(
            self._native,
            ciphertext_blob,
            destination_key_id,
            source_encryption_context,
            source_key_id,
            destination_encryption_context,
            source_encryption_algorithm,
            destination_encryption_algorithm,
            grant_tokens,
            dry_run,
        )

    def generate_data_key(
        self,
        key_id: str,
        *,
        key_spec: Union[DataKeySpec, str, None] = None,
        number_of_bytes: Optional[int] = None,
        encryption_context: Optional[Mapping[str, str]] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> DataKey:
        """``GenerateDataKey``: a new data key in plaintext and encrypted under ``key_id``.
        Give ``key_spec`` (``AES_256`` by default when neither is given) or ``number_of_bytes``."""
        return _generate_data_key(self._native, key_id, encryption_context, key_spec, number_of_bytes, grant_tokens, dry_run)

    def generate_data_key_without_plaintext(
        self,
        key_id: str,
        *,
        key_spec: Union[DataKeySpec, str, None] = None,
        number_of_bytes: Optional[int] = None,
        encryption_context: Optional[Mapping[str, str]] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> EncryptedDataKey:
        """``GenerateDataKeyWithoutPlaintext``: only the encrypted copy of a new data key."""
        return _generate_data_key_without_plaintext(
            self._native, key_id, encryption_context, key_spec, number_of_bytes, grant_tokens, dry_run
        )

    def generate_random(self, number_of_bytes: int) -> bytes:
        """``GenerateRandom``: 1–1024 random bytes."""
        return self._native.generate_random(number_of_bytes)

    # -- asymmetric keys and HMAC -----------------------------------------------------------

    def sign(
        self,
        key_id: str,
        message: Buffer,
        *,
        signing_algorithm: Union[SigningAlgorithm, str],
        message_type: Union[MessageType, str, None] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> SignResult:
        """``Sign``: a signature with a ``SIGN_VERIFY`` key. ``message`` is the message (``RAW``,
        1–4096 bytes, the default) or its digest (``message_type="DIGEST"``)."""
        return _sign(self._native, key_id, message, signing_algorithm, message_type, grant_tokens, dry_run)

    def verify(
        self,
        key_id: str,
        message: Buffer,
        signature: Buffer,
        *,
        signing_algorithm: Union[SigningAlgorithm, str],
        message_type: Union[MessageType, str, None] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> VerifyResult:
        """``Verify``: checks a signature; an invalid one raises ``KMSInvalidSignatureException``."""
        return _verify(self._native, key_id, message, signature, signing_algorithm, message_type, grant_tokens, dry_run)

    def get_public_key(self, key_id: str, *, grant_tokens: Optional[Sequence[str]] = None) -> PublicKey:
        """``GetPublicKey``: the public key of an asymmetric key (DER SubjectPublicKeyInfo)."""
        return PublicKey._from_aws(self._native.get_public_key(key_id, _tokens(grant_tokens)))

    def generate_mac(
        self,
        key_id: str,
        message: Buffer,
        *,
        mac_algorithm: Union[MacAlgorithm, str],
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> MacResult:
        """``GenerateMac``: an HMAC of 1–4096 bytes with a ``GENERATE_VERIFY_MAC`` key."""
        return _generate_mac(self._native, key_id, message, mac_algorithm, grant_tokens, dry_run)

    def verify_mac(
        self,
        key_id: str,
        message: Buffer,
        mac: Buffer,
        *,
        mac_algorithm: Union[MacAlgorithm, str],
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> VerifyMacResult:
        """``VerifyMac``: checks an HMAC in constant time; a wrong one raises ``KMSInvalidMacException``."""
        return _verify_mac(self._native, key_id, message, mac, mac_algorithm, grant_tokens, dry_run)

    def derive_shared_secret(
        self,
        key_id: str,
        public_key: Buffer,
        *,
        key_agreement_algorithm: Union[KeyAgreementAlgorithm, str] = KeyAgreementAlgorithm.ECDH,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> SharedSecret:
        """``DeriveSharedSecret``: raw ECDH between a ``KEY_AGREEMENT`` key and a peer's public
        key (DER SubjectPublicKeyInfo on the same curve)."""
        d = self._native.derive_shared_secret(key_id, public_key, key_agreement_algorithm, _tokens(grant_tokens), dry_run)
        return SharedSecret._from_aws(d)

    def generate_data_key_pair(
        self,
        key_id: str,
        key_pair_spec: Union[DataKeyPairSpec, str],
        *,
        encryption_context: Optional[Mapping[str, str]] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> DataKeyPair:
        """``GenerateDataKeyPair``: a new key pair, its private key in plaintext (DER PKCS#8) and
        encrypted under the symmetric key ``key_id``."""
        d = self._native.generate_data_key_pair(key_id, key_pair_spec, string_map(encryption_context, "GenerateDataKeyPair", "encryption_context"), _tokens(grant_tokens), dry_run)
        return DataKeyPair._from_aws(d)

    def generate_data_key_pair_without_plaintext(
        self,
        key_id: str,
        key_pair_spec: Union[DataKeyPairSpec, str],
        *,
        encryption_context: Optional[Mapping[str, str]] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        dry_run: bool = False,
    ) -> EncryptedDataKeyPair:
        """``GenerateDataKeyPairWithoutPlaintext``: a new key pair, the private key only encrypted."""
        d = self._native.generate_data_key_pair_without_plaintext(key_id, key_pair_spec, string_map(encryption_context, "GenerateDataKeyPairWithoutPlaintext", "encryption_context"), _tokens(grant_tokens), dry_run)
        return EncryptedDataKeyPair._from_aws(d)

    # -- key material import (BYOK) ---------------------------------------------------------

    def get_parameters_for_import(
        self,
        key_id: str,
        *,
        wrapping_algorithm: Union[WrappingAlgorithm, str],
        wrapping_key_spec: Union[WrappingKeySpec, str],
    ) -> ImportParameters:
        """``GetParametersForImport``: an RSA wrapping public key and an import token for an
        ``EXTERNAL`` key, valid for 24 hours."""
        d = self._native.get_parameters_for_import(key_id, wrapping_algorithm, wrapping_key_spec)
        return ImportParameters._from_aws(d)

    def import_key_material(
        self,
        key_id: str,
        import_token: Buffer,
        encrypted_key_material: Buffer,
        *,
        expiration_model: Union[ExpirationModel, str, None] = None,
        valid_to: Optional[datetime] = None,
        import_type: Union[ImportType, str, None] = None,
        key_material_description: Optional[str] = None,
        key_material_id: Optional[str] = None,
    ) -> ImportedKeyMaterial:
        """``ImportKeyMaterial``: wrapped key material for an ``EXTERNAL`` key. With
        ``valid_to`` (a datetime; naive means UTC) the material expires then. Symmetric keys
        only: ``import_type`` ``NEW_KEY_MATERIAL`` adds a material that waits in
        ``PENDING_ROTATION`` for :meth:`rotate_key_on_demand`; ``EXISTING_KEY_MATERIAL``
        (the default after the first import) brings back one the key has, which
        ``key_material_id`` may name."""
        if valid_to is not None and not isinstance(valid_to, datetime):
            raise TypeError(f"valid_to must be a datetime, not {type(valid_to).__name__}")
        d = self._native.import_key_material(
            key_id,
            import_token,
            encrypted_key_material,
            expiration_model,
            _epoch_millis(valid_to),
            import_type,
            key_material_description,
            key_material_id,
        )
        return ImportedKeyMaterial._from_aws(d)

    def delete_imported_key_material(self, key_id: str, *, key_material_id: Optional[str] = None) -> ImportedKeyMaterial:
        """``DeleteImportedKeyMaterial`` of ``key_material_id`` (default: the current material):
        the key goes to ``PendingImport`` until that material is imported again (material still
        waiting for rotation is simply forgotten)."""
        return ImportedKeyMaterial._from_aws(self._native.delete_imported_key_material(key_id, key_material_id))

    # -- principals, key policies and grants ------------------------------------------------

    @property
    def principal(self) -> str:
        """The ARN of the principal this handle calls as (the account principal,
        ``arn:aws:iam::<account>:root``, unless narrowed with :meth:`as_principal`)."""
        return self._native.principal

    def as_principal(self, principal_arn: str, *, access_key_id: Optional[str] = None) -> Keystead:
        """A handle on the same store that calls as ``principal_arn`` (an IAM user, role,
        assumed-role session or account principal ARN). Cheap: the store is shared. Key policies
        and grants decide what it may do (``AccessDeniedException`` otherwise); the audit log
        names it, with ``access_key_id`` when given. A bad ARN is ``InvalidArnException``."""
        narrowed = type(self).__new__(type(self))
        object.__setattr__(narrowed, "_native", self._native.as_principal(principal_arn, access_key_id))
        return narrowed

    def put_key_policy(
        self,
        key_id: str,
        policy: PolicyArg,
        *,
        policy_name: Optional[str] = None,
        bypass_policy_lockout_safety_check: bool = False,
    ) -> None:
        """``PutKeyPolicy``: replaces the key policy (JSON text or a mapping), effective on the
        next call. A policy that would stop the caller from changing it again is
        ``MalformedPolicyDocumentException`` unless ``bypass_policy_lockout_safety_check``."""
        self._native.put_key_policy(key_id, _policy_text(policy), policy_name, bypass_policy_lockout_safety_check)

    def get_key_policy(self, key_id: str, *, policy_name: Optional[str] = None) -> str:
        """``GetKeyPolicy``: the key policy as JSON text (AWS's default policy unless one was set)."""
        return self._native.get_key_policy(key_id, policy_name)

    def list_key_policies(self, key_id: str) -> List[str]:
        """``ListKeyPolicies``: the policy names of a key (always ``["default"]``)."""
        return self._native.list_key_policies(key_id)

    def create_grant(
        self,
        key_id: str,
        grantee_principal: str,
        operations: Iterable[Union[GrantOperation, str]],
        *,
        retiring_principal: Optional[str] = None,
        constraints: Optional[GrantConstraints] = None,
        grant_tokens: Optional[Sequence[str]] = None,
        name: Optional[str] = None,
        dry_run: bool = False,
    ) -> CreateGrantResult:
        """``CreateGrant``: lets ``grantee_principal`` perform ``operations`` with the key
        (optionally only with an encryption context matching ``constraints``), from the very
        next call. A retry with the same ``name`` and properties returns the same grant."""
        if isinstance(operations, str):
            raise TypeError("operations must be an iterable of GrantOperation or str, not a single str")
        subset, equals = (
            instance(constraints, GrantConstraints, "constraints")._native_args() if constraints is not None else (None, None)
        )
        subset = string_map(subset, "CreateGrant", "constraints.encryption_context_subset")
        equals = string_map(equals, "CreateGrant", "constraints.encryption_context_equals")
        d = self._native.create_grant(
            key_id,
            grantee_principal,
            [str(op) for op in operations],
            retiring_principal,
            subset,
            equals,
            _tokens(grant_tokens),
            name,
            dry_run,
        )
        return CreateGrantResult(grant_id=d["GrantId"], grant_token=d["GrantToken"])

    def list_grants(
        self,
        key_id: str,
        *,
        grant_id: Optional[str] = None,
        grantee_principal: Optional[str] = None,
        limit: Optional[int] = None,
        marker: Optional[str] = None,
    ) -> Page[Grant]:
        """``ListGrants``: one page of a key's grants (``limit`` 1–100, default 50), optionally
        only one grant or one grantee's."""
        d = self._native.list_grants(key_id, grant_id, grantee_principal, limit, marker)
        return _page(d, "Grants", Grant._from_aws)

    def list_retirable_grants(
        self, retiring_principal: str, *, limit: Optional[int] = None, marker: Optional[str] = None
    ) -> Page[Grant]:
        """``ListRetirableGrants``: one page of the grants (of any key) that
        ``retiring_principal`` may retire."""
        d = self._native.list_retirable_grants(retiring_principal, limit, marker)
        return _page(d, "Grants", Grant._from_aws)

    def retire_grant(
        self,
        *,
        grant_token: Optional[str] = None,
        key_id: Optional[str] = None,
        grant_id: Optional[str] = None,
        dry_run: bool = False,
    ) -> None:
        """``RetireGrant``: removes a grant named by ``grant_token``, or by ``key_id`` and
        ``grant_id``; allowed to its retiring principal, its grantee (when granted RetireGrant)
        and the account that created it."""
        self._native.retire_grant(grant_token, key_id, grant_id, dry_run)

    def revoke_grant(self, key_id: str, grant_id: str, *, dry_run: bool = False) -> None:
        """``RevokeGrant``: removes a grant (needs ``kms:RevokeGrant`` on the key)."""
        self._native.revoke_grant(key_id, grant_id, dry_run)

    def explain(
        self,
        key_id: str,
        action: str,
        *,
        encryption_context: Optional[Mapping[str, str]] = None,
        conditions: Optional[Mapping[str, str]] = None,
    ) -> Explanation:
        """Whether this handle's principal may perform ``action`` (e.g. ``"kms:Decrypt"``) on
        the key with this encryption context and extra condition keys, and which key-policy
        statements or grants decide it (Keystead only: for debugging policies)."""
        given = string_map(conditions, "Explain", "conditions")
        extra = list(given.items()) if given is not None else None
        return Explanation._from_aws(self._native.explain(key_id, action, string_map(encryption_context, "Explain", "encryption_context"), extra))

    # -- metrics and audit (Keystead only) --------------------------------------------------

    def metrics(self) -> MetricsSnapshot:
        """A snapshot of this store's metrics: calls by operation, key and outcome, latency
        histograms and each key's last use (shared by every handle narrowed from this one)."""
        return MetricsSnapshot._from_aws(self._native.metrics())

    def metrics_prometheus(self) -> str:
        """The metrics in the Prometheus text exposition format 0.0.4 (serve it as
        ``text/plain; version=0.0.4``)."""
        return self._native.metrics_prometheus()

    def key_last_usage(self, key_id: str) -> Optional[KeyLastUsage]:
        """The last successful use of a key (by key id) through this store handle, or None."""
        d = self._native.key_last_usage(key_id)
        return KeyLastUsage._from_aws(d) if d is not None else None

    @property
    def audit_dir(self) -> Optional[str]:
        """The folder of the audit log (``<store>/audit``), or None when the store is not
        audited (in memory, or opened with ``audit=False``)."""
        return self._native.audit_dir

    def audit_events(self) -> List[Dict[str, Any]]:
        """Every event of the audit log (CloudTrail-shaped dicts: ``eventName``,
        ``userIdentity``, ``requestParameters``, ``errorCode``...), oldest first; read without
        verifying (see :meth:`verify_audit_log`). ``ValidationException`` if not audited. Holds
        the whole log in memory: :meth:`iter_audit_events` streams it."""
        return list(self._native.iter_audit_events())

    def iter_audit_events(self) -> Iterator[Dict[str, Any]]:
        """The events of :meth:`audit_events`, one at a time: the segment files are read as the
        iteration goes, so memory stays bounded whatever the size of the log. Raises
        ``ValidationException`` at once if the store is not audited; a read error during the
        iteration raises ``KMSInternalException`` and ends it. Events written after the call
        may or may not be seen."""
        return self._native.iter_audit_events()

    def verify_audit_log(self) -> AuditReport:
        """Checks the audit log's hash chains, signatures and segments against the store's
        audit public key."""
        return AuditReport._from_aws(self._native.verify_audit_log())

    # -- access keys (Keystead only) --------------------------------------------------------

    def create_access_key(self, principal: str) -> NewAccessKey:
        """A new access key (id and secret) for ``principal`` (an ARN), for clients of a
        Keystead server. The secret is returned only here."""
        return NewAccessKey._from_aws(self._native.create_access_key(principal))

    def add_access_key(
        self, access_key_id: str, secret_access_key: Union[str, bytes, bytearray, memoryview], principal: str
    ) -> AccessKey:
        """Adds an existing access key id and secret for ``principal``."""
        return AccessKey._from_aws(self._native.add_access_key(access_key_id, secret_access_key, principal))

    def list_access_keys(self) -> List[AccessKey]:
        """Every access key, without secrets."""
        return [AccessKey._from_aws(d) for d in self._native.list_access_keys()]

    def delete_access_key(self, access_key_id: str) -> None:
        """Deletes an access key (``NotFoundException`` if missing)."""
        self._native.delete_access_key(access_key_id)

    # -- store administration ---------------------------------------------------------------

    def rotate_root_key(self, new_root_key: RootKey) -> None:
        """Re-seals every key material under ``new_root_key`` in one transaction. Other
        processes that have the store open must reopen it."""
        if not isinstance(new_root_key, RootKey):
            raise TypeError("new_root_key must be a keystead.RootKey")
        kind, value = new_root_key._native_args()
        self._native.rotate_root_key(kind, value)

    def sweep(self) -> None:
        """Destroys keys whose deletion window ended and performs due rotations now (this also
        happens on its own during normal use)."""
        self._native.sweep()

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _iterate(fetch: Callable[[Optional[str]], Page[T]]) -> Iterator[T]:
        marker: Optional[str] = None
        while True:
            page = fetch(marker)
            yield from page.items
            if page.next_marker is None:
                return
            marker = page.next_marker


def _tokens(grant_tokens: Optional[Sequence[str]]) -> Optional[List[str]]:
    """Grant tokens as the native module takes them (a list), refusing a lone ``str``."""
    if grant_tokens is None:
        return None
    if isinstance(grant_tokens, str):
        raise TypeError("grant_tokens must be a sequence of str, not a single str")
    return list(grant_tokens)


def _epoch_millis(value: Optional[datetime]) -> Optional[int]:
    """Milliseconds since the epoch of a datetime (naive means UTC, as botocore assumes)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1000)
