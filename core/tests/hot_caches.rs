//! The per-call caches (compiled policies and their remembered decisions, key records, decrypted
//! materials) never serve a stale answer: a policy change, a grant created, retired or revoked,
//! a key disabled and a key scheduled for deletion through *another handle* of the same store
//! are all seen by the very next call of a handle whose caches are warm. Checked on an in-memory
//! store (handles sharing one store) and on a folder store opened twice (two handles with their
//! own caches, as two processes would have).
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use keystead_core::{
    CreateGrantRequest, CreateKeyRequest, DecryptRequest, EncryptRequest, ErrorKind, GrantOperation, GrantRef, Keystead,
};

const CHECKOUT: &str = "arn:aws:iam::111122223333:role/checkout";
const ADMIN: &str = "arn:aws:iam::111122223333:user/admin";

/// Two handles on one store: `(user side, admin side)`, plus the folder kept alive.
struct Pair {
    user: Keystead,
    admin: Keystead,
    _dir: Option<tempfile::TempDir>,
}

fn in_memory() -> Pair {
    let store = Keystead::builder().open_in_memory().unwrap();
    Pair { user: store.clone(), admin: store, _dir: None }
}

fn folder() -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let user = Keystead::builder().without_audit().open(dir.path()).unwrap();
    let admin = Keystead::builder().without_audit().open(dir.path()).unwrap();
    Pair { user, admin, _dir: Some(dir) }
}

fn both() -> [(&'static str, Pair); 2] {
    [("in-memory", in_memory()), ("folder", folder())]
}

/// A policy (no conditions, `Resource: *`, so its decisions are remembered) that lets the admin
/// do everything and, when `checkout` is set, lets checkout Encrypt and Decrypt.
fn policy(checkout: bool, deny_checkout: bool) -> String {
    let mut statements = vec![format!(
        r#"{{"Effect": "Allow", "Principal": {{"AWS": "{ADMIN}"}}, "Action": "kms:*", "Resource": "*"}}"#
    )];
    if checkout {
        statements.push(format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{CHECKOUT}"}}, "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}}"#
        ));
    }
    if deny_checkout {
        statements.push(format!(
            r#"{{"Effect": "Deny", "Principal": {{"AWS": "{CHECKOUT}"}}, "Action": "kms:Encrypt", "Resource": "*"}}"#
        ));
    }
    format!(r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#, statements.join(","))
}

fn encrypt(store: &Keystead, key_id: &str) -> keystead_core::Result<Vec<u8>> {
    store.encrypt(EncryptRequest { key_id, plaintext: b"order 42", ..Default::default() }).map(|r| r.ciphertext_blob)
}

fn decrypt(store: &Keystead, blob: &[u8]) -> keystead_core::Result<Vec<u8>> {
    store.decrypt(DecryptRequest { ciphertext_blob: blob, ..Default::default() }).map(|r| r.plaintext.expose().to_vec())
}

fn kind<T: std::fmt::Debug>(result: keystead_core::Result<T>) -> ErrorKind {
    result.expect_err("expected an error").kind()
}

/// A key administered by ADMIN through the admin handle; returns (key id, checkout handle on the
/// user side, admin handle on the admin side).
fn key_with_policy(pair: &Pair, checkout_allowed: bool) -> (String, Keystead, Keystead) {
    let admin = pair.admin.as_principal(ADMIN).unwrap();
    let key_id = admin
        .create_key(CreateKeyRequest { policy: Some(policy(checkout_allowed, false)), ..Default::default() })
        .unwrap()
        .key_id;
    (key_id, pair.user.as_principal(CHECKOUT).unwrap(), admin)
}

/// Warms every cache of `checkout` for `key_id`: several calls with the same answer.
fn warm<T: std::fmt::Debug>(call: impl Fn() -> keystead_core::Result<T>, allowed: bool) {
    for _ in 0..5 {
        assert_eq!(call().is_ok(), allowed, "{:?}", call());
    }
}

#[test]
fn a_policy_change_is_seen_by_the_next_call() {
    for (name, pair) in both() {
        let (key_id, checkout, admin) = key_with_policy(&pair, true);
        warm(|| encrypt(&checkout, &key_id), true);
        let blob = encrypt(&checkout, &key_id).unwrap();
        warm(|| decrypt(&checkout, &blob), true);

        admin.put_key_policy(&key_id, &policy(false, false), None, false).unwrap();
        assert_eq!(kind(encrypt(&checkout, &key_id)), ErrorKind::AccessDenied, "{name}: allow removed");
        assert_eq!(kind(decrypt(&checkout, &blob)), ErrorKind::AccessDenied, "{name}: allow removed");
        warm(|| encrypt(&checkout, &key_id), false);

        admin.put_key_policy(&key_id, &policy(true, false), None, false).unwrap();
        assert!(encrypt(&checkout, &key_id).is_ok(), "{name}: allow restored");
        warm(|| encrypt(&checkout, &key_id), true);

        admin.put_key_policy(&key_id, &policy(true, true), None, false).unwrap();
        assert_eq!(kind(encrypt(&checkout, &key_id)), ErrorKind::AccessDenied, "{name}: explicit deny");
        assert_eq!(decrypt(&checkout, &blob).unwrap(), b"order 42", "{name}: the deny names Encrypt only");
    }
}

#[test]
fn grants_created_retired_and_revoked_are_seen_by_the_next_call() {
    for (name, pair) in both() {
        let (key_id, checkout, admin) = key_with_policy(&pair, false);
        // The policy's ImplicitDeny for checkout is remembered; grants must still be read.
        warm(|| encrypt(&checkout, &key_id), false);
        let grant = |retiring: Option<&str>| {
            admin
                .create_grant(CreateGrantRequest {
                    key_id: &key_id,
                    grantee_principal: CHECKOUT,
                    retiring_principal: retiring,
                    operations: &[GrantOperation::Encrypt],
                    ..Default::default()
                })
                .unwrap()
        };

        let created = grant(Some(CHECKOUT));
        assert!(encrypt(&checkout, &key_id).is_ok(), "{name}: grant created");
        warm(|| encrypt(&checkout, &key_id), true);
        // Retired through the user side's own store handle by the retiring principal... of the
        // admin side's handle (the grant was made there).
        admin.as_principal(CHECKOUT).unwrap().retire_grant(GrantRef::Token(&created.grant_token), false).unwrap();
        assert_eq!(kind(encrypt(&checkout, &key_id)), ErrorKind::AccessDenied, "{name}: grant retired");

        let created = grant(None);
        assert!(encrypt(&checkout, &key_id).is_ok(), "{name}: second grant created");
        warm(|| encrypt(&checkout, &key_id), true);
        admin.revoke_grant(&key_id, &created.grant_id, false).unwrap();
        assert_eq!(kind(encrypt(&checkout, &key_id)), ErrorKind::AccessDenied, "{name}: grant revoked");
    }
}

#[test]
fn a_disabled_key_is_seen_by_the_next_call() {
    for (name, pair) in both() {
        let (key_id, checkout, admin) = key_with_policy(&pair, true);
        warm(|| encrypt(&checkout, &key_id), true);
        let blob = encrypt(&checkout, &key_id).unwrap();
        warm(|| decrypt(&checkout, &blob), true);

        admin.disable_key(&key_id).unwrap();
        assert_eq!(kind(encrypt(&checkout, &key_id)), ErrorKind::Disabled, "{name}: disabled");
        assert_eq!(kind(decrypt(&checkout, &blob)), ErrorKind::Disabled, "{name}: disabled");

        admin.enable_key(&key_id).unwrap();
        assert_eq!(decrypt(&checkout, &blob).unwrap(), b"order 42", "{name}: enabled again");
        assert!(encrypt(&checkout, &key_id).is_ok(), "{name}: enabled again");
    }
}

#[test]
fn a_key_scheduled_for_deletion_is_seen_by_the_next_call() {
    for (name, pair) in both() {
        let (key_id, checkout, admin) = key_with_policy(&pair, true);
        warm(|| encrypt(&checkout, &key_id), true);
        let blob = encrypt(&checkout, &key_id).unwrap();
        warm(|| decrypt(&checkout, &blob), true);

        admin.schedule_key_deletion(&key_id, Some(7)).unwrap();
        assert_eq!(kind(encrypt(&checkout, &key_id)), ErrorKind::InvalidState, "{name}: pending deletion");
        assert_eq!(kind(decrypt(&checkout, &blob)), ErrorKind::InvalidState, "{name}: pending deletion");

        admin.cancel_key_deletion(&key_id).unwrap();
        // Cancelling leaves the key disabled (AWS).
        assert_eq!(kind(encrypt(&checkout, &key_id)), ErrorKind::Disabled, "{name}: cancelled, disabled");
    }
}

/// The default key policy (shared by every key of a store, decisions remembered per caller) is
/// replaced by a custom one on the very next call, and other callers get their own decisions.
#[test]
fn remembered_default_policy_decisions_are_per_caller_and_per_policy() {
    for (name, pair) in both() {
        let key_id = pair.admin.create_key(CreateKeyRequest::default()).unwrap().key_id;
        let outsider = pair.user.as_principal("arn:aws:iam::444455556666:role/intruder").unwrap();
        let insider = pair.user.as_principal(CHECKOUT).unwrap();
        warm(|| encrypt(&insider, &key_id), true);
        warm(|| encrypt(&outsider, &key_id), false);
        assert_eq!(kind(encrypt(&outsider, &key_id)), ErrorKind::AccessDenied, "{name}");

        let admin = pair.admin.clone();
        admin.put_key_policy(&key_id, &policy(false, false), None, true).unwrap();
        assert_eq!(kind(encrypt(&insider, &key_id)), ErrorKind::AccessDenied, "{name}: custom policy now");
        assert!(encrypt(&pair.user.as_principal(ADMIN).unwrap(), &key_id).is_ok(), "{name}: admin allowed");
    }
}
