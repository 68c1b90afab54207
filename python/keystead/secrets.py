"""Configuration secrets in environment variables (``docs/format.md`` section 6).

``keystead encrypt-secret --key-id K --name DB_PASSWORD`` (or :func:`encrypt_secret`) makes a
value ``keystead:v1:...`` that decrypts only for that variable name and encryption context. At
start-up, :func:`decrypt_env` replaces every such value in ``os.environ`` by its plaintext and
leaves the other variables alone::

    import keystead, keystead.secrets
    keystead.secrets.decrypt_env(keystead.Keystead("/var/lib/shop/keys"), encryption_context={"app": "shop"})
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Mapping, MutableMapping, Optional

from . import _keystead
from ._args import native_store, string_map

if TYPE_CHECKING:  # pragma: no cover
    from .store import Keystead

__all__ = ["encrypt_secret", "decrypt_secret", "decrypt_env", "is_secret", "SECRET_PREFIX"]

#: The prefix of every version-1 secret.
SECRET_PREFIX = "keystead:v1:"


def is_secret(value: str) -> bool:
    """True if ``value`` is meant to be a Keystead secret (``keystead:v`` and a digit)."""
    return value.startswith("keystead:v") and value[10:11].isdigit()


def encrypt_secret(
    store: "Keystead",
    key_id: str,
    name: str,
    value: "bytes | str",
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
) -> str:
    """Encrypts ``value`` (str is UTF-8 encoded) for the variable ``name``."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return _keystead.encrypt_secret(
        native_store(store), key_id, name, data, string_map(encryption_context, "EncryptSecret", "encryption_context")
    )


def decrypt_secret(
    store: "Keystead",
    name: str,
    text: str,
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
) -> bytes:
    """Decrypts a value made for the variable ``name``."""
    return _keystead.decrypt_secret(
        native_store(store), name, text, string_map(encryption_context, "DecryptSecret", "encryption_context")
    )


def decrypt_env(
    store: "Keystead",
    environ: Optional[MutableMapping[str, str]] = None,
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    apply: bool = True,
) -> dict[str, str]:
    """Decrypts every Keystead secret in ``environ`` (default ``os.environ``) and returns
    ``{name: plaintext}`` for those; with ``apply`` (default) also writes the plaintexts back
    into ``environ``. Nothing is written unless all of them decrypt: the first one that does not
    raises (``InvalidCiphertextException`` naming the variable, never its value). Plaintexts
    must be UTF-8."""
    env = os.environ if environ is None else environ
    opened = _keystead.decrypt_env(
        native_store(store),
        [(k, v) for k, v in env.items() if is_secret(v)],
        string_map(encryption_context, "DecryptSecret", "encryption_context"),
    )
    texts: dict[str, str] = {}
    for name, plaintext in opened.items():
        try:
            texts[name] = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"the secret of {name} is not UTF-8 text") from None
    if apply:
        env.update(texts)
    return texts
