"""Every operation through the typed API (keystead.Keystead), with real assertions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import keystead
from keystead import DataKeySpec, EncryptionAlgorithm, KeyManager, KeyMaterialState, KeySpec, KeyState, KeyUsage, Origin


def test_open_and_identity(tmp_path: Path) -> None:
    store = keystead.Keystead.open(tmp_path / "s", region="eu-west-1", account_id="123456789012")
    assert store.region == "eu-west-1"
    assert store.account_id == "123456789012"
    assert store.partition == "aws"
    assert store.location == str(tmp_path / "s")
    assert (tmp_path / "s" / "root.key").exists()
    key = store.create_key()
    assert key.arn == f"arn:aws:kms:eu-west-1:123456789012:key/{key.key_id}"
    # Region and account apply only at creation: reopening keeps them.
    again = keystead.Keystead(tmp_path / "s", region="us-west-2")
    assert again.region == "eu-west-1"
    assert again.describe_key(key.key_id) == store.describe_key(key.key_id)


def test_handle_is_immutable(store: keystead.Keystead) -> None:
    with pytest.raises(AttributeError):
        store._native = None  # type: ignore[misc]


def test_create_and_describe(store: keystead.Keystead) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    key = store.create_key(
        description="orders",
        key_usage=KeyUsage.ENCRYPT_DECRYPT,
        key_spec="SYMMETRIC_DEFAULT",
        origin=Origin.AWS_KMS,
        tags={"team": "payments"},
    )
    assert key.key_spec is KeySpec.SYMMETRIC_DEFAULT
    assert key.customer_master_key_spec is KeySpec.SYMMETRIC_DEFAULT
    assert key.key_usage is KeyUsage.ENCRYPT_DECRYPT
    assert key.key_state is KeyState.ENABLED and key.enabled
    assert key.key_manager is KeyManager.CUSTOMER
    assert key.origin is Origin.AWS_KMS
    assert key.encryption_algorithms == (EncryptionAlgorithm.SYMMETRIC_DEFAULT,)
    assert key.description == "orders"
    assert key.aws_account_id == "111122223333"
    assert key.multi_region is False
    assert key.deletion_date is None
    assert key.current_key_material_id and len(key.current_key_material_id) == 64
    assert key.creation_date.tzinfo is not None
    assert before <= key.creation_date <= datetime.now(timezone.utc) + timedelta(seconds=5)
    for ref in (key.key_id, key.arn):
        assert store.describe_key(ref) == key
    store.create_alias("alias/orders", key.key_id)
    assert store.describe_key("alias/orders").key_id == key.key_id
    assert store.describe_key(f"arn:aws:kms:us-east-1:111122223333:alias/orders").key_id == key.key_id


def test_external_origin_key_is_pending_import(store: keystead.Keystead) -> None:
    key = store.create_key(origin="EXTERNAL")
    assert key.key_state is KeyState.PENDING_IMPORT
    assert key.current_key_material_id is None


def test_list_keys_pages(store: keystead.Keystead) -> None:
    ids = {store.create_key().key_id for _ in range(5)}
    first = store.list_keys(limit=2)
    assert len(first) == 2 and first.truncated and first.next_marker
    seen = [e.key_id for e in first]
    marker = first.next_marker
    while marker:
        page = store.list_keys(limit=2, marker=marker)
        seen += [e.key_id for e in page]
        marker = page.next_marker
    assert set(seen) == ids and len(seen) == 5
    assert {e.key_id for e in store.iter_keys()} == ids
    entry = next(iter(store.list_keys()))
    assert entry.key_arn.endswith(entry.key_id)


def test_update_description(store: keystead.Keystead, key_id: str) -> None:
    store.update_key_description(key_id, "new words")
    assert store.describe_key(key_id).description == "new words"


def test_tags(store: keystead.Keystead, key_id: str) -> None:
    store.tag_resource(key_id, {"b": "2", "a": "1"})
    store.tag_resource(key_id, [keystead.Tag("c", "3"), ("a", "one")])
    assert store.tags(key_id) == {"a": "one", "b": "2", "c": "3"}
    page = store.list_resource_tags(key_id, limit=2)
    assert [t.key for t in page] == ["a", "b"] and page.truncated
    rest = store.list_resource_tags(key_id, marker=page.next_marker)
    assert list(rest) == [keystead.Tag("c", "3")] and not rest.truncated
    store.untag_resource(key_id, ["a", "missing"])
    assert store.tags(key_id) == {"b": "2", "c": "3"}
    with pytest.raises(TypeError):
        store.untag_resource(key_id, "b")


def test_aliases(store: keystead.Keystead) -> None:
    one, two = store.create_key(), store.create_key()
    store.create_alias("alias/app", one.key_id)
    store.create_alias("alias/app-2", one.arn)
    assert [a.alias_name for a in store.list_aliases(key_id=one.key_id)] == ["alias/app", "alias/app-2"]
    store.update_alias("alias/app", two.key_id)
    entry = next(a for a in store.iter_aliases() if a.alias_name == "alias/app")
    assert entry.target_key_id == two.key_id
    assert entry.alias_arn == "arn:aws:kms:us-east-1:111122223333:alias/app"
    assert entry.last_updated_date >= entry.creation_date
    page = store.list_aliases(limit=1)
    assert len(page) == 1 and page.truncated
    store.delete_alias("alias/app")
    assert [a.alias_name for a in store.iter_aliases()] == ["alias/app-2"]
    sealed = store.encrypt("alias/app-2", b"via alias")
    assert sealed.key_id == one.arn


def test_enable_disable(store: keystead.Keystead, key_id: str) -> None:
    store.disable_key(key_id)
    assert store.describe_key(key_id).key_state is KeyState.DISABLED
    assert not store.describe_key(key_id).enabled
    store.enable_key(key_id)
    assert store.describe_key(key_id).key_state is KeyState.ENABLED


def test_schedule_and_cancel_deletion(store: keystead.Keystead, key_id: str) -> None:
    schedule = store.schedule_key_deletion(key_id, pending_window_in_days=7)
    assert schedule.key_state is KeyState.PENDING_DELETION
    assert schedule.pending_window_in_days == 7
    expected = datetime.now(timezone.utc) + timedelta(days=7)
    assert abs((schedule.deletion_date - expected).total_seconds()) < 60
    meta = store.describe_key(key_id)
    assert meta.key_state is KeyState.PENDING_DELETION and meta.deletion_date == schedule.deletion_date
    assert store.cancel_key_deletion(key_id) == meta.arn
    assert store.describe_key(key_id).key_state is KeyState.DISABLED
    assert store.schedule_key_deletion(key_id).pending_window_in_days == 30


def test_rotation(store: keystead.Keystead, key_id: str) -> None:
    status = store.get_key_rotation_status(key_id)
    assert not status.key_rotation_enabled and status.rotation_period_in_days is None
    store.enable_key_rotation(key_id, rotation_period_in_days=90)
    status = store.get_key_rotation_status(key_id)
    assert status.key_rotation_enabled and status.rotation_period_in_days == 90
    assert status.next_rotation_date is not None
    assert abs((status.next_rotation_date - datetime.now(timezone.utc)).days - 90) <= 1
    store.disable_key_rotation(key_id)
    assert not store.get_key_rotation_status(key_id).key_rotation_enabled

    old = store.encrypt(key_id, b"before rotation")
    first_material = store.describe_key(key_id).current_key_material_id
    assert store.rotate_key_on_demand(key_id).endswith(key_id)
    meta = store.describe_key(key_id)
    assert meta.current_key_material_id != first_material
    assert store.decrypt(old.ciphertext_blob).plaintext == b"before rotation"
    rotations = list(store.list_key_rotations(key_id))
    assert len(rotations) == 1
    assert rotations[0].rotation_type is keystead.RotationType.ON_DEMAND
    assert rotations[0].key_material_state is KeyMaterialState.CURRENT
    assert rotations[0].rotation_date is not None
    everything = store.list_key_rotations(key_id, include_key_material="ALL_KEY_MATERIAL")
    assert [r.key_material_id for r in everything] == [first_material, meta.current_key_material_id]
    assert everything.items[0].key_material_state is KeyMaterialState.NON_CURRENT
    assert everything.items[0].rotation_date is None


def test_encrypt_decrypt_all_buffer_types(store: keystead.Keystead, key_id: str) -> None:
    import array

    for data in (b"abc", bytearray(b"abc"), memoryview(b"xabcx")[1:4], memoryview(b"aXbXcX")[::2], array.array("B", b"abc")):
        sealed = store.encrypt(key_id, data)  # type: ignore[arg-type]
        assert store.decrypt(sealed.ciphertext_blob).plaintext == b"abc"
        assert store.decrypt(bytearray(sealed.ciphertext_blob)).plaintext == b"abc"
        assert store.decrypt(memoryview(sealed.ciphertext_blob)).plaintext == b"abc"


def test_decrypt_with_key_id_and_context(store: keystead.Keystead, key_id: str) -> None:
    context = {"tenant": "42", "purpose": "card"}
    sealed = store.encrypt(key_id, b"x" * 4096, encryption_context=context)
    assert sealed.encryption_algorithm is EncryptionAlgorithm.SYMMETRIC_DEFAULT
    opened = store.decrypt(
        sealed.ciphertext_blob,
        encryption_context={"purpose": "card", "tenant": "42"},
        key_id=key_id,
        encryption_algorithm="SYMMETRIC_DEFAULT",
    )
    assert opened.plaintext == b"x" * 4096
    assert opened.key_material_id == store.describe_key(key_id).current_key_material_id


def test_re_encrypt(store: keystead.Keystead, key_id: str) -> None:
    other = store.create_key()
    sealed = store.encrypt(key_id, b"move me", encryption_context={"a": "1"})
    moved = store.re_encrypt(
        sealed.ciphertext_blob,
        other.key_id,
        source_encryption_context={"a": "1"},
        source_key_id=key_id,
        destination_encryption_context={"b": "2"},
    )
    assert moved.key_id == other.arn and moved.source_key_id.endswith(key_id)
    assert moved.source_encryption_algorithm is EncryptionAlgorithm.SYMMETRIC_DEFAULT
    assert moved.destination_key_material_id == other.current_key_material_id
    assert store.decrypt(moved.ciphertext_blob, encryption_context={"b": "2"}).plaintext == b"move me"


def test_generate_data_key(store: keystead.Keystead, key_id: str) -> None:
    default = store.generate_data_key(key_id)
    assert len(default.plaintext) == 32
    key = store.generate_data_key(key_id, key_spec=DataKeySpec.AES_128, encryption_context={"f": "1"})
    assert len(key.plaintext) == 16 and key.key_id.endswith(key_id)
    assert store.decrypt(key.ciphertext_blob, encryption_context={"f": "1"}).plaintext == key.plaintext
    sized = store.generate_data_key(key_id, number_of_bytes=64)
    assert len(sized.plaintext) == 64
    bare = store.generate_data_key_without_plaintext(key_id, key_spec="AES_256")
    assert len(store.decrypt(bare.ciphertext_blob).plaintext) == 32
    assert bare.key_material_id == key.key_material_id


def test_generate_random(store: keystead.Keystead) -> None:
    a, b = store.generate_random(32), store.generate_random(32)
    assert len(a) == 32 and a != b
    assert len(store.generate_random(1024)) == 1024


def test_in_memory_store() -> None:
    store = keystead.Keystead.in_memory(region="ap-south-1")
    key = store.create_key()
    assert store.location == ":memory:"
    assert ":ap-south-1:" in key.arn
    assert store.decrypt(store.encrypt(key.key_id, b"m").ciphertext_blob).plaintext == b"m"


def test_managed_key_created_on_first_use(store: keystead.Keystead) -> None:
    meta = store.describe_key("alias/aws/s3")
    assert meta.key_manager is KeyManager.AWS
    assert store.decrypt(store.encrypt("alias/aws/s3", b"s3").ciphertext_blob).plaintext == b"s3"
    assert store.get_key_rotation_status(meta.key_id).key_rotation_enabled


def test_sweep_and_client_view(store: keystead.Keystead, key_id: str) -> None:
    store.sweep()
    kms = store.client()
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
    assert kms.store is store
