"""Shared fixtures: a fresh store folder per test, the typed store and a boto3-shaped client."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import keystead


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(store_path: Path) -> keystead.Keystead:
    return keystead.Keystead(store_path)


@pytest.fixture
def kms(store: keystead.Keystead) -> keystead.KMSClient:
    return keystead.client(store=store)


@pytest.fixture
def key_id(store: keystead.Keystead) -> str:
    return store.create_key(description="test key").key_id


@pytest.fixture
def memory_store() -> Iterator[keystead.Keystead]:
    yield keystead.Keystead.in_memory()
