"""Argument checks shared by the typed API (``Keystead`` methods, envelope functions).

Every public function routes its mappings and typed handles through here, so a value of the
wrong Python type is a ``TypeError`` naming the parameter (not an ``AttributeError`` or
``ValueError`` from deep inside), and text that cannot cross into the native module (a lone
surrogate has no UTF-8 form) is the operation's ``ValidationException``, as any other invalid
value is, instead of a ``UnicodeEncodeError``.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Type, TypeVar

from . import _keystead
from .exceptions import ValidationException

T = TypeVar("T")


def validation_error(operation: str, message: str) -> ValidationException:
    """The ``ValidationException`` the native module raises for an invalid value."""
    return ValidationException({"Error": {"Code": "ValidationException", "Message": message}}, operation)


def string_map(value: Optional[Mapping[str, str]], operation: str, name: str) -> Optional[dict[str, str]]:
    """A copy of a ``Mapping[str, str]`` argument (an encryption context, policy conditions),
    or None. The values are not repeated in errors: a context may carry identifying data."""
    if value is None:
        return None
    if type(value) is dict:
        # The common case, checked without the per-item encode() below (this function was a
        # tenth of a 1 KiB Encrypt call): plain str keys and values whose text is ASCII need no
        # UTF-8 check. Anything else takes the full path, which gives the precise errors.
        for key, item in value.items():
            if type(key) is not str or type(item) is not str or not key.isascii() or not item.isascii():
                break
        else:
            return dict(value)
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping of str to str, not {type(value).__name__}")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(
                f"{name} must be a mapping of str to str, not one with a {type(key).__name__} key "
                f"and a {type(item).__name__} value"
            )
        for text in (key, item):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise validation_error(
                    operation, f"Value at '{name}' failed to satisfy constraint: Member must be valid Unicode text"
                ) from None
        out[key] = item
    return out


def instance(value: Any, kind: Type[T], name: str) -> T:
    """``value`` if it is a ``kind``; a ``TypeError`` naming ``name`` otherwise."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__module__}.{kind.__qualname__}, not {type(value).__name__}")
    return value


_keystead_class: Any = None


def native_store(store: Any) -> _keystead.Store:
    """The native handle of a ``keystead.Keystead`` argument (``TypeError`` for anything else)."""
    global _keystead_class
    if type(store) is _keystead_class:  # the common case, without the import below (per call)
        native: _keystead.Store = store._native
        return native
    from .store import Keystead  # here, not at import: store.py imports the modules using this

    _keystead_class = Keystead
    return instance(store, Keystead, "store")._native
