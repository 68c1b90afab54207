"""The installed package: typed, stubbed, and carrying its own OpenSSL."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import keystead
from keystead import _keystead


def test_package_files_are_installed() -> None:
    folder = Path(keystead.__file__).parent
    assert (folder / "py.typed").exists()
    assert (folder / "_keystead.pyi").exists()
    assert keystead.__version__ == _keystead.__version__


@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd")
def test_openssl_is_linked_in() -> None:
    output = subprocess.run(["ldd", _keystead.__file__], capture_output=True, text=True, check=True).stdout
    assert "libssl" not in output and "libcrypto" not in output, output
