//! Key lifecycle, aliases, tags, rotation and deletion: every operation, its limits at and
//! beyond their bounds, with AWS's errors.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::sync::Arc;

use keystead_core::{
    CreateKeyRequest, DecryptRequest, EncryptRequest, ErrorKind, IncludeKeyMaterial, KeyManager, KeySpec, KeyState,
    KeyUsage, Keystead, ManualClock, Origin, RotationType, Tag, DAY_MS,
};

fn store() -> (Keystead, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Keystead::builder().clock(clock.clone()).open_in_memory().expect("open");
    (store, clock)
}

fn key(store: &Keystead) -> String {
    store.create_key(CreateKeyRequest::default()).expect("create").key_id
}

fn kind<T: std::fmt::Debug>(result: keystead_core::Result<T>) -> ErrorKind {
    result.expect_err("expected an error").kind()
}

#[test]
fn create_key_defaults_match_aws() {
    let (store, clock) = store();
    let meta = store.create_key(CreateKeyRequest::default()).unwrap();
    assert_eq!(meta.key_spec, KeySpec::SymmetricDefault);
    assert_eq!(meta.customer_master_key_spec, KeySpec::SymmetricDefault);
    assert_eq!(meta.key_usage, KeyUsage::EncryptDecrypt);
    assert_eq!(meta.origin, Origin::AwsKms);
    assert_eq!(meta.key_manager, KeyManager::Customer);
    assert_eq!(meta.key_state, KeyState::Enabled);
    assert!(meta.enabled);
    assert_eq!(meta.description, "");
    assert_eq!(meta.aws_account_id, "111122223333");
    assert_eq!(meta.arn, format!("arn:aws:kms:us-east-1:111122223333:key/{}", meta.key_id));
    assert_eq!(meta.creation_date, clock.now_ms_for_test());
    assert!(!meta.multi_region);
    assert_eq!(meta.current_key_material_id.as_ref().map(String::len), Some(64));
    assert_eq!(
        meta.encryption_algorithms.as_deref(),
        Some(&[keystead_core::EncryptionAlgorithm::SymmetricDefault][..])
    );
    let json = serde_json::to_value(&meta).unwrap();
    assert_eq!(json["KeyState"], "Enabled");
    assert_eq!(json["AWSAccountId"], "111122223333");
    assert!(json.get("DeletionDate").is_none());
}

trait NowForTest {
    fn now_ms_for_test(&self) -> i64;
}
impl NowForTest for ManualClock {
    fn now_ms_for_test(&self) -> i64 {
        keystead_core::Clock::now_ms(self)
    }
}

#[test]
fn create_key_validates_its_inputs() {
    let (store, _) = store();
    let with = |f: fn(&mut CreateKeyRequest)| {
        let mut request = CreateKeyRequest::default();
        f(&mut request);
        store.create_key(request)
    };
    assert_eq!(kind(with(|r| r.key_usage = Some(KeyUsage::SignVerify))), ErrorKind::Validation);
    assert_eq!(kind(with(|r| r.key_spec = Some(KeySpec::Hmac256))), ErrorKind::Validation);
    assert_eq!(kind(with(|r| r.description = Some("x".repeat(8193)))), ErrorKind::Validation);
    assert!(with(|r| r.description = Some("x".repeat(8192))).is_ok());
    assert_eq!(kind(with(|r| r.origin = Some(Origin::AwsCloudhsm))), ErrorKind::UnsupportedOperation);
    assert_eq!(kind(with(|r| r.multi_region = true)), ErrorKind::UnsupportedOperation);
    assert_eq!(kind(with(|r| r.tags = vec![Tag::new("", "v")])), ErrorKind::Tag);
    assert_eq!(kind(with(|r| r.tags = vec![Tag::new("aws:x", "v")])), ErrorKind::Tag);
    assert_eq!(kind(with(|r| r.tags = vec![Tag::new("k".repeat(129), "v")])), ErrorKind::Tag);
    assert_eq!(kind(with(|r| r.tags = vec![Tag::new("k", "v".repeat(257))])), ErrorKind::Tag);
    assert_eq!(kind(with(|r| r.tags = vec![Tag::new("k", "1"), Tag::new("k", "2")])), ErrorKind::Tag);
    assert_eq!(
        kind(with(|r| r.tags = (0..51).map(|i| Tag::new(format!("k{i}"), "v")).collect())),
        ErrorKind::LimitExceeded
    );
    assert!(with(|r| r.tags = (0..50).map(|i| Tag::new(format!("k{i}"), "v")).collect()).is_ok());
    // Nothing failed half-way: only the two successful creations exist.
    assert_eq!(store.list_keys(None, None).unwrap().items.len(), 2);
}

#[test]
fn external_origin_keys_wait_for_import() {
    let (store, _) = store();
    let meta = store.create_key(CreateKeyRequest { origin: Some(Origin::External), ..Default::default() }).unwrap();
    assert_eq!(meta.key_state, KeyState::PendingImport);
    assert!(!meta.enabled);
    assert_eq!(meta.current_key_material_id, None);
    let err =
        store.encrypt(EncryptRequest { key_id: &meta.key_id, plaintext: b"x", ..Default::default() }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    assert!(err.message().ends_with("is pending import."), "{}", err.message());
}

#[test]
fn describe_key_accepts_all_four_identifier_forms() {
    let (store, _) = store();
    let id = key(&store);
    store.create_alias("alias/orders", &id).unwrap();
    let arn = store.describe_key(&id).unwrap().arn;
    for form in
        [id.clone(), arn.clone(), "alias/orders".into(), "arn:aws:kms:us-east-1:111122223333:alias/orders".into()]
    {
        assert_eq!(store.describe_key(&form).unwrap().key_id, id, "{form}");
    }
    assert_eq!(kind(store.describe_key("alias/missing")), ErrorKind::NotFound);
    assert_eq!(kind(store.describe_key("1234abcd-12ab-34cd-56ef-1234567890ab")), ErrorKind::NotFound);
    assert_eq!(kind(store.describe_key("not-a-key")), ErrorKind::NotFound);
    assert_eq!(kind(store.describe_key("arn:aws:kms:us-east-1:111122223333:thing/x")), ErrorKind::InvalidArn);
    assert_eq!(kind(store.describe_key(&arn.replace("us-east-1", "eu-west-1"))), ErrorKind::NotFound);
    assert_eq!(kind(store.describe_key("")), ErrorKind::Validation);
    assert_eq!(kind(store.describe_key(&"a".repeat(2049))), ErrorKind::Validation);
    // Operations documented as key id / key ARN only refuse aliases.
    assert_eq!(kind(store.disable_key("alias/orders")), ErrorKind::NotFound);
}

#[test]
fn list_keys_paginates_with_opaque_markers() {
    let (store, _) = store();
    let mut created: Vec<String> = (0..7).map(|_| key(&store)).collect();
    created.sort();
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = store.list_keys(Some(3), marker.as_deref()).unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|e| e.key_id.clone()));
        for entry in &page.items {
            assert!(entry.key_arn.ends_with(&entry.key_id));
        }
        match page.next_marker {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, created);
    assert_eq!(kind(store.list_keys(Some(0), None)), ErrorKind::Validation);
    assert_eq!(kind(store.list_keys(Some(1001), None)), ErrorKind::Validation);
    assert!(store.list_keys(Some(1000), None).is_ok());
    assert_eq!(kind(store.list_keys(None, Some("garbage!"))), ErrorKind::InvalidMarker);
    let alias_marker = {
        store.create_alias("alias/a", &created[0]).unwrap();
        store.create_alias("alias/b", &created[0]).unwrap();
        store.list_aliases(None, Some(1), None).unwrap().next_marker.unwrap()
    };
    assert_eq!(kind(store.list_keys(None, Some(&alias_marker))), ErrorKind::InvalidMarker);
}

#[test]
fn description_and_tags() {
    let (store, _) = store();
    let id = key(&store);
    store.update_key_description(&id, "payments").unwrap();
    assert_eq!(store.describe_key(&id).unwrap().description, "payments");
    store.update_key_description(&id, "").unwrap();
    assert_eq!(store.describe_key(&id).unwrap().description, "");
    assert_eq!(kind(store.update_key_description(&id, &"d".repeat(8193))), ErrorKind::Validation);

    store.tag_resource(&id, &[Tag::new("team", "checkout"), Tag::new("env", "prod")]).unwrap();
    store.tag_resource(&id, &[Tag::new("env", "staging")]).unwrap();
    let tags = store.list_resource_tags(&id, None, None).unwrap().items;
    assert_eq!(tags, vec![Tag::new("env", "staging"), Tag::new("team", "checkout")]);
    store.untag_resource(&id, &["team".into(), "absent".into()]).unwrap();
    assert_eq!(store.list_resource_tags(&id, None, None).unwrap().items, vec![Tag::new("env", "staging")]);

    let many: Vec<Tag> = (0..49).map(|i| Tag::new(format!("t{i:02}"), "v")).collect();
    store.tag_resource(&id, &many).unwrap();
    assert_eq!(kind(store.tag_resource(&id, &[Tag::new("one-too-many", "v")])), ErrorKind::LimitExceeded);
    let first = store.list_resource_tags(&id, Some(20), None).unwrap();
    assert_eq!(first.items.len(), 20);
    let second = store.list_resource_tags(&id, Some(50), first.next_marker.as_deref()).unwrap();
    assert_eq!(second.items.len(), 30);
    assert!(second.next_marker.is_none());
    assert_eq!(kind(store.list_resource_tags(&id, Some(51), None)), ErrorKind::Validation);
}

#[test]
fn aliases_follow_aws_rules() {
    let (store, _) = store();
    let a = key(&store);
    let b = key(&store);
    store.create_alias("alias/orders", &a).unwrap();
    assert_eq!(kind(store.create_alias("alias/orders", &b)), ErrorKind::AlreadyExists);
    assert_eq!(kind(store.create_alias("orders", &a)), ErrorKind::InvalidAliasName);
    assert_eq!(kind(store.create_alias("alias/aws/s3", &a)), ErrorKind::InvalidAliasName);
    assert_eq!(kind(store.create_alias("alias/managed/s3", &a)), ErrorKind::InvalidAliasName);
    assert_eq!(kind(store.create_alias("alias/bad name", &a)), ErrorKind::InvalidAliasName);
    assert_eq!(kind(store.create_alias("alias/x", "alias/orders")), ErrorKind::NotFound);
    assert_eq!(kind(store.create_alias("alias/x", "1234abcd-12ab-34cd-56ef-1234567890ab")), ErrorKind::NotFound);

    store.update_alias("alias/orders", &b).unwrap();
    assert_eq!(store.describe_key("alias/orders").unwrap().key_id, b);
    let listed = store.list_aliases(Some(&b), None, None).unwrap().items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].alias_arn, "arn:aws:kms:us-east-1:111122223333:alias/orders");
    assert_eq!(listed[0].target_key_id, b);
    assert!(store.list_aliases(Some(&a), None, None).unwrap().items.is_empty());
    assert_eq!(kind(store.update_alias("alias/missing", &b)), ErrorKind::NotFound);

    store.delete_alias("alias/orders").unwrap();
    assert_eq!(kind(store.delete_alias("alias/orders")), ErrorKind::NotFound);
    assert_eq!(store.describe_key(&b).unwrap().key_state, KeyState::Enabled, "deleting an alias keeps its key");

    for i in 0..50 {
        store.create_alias(&format!("alias/a{i:02}"), &a).unwrap();
    }
    assert_eq!(kind(store.create_alias("alias/a50", &a)), ErrorKind::LimitExceeded);
    let page = store.list_aliases(None, Some(100), None).unwrap();
    assert_eq!(page.items.len(), 50);
    assert_eq!(kind(store.list_aliases(None, Some(101), None)), ErrorKind::Validation);
}

#[test]
fn service_managed_keys_are_created_on_first_use_and_protected() {
    let (store, _) = store();
    let blob = store
        .encrypt(EncryptRequest { key_id: "alias/aws/s3", plaintext: b"object key", ..Default::default() })
        .unwrap();
    let meta = store.describe_key("alias/aws/s3").unwrap();
    assert_eq!(meta.key_manager, KeyManager::Aws);
    assert!(blob.key_id.ends_with(&meta.key_id));
    let managed = store.describe_key("alias/managed/orders").unwrap();
    assert_eq!(managed.key_manager, KeyManager::Aws);
    assert_eq!(store.describe_key("alias/managed/orders").unwrap().key_id, managed.key_id, "created once");
    let status = store.get_key_rotation_status(&meta.key_id).unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(365));
    assert_eq!(kind(store.disable_key(&meta.key_id)), ErrorKind::AccessDenied);
    assert_eq!(kind(store.schedule_key_deletion(&meta.key_id, None)), ErrorKind::AccessDenied);
    assert_eq!(kind(store.disable_key_rotation(&meta.key_id)), ErrorKind::AccessDenied);
    assert_eq!(kind(store.delete_alias("alias/aws/s3")), ErrorKind::InvalidAliasName);
    assert_eq!(kind(store.create_alias("alias/mine", &meta.key_id)), ErrorKind::AccessDenied);
}

#[test]
fn enable_disable_and_deletion_window() {
    let (store, clock) = store();
    let id = key(&store);
    store.disable_key(&id).unwrap();
    store.disable_key(&id).unwrap();
    assert_eq!(store.describe_key(&id).unwrap().key_state, KeyState::Disabled);
    store.enable_key(&id).unwrap();
    store.enable_key(&id).unwrap();
    assert!(store.describe_key(&id).unwrap().enabled);

    assert_eq!(kind(store.schedule_key_deletion(&id, Some(6))), ErrorKind::Validation);
    assert_eq!(kind(store.schedule_key_deletion(&id, Some(31))), ErrorKind::Validation);
    assert_eq!(kind(store.cancel_key_deletion(&id)), ErrorKind::InvalidState);
    let scheduled = store.schedule_key_deletion(&id, None).unwrap();
    assert_eq!(scheduled.pending_window_in_days, 30);
    assert_eq!(scheduled.key_state, KeyState::PendingDeletion);
    assert_eq!(scheduled.deletion_date, keystead_core::Clock::now_ms(&*clock) + 30 * DAY_MS);
    let meta = store.describe_key(&id).unwrap();
    assert_eq!(meta.deletion_date, Some(scheduled.deletion_date));
    assert_eq!(kind(store.schedule_key_deletion(&id, Some(7))), ErrorKind::InvalidState);
    assert_eq!(store.cancel_key_deletion(&id).unwrap(), meta.arn);
    assert_eq!(store.describe_key(&id).unwrap().key_state, KeyState::Disabled, "cancel leaves the key disabled");

    store.create_alias("alias/doomed", &id).unwrap();
    store.schedule_key_deletion(&id, Some(7)).unwrap();
    clock.advance_days(7);
    clock.advance_ms(-1);
    assert_eq!(store.describe_key(&id).unwrap().key_state, KeyState::PendingDeletion);
    clock.advance_ms(1);
    assert_eq!(kind(store.describe_key(&id)), ErrorKind::NotFound);
    assert_eq!(kind(store.describe_key("alias/doomed")), ErrorKind::NotFound);
    assert!(store.list_keys(None, None).unwrap().items.is_empty());
    assert!(store.list_aliases(None, None, None).unwrap().items.is_empty());
}

#[test]
fn automatic_rotation_follows_the_period() {
    let (store, clock) = store();
    let id = key(&store);
    let status = store.get_key_rotation_status(&id).unwrap();
    assert!(!status.key_rotation_enabled);
    assert_eq!(status.next_rotation_date, None);
    assert_eq!(kind(store.enable_key_rotation(&id, Some(89))), ErrorKind::Validation);
    assert_eq!(kind(store.enable_key_rotation(&id, Some(2561))), ErrorKind::Validation);
    store.enable_key_rotation(&id, Some(90)).unwrap();
    let status = store.get_key_rotation_status(&id).unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(90));
    let now = keystead_core::Clock::now_ms(&*clock);
    assert_eq!(status.next_rotation_date, Some(now + 90 * DAY_MS));

    let old = store.encrypt(EncryptRequest { key_id: &id, plaintext: b"before", ..Default::default() }).unwrap();
    clock.advance_days(90);
    let new = store.encrypt(EncryptRequest { key_id: &id, plaintext: b"after", ..Default::default() }).unwrap();
    let rotations = store.list_key_rotations(&id, None, None, None).unwrap().items;
    assert_eq!(rotations.len(), 1);
    assert_eq!(rotations[0].rotation_type, Some(RotationType::Automatic));
    let old_plain =
        store.decrypt(DecryptRequest { ciphertext_blob: &old.ciphertext_blob, ..Default::default() }).unwrap();
    let new_plain =
        store.decrypt(DecryptRequest { ciphertext_blob: &new.ciphertext_blob, ..Default::default() }).unwrap();
    assert_eq!(old_plain.plaintext.expose(), b"before");
    assert_eq!(new_plain.plaintext.expose(), b"after");
    assert_ne!(old_plain.key_material_id, new_plain.key_material_id);
    assert_eq!(new_plain.key_material_id.as_deref(), Some(rotations[0].key_material_id.as_str()));

    // Disabled keys do not rotate; an overdue rotation happens when the key is enabled again.
    store.disable_key(&id).unwrap();
    clock.advance_days(200);
    assert_eq!(store.list_key_rotations(&id, None, None, None).unwrap().items.len(), 1);
    store.enable_key(&id).unwrap();
    store.describe_key(&id).unwrap();
    assert_eq!(store.list_key_rotations(&id, None, None, None).unwrap().items.len(), 2);

    // Pending deletion reads as not rotating and comes back on cancel.
    store.schedule_key_deletion(&id, None).unwrap();
    assert!(!store.get_key_rotation_status(&id).unwrap().key_rotation_enabled);
    store.cancel_key_deletion(&id).unwrap();
    assert!(store.get_key_rotation_status(&id).unwrap().key_rotation_enabled);

    store.enable_key(&id).unwrap();
    store.disable_key_rotation(&id).unwrap();
    assert!(!store.get_key_rotation_status(&id).unwrap().key_rotation_enabled);
}

#[test]
fn on_demand_rotation_keeps_every_version_decryptable() {
    let (store, clock) = store();
    let id = key(&store);
    let mut blobs = Vec::new();
    for i in 0..25u32 {
        blobs.push((
            i,
            store.encrypt(EncryptRequest { key_id: &id, plaintext: &i.to_be_bytes(), ..Default::default() }).unwrap(),
        ));
        store.rotate_key_on_demand(&id).unwrap();
    }
    assert_eq!(kind(store.rotate_key_on_demand(&id)), ErrorKind::LimitExceeded);
    // Automatic rotations have no limit: reach 100 versions with them.
    store.enable_key_rotation(&id, Some(90)).unwrap();
    for i in 25..99u32 {
        blobs.push((
            i,
            store.encrypt(EncryptRequest { key_id: &id, plaintext: &i.to_be_bytes(), ..Default::default() }).unwrap(),
        ));
        clock.advance_days(90);
    }
    blobs.push((
        99,
        store.encrypt(EncryptRequest { key_id: &id, plaintext: &99u32.to_be_bytes(), ..Default::default() }).unwrap(),
    ));
    let all = store.list_key_rotations(&id, Some(IncludeKeyMaterial::AllKeyMaterial), Some(1000), None).unwrap().items;
    assert_eq!(all.len(), 100, "100 versions");
    assert_eq!(all[0].rotation_type, None);
    assert_eq!(all.iter().filter(|e| e.key_material_state == keystead_core::KeyMaterialState::Current).count(), 1);
    let mut materials = std::collections::HashSet::new();
    for (i, blob) in &blobs {
        let plain =
            store.decrypt(DecryptRequest { ciphertext_blob: &blob.ciphertext_blob, ..Default::default() }).unwrap();
        assert_eq!(plain.plaintext.expose(), i.to_be_bytes());
        materials.insert(plain.key_material_id);
    }
    assert_eq!(materials.len(), 100, "each blob used its own version");
    let page = store.list_key_rotations(&id, None, Some(50), None).unwrap();
    assert_eq!(page.items.len(), 50);
    let rest = store.list_key_rotations(&id, None, Some(50), page.next_marker.as_deref()).unwrap();
    assert_eq!(rest.items.len(), 49);
    assert!(rest.next_marker.is_none());
}

#[test]
fn on_demand_rotation_conflicts_with_a_due_automatic_rotation() {
    let (store, clock) = store();
    let id = key(&store);
    store.enable_key_rotation(&id, Some(90)).unwrap();
    clock.advance_days(90);
    clock.advance_ms(-10 * 60 * 1000);
    assert_eq!(kind(store.rotate_key_on_demand(&id)), ErrorKind::Conflict);
}
