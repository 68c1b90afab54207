"""Field-level encryption of records (``docs/format.md`` section 7): chosen top-level fields of
a dict (a database row, a DynamoDB item) encrypted under one data key per record, each field a
compact ciphertext bound to its name, the record and the encryption context. The other fields
stay readable. Values must be JSON-serialisable (str, int, float, bool, None, list, dict).

>>> sealed = encrypt_fields(store, "alias/customers", row, ["card", "address"],
...                         encryption_context={"table": "customers", "pk": row["pk"]})
>>> decrypt_fields(store, sealed, encryption_context={"table": "customers", "pk": row["pk"]}) == row
True
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from . import _keystead
from ._args import native_store, string_map

if TYPE_CHECKING:  # pragma: no cover
    from .store import Keystead

__all__ = ["encrypt_fields", "decrypt_fields", "FIELDS_ATTRIBUTE"]

#: The field an encrypted record gains (its header: record id, field names, wrapped data keys).
FIELDS_ATTRIBUTE = "keystead:fields"


def encrypt_fields(
    store: "Keystead",
    key_id: str,
    record: Mapping[str, Any],
    fields: Sequence[str],
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    additional_key_ids: Optional[Sequence[str]] = None,
) -> dict[str, Any]:
    """Returns a copy of ``record`` with ``fields`` encrypted (strings) and
    ``"keystead:fields"`` added. Raises ``ValidationException`` for a missing, repeated or
    reserved field name, ``TypeError`` for a value JSON cannot hold."""
    if isinstance(fields, str):
        raise TypeError("fields must be a sequence of field names, not one str")
    text = _keystead.encrypt_fields_json(
        native_store(store),
        key_id,
        json.dumps(dict(record), allow_nan=False),
        list(fields),
        string_map(encryption_context, "EncryptFields", "encryption_context"),
        None if additional_key_ids is None else list(additional_key_ids),
    )
    result: dict[str, Any] = json.loads(text)
    return result


def decrypt_fields(
    store: "Keystead",
    record: Mapping[str, Any],
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    allowed_wrapping_keys: Optional[Sequence[str]] = None,
    max_encrypted_data_keys: Optional[int] = None,
) -> dict[str, Any]:
    """Returns the record as it was before :func:`encrypt_fields`. Raises
    ``InvalidCiphertextException`` for a changed, moved or missing field or another context."""
    text = _keystead.decrypt_fields_json(
        native_store(store),
        json.dumps(dict(record), allow_nan=False),
        string_map(encryption_context, "DecryptFields", "encryption_context"),
        None if allowed_wrapping_keys is None else list(allowed_wrapping_keys),
        max_encrypted_data_keys,
    )
    result: dict[str, Any] = json.loads(text)
    return result
