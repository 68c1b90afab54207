//! AWS KMS's key-state table, encoded as data: every implemented operation in every state a key
//! can reach here (Enabled, Disabled, PendingDeletion, PendingImport) returns exactly what AWS
//! returns. Source: the AWS KMS Developer Guide's "Key states" table (June 2023), as digested in
//! `shared/research/kms-behaviour.md` §2. Where AWS allows DisabledException or
//! KMSInvalidStateException for pending deletion, Keystead always answers
//! KMSInvalidStateException ("... is pending deletion.").
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use keystead_core::{
    CreateKeyRequest, DataKeySpec, DecryptRequest, EncryptRequest, ErrorKind, GenerateDataKeyRequest, KeyState,
    Keystead, Origin, ReEncryptRequest, Result, Tag,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// ✓
    Ok,
    /// The error, and a fragment its message must contain.
    Err(ErrorKind, &'static str),
    /// The combination cannot arise (no ciphertext exists for a key that never had material).
    NotApplicable,
}

use Expect::{Err as E, NotApplicable as NA, Ok as OK};

const DIS: Expect = E(ErrorKind::Disabled, "is disabled.");
const KIS_DEL: Expect = E(ErrorKind::InvalidState, "is pending deletion.");
const KIS_NOT_DEL: Expect = E(ErrorKind::InvalidState, "is not pending deletion.");
const KIS_IMPORT: Expect = E(ErrorKind::InvalidState, "is pending import.");
const UOE_EXTERNAL: Expect = E(ErrorKind::UnsupportedOperation, "origin is EXTERNAL");

const STATES: [KeyState; 4] =
    [KeyState::Enabled, KeyState::Disabled, KeyState::PendingDeletion, KeyState::PendingImport];

/// A key put into `state`, with a blob it encrypted while it was enabled (if it ever was), and
/// a second enabled key of the same type.
struct Fixture {
    store: Keystead,
    key_id: String,
    blob: Option<Vec<u8>>,
    other_key_id: String,
}

fn fixture(state: KeyState) -> Fixture {
    let store = Keystead::builder().open_in_memory().expect("open");
    let other_key_id = store.create_key(CreateKeyRequest::default()).expect("create").key_id;
    store.create_alias("alias/existing", &other_key_id).expect("alias");
    if state == KeyState::PendingImport {
        let key_id = store
            .create_key(CreateKeyRequest { origin: Some(Origin::External), ..Default::default() })
            .expect("create external")
            .key_id;
        return Fixture { store, key_id, blob: None, other_key_id };
    }
    let key_id = store.create_key(CreateKeyRequest::default()).expect("create").key_id;
    let blob = store
        .encrypt(EncryptRequest { key_id: &key_id, plaintext: b"table", ..Default::default() })
        .expect("encrypt")
        .ciphertext_blob;
    store.create_alias("alias/mine", &key_id).expect("alias");
    match state {
        KeyState::Disabled => store.disable_key(&key_id).expect("disable"),
        KeyState::PendingDeletion => {
            store.schedule_key_deletion(&key_id, Some(7)).expect("schedule");
        }
        _ => {}
    }
    assert_eq!(store.describe_key(&key_id).expect("describe").key_state, state);
    Fixture { store, key_id, blob: Some(blob), other_key_id }
}

type Operation = fn(&Fixture) -> Option<Result<()>>;

fn row(name: &'static str, op: Operation, expected: [Expect; 4]) -> (&'static str, Operation, [Expect; 4]) {
    (name, op, expected)
}

#[test]
fn every_operation_in_every_state_answers_as_aws_does() {
    let table = [
        row(
            "CancelKeyDeletion",
            |f| Some(f.store.cancel_key_deletion(&f.key_id).map(drop)),
            [KIS_NOT_DEL, KIS_NOT_DEL, OK, KIS_NOT_DEL],
        ),
        row("CreateAlias", |f| Some(f.store.create_alias("alias/new", &f.key_id)), [OK, OK, KIS_DEL, OK]),
        row(
            "Decrypt",
            |f| {
                f.blob
                    .as_ref()
                    .map(|b| f.store.decrypt(DecryptRequest { ciphertext_blob: b, ..Default::default() }).map(drop))
            },
            [OK, DIS, KIS_DEL, NA],
        ),
        row("DeleteAlias", |f| Some(f.store.delete_alias("alias/existing")), [OK, OK, OK, OK]),
        row("DescribeKey", |f| Some(f.store.describe_key(&f.key_id).map(drop)), [OK, OK, OK, OK]),
        row("DisableKey", |f| Some(f.store.disable_key(&f.key_id)), [OK, OK, KIS_DEL, KIS_IMPORT]),
        row("DisableKeyRotation", |f| Some(f.store.disable_key_rotation(&f.key_id)), [OK, DIS, KIS_DEL, UOE_EXTERNAL]),
        row("EnableKey", |f| Some(f.store.enable_key(&f.key_id)), [OK, OK, KIS_DEL, KIS_IMPORT]),
        row(
            "EnableKeyRotation",
            |f| Some(f.store.enable_key_rotation(&f.key_id, None)),
            [OK, DIS, KIS_DEL, UOE_EXTERNAL],
        ),
        row(
            "Encrypt",
            |f| {
                Some(
                    f.store
                        .encrypt(EncryptRequest { key_id: &f.key_id, plaintext: b"x", ..Default::default() })
                        .map(drop),
                )
            },
            [OK, DIS, KIS_DEL, KIS_IMPORT],
        ),
        row(
            "GenerateDataKey",
            |f| {
                Some(
                    f.store
                        .generate_data_key(GenerateDataKeyRequest {
                            key_id: &f.key_id,
                            key_spec: Some(DataKeySpec::Aes256),
                            ..Default::default()
                        })
                        .map(drop),
                )
            },
            [OK, DIS, KIS_DEL, KIS_IMPORT],
        ),
        row(
            "GenerateDataKeyWithoutPlaintext",
            |f| {
                Some(
                    f.store
                        .generate_data_key_without_plaintext(GenerateDataKeyRequest {
                            key_id: &f.key_id,
                            number_of_bytes: Some(64),
                            ..Default::default()
                        })
                        .map(drop),
                )
            },
            [OK, DIS, KIS_DEL, KIS_IMPORT],
        ),
        row(
            "GetKeyRotationStatus",
            |f| Some(f.store.get_key_rotation_status(&f.key_id).map(drop)),
            [OK, OK, OK, UOE_EXTERNAL],
        ),
        row("ListAliases", |f| Some(f.store.list_aliases(Some(&f.key_id), None, None).map(drop)), [OK, OK, OK, OK]),
        row(
            "ListKeyRotations",
            |f| Some(f.store.list_key_rotations(&f.key_id, None, None, None).map(drop)),
            [OK, OK, OK, OK],
        ),
        row(
            "ListResourceTags",
            |f| Some(f.store.list_resource_tags(&f.key_id, None, None).map(drop)),
            [OK, OK, OK, OK],
        ),
        row(
            "ReEncrypt (source key)",
            |f| {
                f.blob.as_ref().map(|b| {
                    f.store
                        .re_encrypt(ReEncryptRequest {
                            ciphertext_blob: b,
                            destination_key_id: &f.other_key_id,
                            ..Default::default()
                        })
                        .map(drop)
                })
            },
            [OK, DIS, KIS_DEL, NA],
        ),
        row(
            "ReEncrypt (destination key)",
            |f| {
                let blob = f
                    .store
                    .encrypt(EncryptRequest { key_id: &f.other_key_id, plaintext: b"x", ..Default::default() })
                    .ok()?
                    .ciphertext_blob;
                Some(
                    f.store
                        .re_encrypt(ReEncryptRequest {
                            ciphertext_blob: &blob,
                            destination_key_id: &f.key_id,
                            ..Default::default()
                        })
                        .map(drop),
                )
            },
            [OK, DIS, KIS_DEL, KIS_IMPORT],
        ),
        row(
            "RotateKeyOnDemand",
            |f| Some(f.store.rotate_key_on_demand(&f.key_id).map(drop)),
            [OK, DIS, KIS_DEL, KIS_IMPORT],
        ),
        row(
            "ScheduleKeyDeletion",
            |f| Some(f.store.schedule_key_deletion(&f.key_id, None).map(drop)),
            [OK, OK, KIS_DEL, OK],
        ),
        row("TagResource", |f| Some(f.store.tag_resource(&f.key_id, &[Tag::new("k", "v")])), [OK, OK, KIS_DEL, OK]),
        row("UntagResource", |f| Some(f.store.untag_resource(&f.key_id, &["k".into()])), [OK, OK, KIS_DEL, OK]),
        row(
            "UpdateAlias (destination key)",
            |f| Some(f.store.update_alias("alias/existing", &f.key_id)),
            [OK, OK, KIS_DEL, OK],
        ),
        row("UpdateKeyDescription", |f| Some(f.store.update_key_description(&f.key_id, "d")), [OK, OK, KIS_DEL, OK]),
    ];
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, op, expected) in table {
        for (state, expect) in STATES.iter().zip(expected) {
            let f = fixture(*state);
            let outcome = op(&f);
            let verdict = match (expect, outcome) {
                (NA, None) => Ok(()),
                (OK, Some(Ok(()))) => Ok(()),
                (E(kind, fragment), Some(Err(err))) if err.kind() == kind && err.message().contains(fragment) => Ok(()),
                (expect, outcome) => Err(format!("{name} in {state}: expected {expect:?}, got {outcome:?}")),
            };
            match verdict {
                Ok(()) => checked += 1,
                Err(message) => failures.push(message),
            }
        }
    }
    assert!(failures.is_empty(), "{} cells differ from AWS:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(checked, 24 * 4);
}

#[test]
fn a_failed_state_check_changes_nothing() {
    let f = fixture(KeyState::PendingDeletion);
    let before = f.store.describe_key(&f.key_id).unwrap();
    assert!(f.store.tag_resource(&f.key_id, &[Tag::new("k", "v")]).is_err());
    assert!(f.store.update_key_description(&f.key_id, "changed").is_err());
    assert!(f.store.enable_key(&f.key_id).is_err());
    assert_eq!(f.store.describe_key(&f.key_id).unwrap(), before);
    assert!(f.store.list_resource_tags(&f.key_id, None, None).unwrap().items.is_empty());
}
