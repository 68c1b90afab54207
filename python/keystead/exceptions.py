"""Keystead's exceptions, named after the AWS KMS exceptions and shaped like botocore's.

Every error a store operation raises is a :class:`ClientError` subclass named after the AWS KMS
exception (``NotFoundException``, ``DisabledException``, ...). As in botocore, the details are in
``err.response["Error"]["Code"]`` and ``err.response["Error"]["Message"]``, and
``err.operation_name`` names the AWS operation. The mapping from the core's error kinds is made
in one place, in Rust (``python/src/error.rs``).

Argument errors (``ValidationException``, ``InvalidAliasNameException``, ``InvalidArnException``,
``InvalidMarkerException``, ``TagException``, ...) also subclass :class:`ValueError`, and
``NotFoundException`` also subclasses :class:`LookupError`, so plain Python handlers work too.
Messages never contain plaintext, key material or ciphertext.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, Mapping, Optional, Type

__all__ = [
    "ClientError",
    "KeysteadError",
    "ParamValidationError",
    "AccessDeniedException",
    "AlreadyExistsException",
    "ConflictException",
    "CorruptStoreException",
    "DependencyTimeoutException",
    "DisabledException",
    "DryRunOperationException",
    "ExpiredImportTokenException",
    "IncorrectKeyException",
    "IncorrectKeyMaterialException",
    "IncorrectRootKeyException",
    "InvalidAliasNameException",
    "InvalidArnException",
    "InvalidCiphertextException",
    "InvalidGrantIdException",
    "InvalidGrantTokenException",
    "InvalidImportTokenException",
    "InvalidKeyUsageException",
    "InvalidMarkerException",
    "KMSInternalException",
    "KMSInvalidMacException",
    "KMSInvalidSignatureException",
    "KMSInvalidStateException",
    "KeyUnavailableException",
    "LimitExceededException",
    "MalformedPolicyDocumentException",
    "NotFoundException",
    "TagException",
    "UnsupportedOperationException",
    "ValidationException",
    "EXCEPTIONS",
]


class ClientError(Exception):
    """An error answered by the store, shaped like ``botocore.exceptions.ClientError``.

    ``response`` is ``{"Error": {"Code": ..., "Message": ...}, "ResponseMetadata": {...}}`` and
    ``operation_name`` the AWS operation (``"Encrypt"``, ``"CreateKey"``, ...).
    """

    MSG_TEMPLATE = "An error occurred ({error_code}) when calling the {operation_name} operation: {error_message}"

    response: Dict[str, Any]
    operation_name: str

    def __init__(self, error_response: Mapping[str, Any], operation_name: str) -> None:
        response: Dict[str, Any] = dict(error_response)
        error = dict(response.get("Error") or {})
        error.setdefault("Code", type(self).__name__)
        error.setdefault("Message", "")
        response["Error"] = error
        metadata = dict(response.get("ResponseMetadata") or {})
        metadata.setdefault("RequestId", str(uuid.uuid4()))
        metadata.setdefault("HTTPStatusCode", 400)
        metadata.setdefault("HTTPHeaders", {})
        metadata.setdefault("RetryAttempts", 0)
        response["ResponseMetadata"] = metadata
        self.response = response
        self.operation_name = operation_name
        super().__init__(
            self.MSG_TEMPLATE.format(
                error_code=error["Code"], operation_name=operation_name, error_message=error["Message"]
            )
        )

    def __reduce__(self) -> Any:
        return (type(self), (self.response, self.operation_name))

    @property
    def code(self) -> str:
        """The AWS error code, e.g. ``"NotFoundException"``."""
        return str(self.response["Error"]["Code"])

    @property
    def message(self) -> str:
        """The human message (never holds secrets)."""
        return str(self.response["Error"]["Message"])


class KeysteadError(ClientError):
    """Base class of every exception a Keystead store operation raises."""


class ParamValidationError(ValueError):
    """A boto3-shaped call had a missing, unknown or badly typed parameter (as botocore's
    ``ParamValidationError``, raised before the operation runs)."""

    def __init__(self, report: str) -> None:
        self.kwargs = {"report": report}
        super().__init__(f"Parameter validation failed:\n{report}")

    def __reduce__(self) -> Any:
        return (type(self), (self.kwargs["report"],))


class NotFoundException(KeysteadError, LookupError):
    """The key, alias or other resource does not exist."""


class DisabledException(KeysteadError):
    """The key is disabled."""


class KMSInvalidStateException(KeysteadError):
    """The key's state (pending deletion, pending import...) does not allow the operation."""


class InvalidCiphertextException(KeysteadError):
    """The ciphertext, its encryption context or its key is not valid (no further detail)."""


class IncorrectKeyException(KeysteadError):
    """The key given is not the one that encrypted the ciphertext."""


class InvalidKeyUsageException(KeysteadError):
    """The key's usage or spec, or the algorithm, does not allow the operation."""


class AlreadyExistsException(KeysteadError):
    """The resource (for example an alias) already exists."""


class InvalidAliasNameException(KeysteadError, ValueError):
    """The alias name is malformed or reserved."""


class InvalidArnException(KeysteadError, ValueError):
    """The ARN is malformed."""


class InvalidMarkerException(KeysteadError, ValueError):
    """The pagination marker is not one this store issued."""


class LimitExceededException(KeysteadError):
    """A quota (aliases per key, tags, on-demand rotations, keys...) is reached."""


class ValidationException(KeysteadError, ValueError):
    """An input breaks a documented constraint (length, range, enum value...)."""


class UnsupportedOperationException(KeysteadError):
    """The operation is not supported for this key or by Keystead."""


class TagException(KeysteadError, ValueError):
    """A tag is malformed."""


class KMSInternalException(KeysteadError):
    """An internal failure (storage I/O, OpenSSL); retryable."""


class AccessDeniedException(KeysteadError):
    """No policy or grant allows the call (e.g. changing an AWS managed key)."""


class MalformedPolicyDocumentException(KeysteadError, ValueError):
    """The key policy is malformed."""


class InvalidGrantTokenException(KeysteadError, ValueError):
    """A grant token is not valid."""


class InvalidGrantIdException(KeysteadError, ValueError):
    """A grant id is not valid."""


class KeyUnavailableException(KeysteadError):
    """The key material cannot be reached right now; retryable."""


class DependencyTimeoutException(KeysteadError):
    """The store was busy for too long; retryable."""


class IncorrectKeyMaterialException(KeysteadError):
    """Imported key material does not match the key."""


class ExpiredImportTokenException(KeysteadError):
    """The import token has expired."""


class InvalidImportTokenException(KeysteadError):
    """The import token is not valid for this key."""


class KMSInvalidSignatureException(KeysteadError):
    """The signature does not verify."""


class KMSInvalidMacException(KeysteadError):
    """The MAC does not verify."""


class DryRunOperationException(KeysteadError):
    """A dry run that would have succeeded."""


class ConflictException(KeysteadError):
    """A conflicting operation is in progress (e.g. an automatic rotation is due)."""


class IncorrectRootKeyException(KeysteadError):
    """(Keystead only) The root key does not open this store: wrong key file, variable or passphrase."""


class CorruptStoreException(KeysteadError):
    """(Keystead only) A store record failed its integrity check."""


#: Every exception class by its AWS code.
EXCEPTIONS: Dict[str, Type[KeysteadError]] = {
    cls.__name__: cls
    for cls in KeysteadError.__subclasses__()
    if cls.__module__ == __name__
}


