//! The SQLite backend caches parsed key records and aliases between calls. A change made
//! through another handle on the same folder, through this handle, or by another process
//! writing the database must be seen by the very next call.
#![allow(clippy::unwrap_used)]

use keystead_core::{CreateKeyRequest, EncryptRequest, ErrorKind, Keystead};

fn open(dir: &std::path::Path) -> Keystead {
    Keystead::builder().without_audit().open(dir).unwrap()
}

fn encrypt(store: &Keystead, key: &str) -> keystead_core::Result<String> {
    store.encrypt(EncryptRequest { key_id: key, plaintext: b"cached?", ..Default::default() }).map(|r| r.key_id)
}

#[test]
fn another_handle_s_changes_are_seen_by_the_next_call() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path());
    let b = open(dir.path());
    let key = a.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let other = a.create_key(CreateKeyRequest::default()).unwrap().key_id;
    a.create_alias("alias/orders", &key).unwrap();
    // Warm a's cache: key record and alias.
    for _ in 0..3 {
        assert!(encrypt(&a, &key).unwrap().ends_with(&key));
        assert!(encrypt(&a, "alias/orders").unwrap().ends_with(&key));
    }

    b.disable_key(&key).unwrap();
    assert_eq!(encrypt(&a, &key).unwrap_err().kind(), ErrorKind::Disabled);
    b.enable_key(&key).unwrap();
    assert!(encrypt(&a, &key).is_ok());

    b.update_alias("alias/orders", &other).unwrap();
    assert!(encrypt(&a, "alias/orders").unwrap().ends_with(&other), "the alias's new target is used");

    let deny = r#"{"Version": "2012-10-17", "Statement": [
        {"Sid": "All", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "NoEncrypt", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:Encrypt", "Resource": "*"}
    ]}"#;
    b.put_key_policy(&key, deny, None, false).unwrap();
    assert_eq!(encrypt(&a, &key).unwrap_err().kind(), ErrorKind::AccessDenied, "the new policy applies");

    b.schedule_key_deletion(&other, Some(7)).unwrap();
    assert_eq!(encrypt(&a, &other).unwrap_err().kind(), ErrorKind::InvalidState);
    b.cancel_key_deletion(&other).unwrap();
    // Cancelling leaves the key disabled (AWS).
    assert_eq!(encrypt(&a, &other).unwrap_err().kind(), ErrorKind::Disabled);

    // A key created by b that a once looked up and did not find.
    let missing = "11111111-2222-3333-4444-555555555555";
    assert_eq!(encrypt(&a, missing).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(encrypt(&a, "alias/later").unwrap_err().kind(), ErrorKind::NotFound);
    let fresh = b.create_key(CreateKeyRequest::default()).unwrap().key_id;
    b.create_alias("alias/later", &fresh).unwrap();
    assert!(encrypt(&a, "alias/later").unwrap().ends_with(&fresh), "a cached absence does not outlive a create");
}

#[test]
fn this_handle_s_own_changes_are_seen_by_its_next_call() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path());
    let key = a.create_key(CreateKeyRequest::default()).unwrap().key_id;
    assert!(encrypt(&a, &key).is_ok());
    a.disable_key(&key).unwrap();
    assert_eq!(encrypt(&a, &key).unwrap_err().kind(), ErrorKind::Disabled);
    a.enable_key(&key).unwrap();
    assert!(encrypt(&a, &key).is_ok());
    // A clone shares the handle (and its cache); the store is the same either way.
    let clone = a.clone();
    clone.disable_key(&key).unwrap();
    assert_eq!(encrypt(&a, &key).unwrap_err().kind(), ErrorKind::Disabled);
}

/// Another process's commit, simulated by a connection of our own (SQLite tells connections
/// apart, not processes): the key document is edited directly in the database.
#[test]
fn a_commit_by_a_foreign_connection_is_seen_by_the_next_call() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path());
    let key = a.create_key(CreateKeyRequest::default()).unwrap().key_id;
    for _ in 0..3 {
        assert!(encrypt(&a, &key).is_ok());
    }
    let conn = rusqlite::Connection::open(dir.path().join(keystead_core::DATABASE_FILE_NAME)).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let set_state = |from: &str, to: &str| {
        let doc: String = conn.query_row("SELECT doc FROM keys WHERE key_id = ?1", [&key], |row| row.get(0)).unwrap();
        let edited = doc.replace(&format!("\"{from}\""), &format!("\"{to}\""));
        assert_ne!(doc, edited, "the document names the state {from}: {doc}");
        conn.execute("UPDATE keys SET doc = ?1 WHERE key_id = ?2", [&edited, &key]).unwrap();
    };
    set_state("Enabled", "Disabled");
    assert_eq!(encrypt(&a, &key).unwrap_err().kind(), ErrorKind::Disabled);
    set_state("Disabled", "Enabled");
    assert!(encrypt(&a, &key).is_ok());
    conn.execute("DELETE FROM keys WHERE key_id = ?1", [&key]).unwrap();
    assert_eq!(encrypt(&a, &key).unwrap_err().kind(), ErrorKind::NotFound);
}
