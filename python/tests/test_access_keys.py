"""Access keys (Keystead only, typed API): create, add, list without secrets, delete."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import keystead
from keystead import exceptions as exc

ROLE = "arn:aws:iam::111122223333:role/checkout"


def test_access_keys(store: keystead.Keystead) -> None:
    assert store.list_access_keys() == []
    created = store.create_access_key(ROLE)
    assert isinstance(created, keystead.NewAccessKey)
    assert created.access_key_id.startswith("AKIA") and len(created.access_key_id) == 20
    assert len(created.secret_access_key) == 40 and created.principal == ROLE
    assert created.secret_access_key not in repr(created) and "redacted, 40 characters" in repr(created)

    added = store.add_access_key("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 "arn:aws:iam::111122223333:user/alice")
    assert added.access_key_id == "AKIAIOSFODNN7EXAMPLE" and added.principal.endswith("user/alice")
    assert isinstance(added.create_date, datetime) and added.create_date.tzinfo == timezone.utc
    with pytest.raises(exc.AlreadyExistsException):
        store.add_access_key("AKIAIOSFODNN7EXAMPLE", b"another-secret-of-length", "arn:aws:iam::1:root")
    with pytest.raises(exc.ValidationException):
        store.add_access_key("short", b"wJalrXUtnFEMI/K7MDENG", "arn:x")
    with pytest.raises(exc.ValidationException):
        store.create_access_key("not an arn")

    listed = store.list_access_keys()
    assert {k.access_key_id for k in listed} == {created.access_key_id, "AKIAIOSFODNN7EXAMPLE"}
    assert all(isinstance(k, keystead.AccessKey) for k in listed)
    shown = repr(listed)
    assert created.secret_access_key not in shown and "wJalrXUtnFEMI" not in shown
    assert not any(hasattr(k, "secret_access_key") for k in listed)

    store.delete_access_key("AKIAIOSFODNN7EXAMPLE")
    with pytest.raises(exc.NotFoundException):
        store.delete_access_key("AKIAIOSFODNN7EXAMPLE")
    assert [k.access_key_id for k in store.list_access_keys()] == [created.access_key_id]


def test_access_keys_survive_reopen(store_path: object) -> None:
    first = keystead.Keystead(store_path)  # type: ignore[arg-type]
    created = first.create_access_key(ROLE)
    again = keystead.Keystead(store_path)  # type: ignore[arg-type]
    assert [(k.access_key_id, k.principal) for k in again.list_access_keys()] == [(created.access_key_id, ROLE)]


def test_access_keys_are_not_on_the_boto3_client(kms: keystead.KMSClient) -> None:
    assert not hasattr(kms, "create_access_key")
