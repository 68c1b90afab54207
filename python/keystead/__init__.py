"""Keystead: AWS KMS as an embeddable library.

Two APIs over the same store:

* :class:`Keystead`, a typed, idiomatic handle (``store.encrypt(key_id, b"...")``), and
* :func:`client`, a boto3-shaped KMS client (``kms.encrypt(KeyId=..., Plaintext=...)``).

Errors are :mod:`keystead.exceptions` classes named after the AWS KMS exceptions, all
subclasses of :class:`ClientError`.
"""

from . import enums, exceptions
from ._keystead import __version__
from .client import KMSClient, Paginator, client
from .enums import (
    DataKeyPairSpec,
    DataKeySpec,
    EncryptionAlgorithm,
    ExpirationModel,
    IncludeKeyMaterial,
    KeyAgreementAlgorithm,
    KeyManager,
    KeyMaterialState,
    KeySpec,
    KeyState,
    KeyUsage,
    MacAlgorithm,
    MessageType,
    Origin,
    RotationType,
    SigningAlgorithm,
)
from .exceptions import ClientError, KeysteadError, ParamValidationError
from .store import Keystead
from .types import (
    AliasListEntry,
    DataKey,
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

__all__ = [
    "__version__",
    "Keystead",
    "RootKey",
    "client",
    "KMSClient",
    "Paginator",
    "ClientError",
    "KeysteadError",
    "ParamValidationError",
    "exceptions",
    "enums",
    "AliasListEntry",
    "DataKey",
    "DecryptResult",
    "DeletionSchedule",
    "EncryptedDataKey",
    "EncryptResult",
    "KeyListEntry",
    "KeyMetadata",
    "KeyRotation",
    "Page",
    "ReEncryptResult",
    "RotationStatus",
    "Tag",
    "DataKeyPairSpec",
    "DataKeySpec",
    "EncryptionAlgorithm",
    "ExpirationModel",
    "IncludeKeyMaterial",
    "KeyAgreementAlgorithm",
    "KeyManager",
    "KeyMaterialState",
    "KeySpec",
    "KeyState",
    "KeyUsage",
    "MacAlgorithm",
    "MessageType",
    "Origin",
    "RotationType",
    "SigningAlgorithm",
]
