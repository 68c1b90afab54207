"""The Python enums and exception classes stay in step with the core."""

from __future__ import annotations

import keystead
from keystead import _keystead, enums


def test_enums_match_the_core() -> None:
    core = _keystead._enum_values()
    assert set(core) == set(enums.__all__)
    for name, values in core.items():
        python = [member.value for member in getattr(enums, name)]
        assert python == values, name


def test_public_names_are_documented() -> None:
    for name in keystead.__all__:
        obj = getattr(keystead, name)
        if name == "__version__":
            assert obj == "0.1.0" or obj.count(".") == 2
            continue
        assert getattr(obj, "__doc__", None), name
    for method in dir(keystead.Keystead):
        if not method.startswith("_"):
            assert getattr(keystead.Keystead, method).__doc__, method
    for method in dir(keystead.KMSClient):
        if not method.startswith("_"):
            assert getattr(keystead.KMSClient, method).__doc__, method
