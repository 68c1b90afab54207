//! The envelope helpers: configuration secrets (`keystead:v1:...`, `decrypt_env`) and
//! field-level record encryption (`encrypt_fields` / `decrypt_fields`, `docs/format.md`
//! sections 6 and 7).
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use keystead_core::envelope::{
    decrypt_env, decrypt_fields, decrypt_secret, encrypt_fields, encrypt_secret, is_secret, OpenOptions, SealOptions,
    FIELDS_ATTRIBUTE, SECRET_PREFIX, VARIABLE_CONTEXT_KEY,
};
use keystead_core::{CreateKeyRequest, EncryptionContext, ErrorKind, Keystead};
use serde_json::{json, Value};

fn store_and_key() -> (Keystead, String) {
    let store = Keystead::builder().open_in_memory().expect("open");
    let id = store.create_key(CreateKeyRequest::default()).expect("create").key_id;
    (store, id)
}

fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

// ---------------------------------------------------------------- secrets

#[test]
fn secrets_round_trip_and_are_bound_to_their_variable_and_context() {
    let (store, key) = store_and_key();
    let context = ctx(&[("function", "checkout")]);
    let text = encrypt_secret(&store, &key, "DB_PASSWORD", b"hunter2", &context).unwrap();
    assert!(text.starts_with(SECRET_PREFIX), "{text}");
    assert!(is_secret(&text));
    assert!(!text.contains("hunter2"));
    assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_:".contains(&b)), "one shell-safe word");
    let open = OpenOptions::default();
    assert_eq!(decrypt_secret(&store, "DB_PASSWORD", &text, &context, &open).unwrap().expose(), b"hunter2");
    // Another variable, another context, no context: refused with the one ciphertext error.
    for (name, context) in [("API_KEY", context.clone()), ("DB_PASSWORD", ctx(&[("function", "refunds")]))] {
        let err = decrypt_secret(&store, name, &text, &context, &open).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
    }
    let err = decrypt_secret(&store, "DB_PASSWORD", &text, &EncryptionContext::new(), &open).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
    // Two encryptions of one value differ (fresh data key and message id).
    assert_ne!(text, encrypt_secret(&store, &key, "DB_PASSWORD", b"hunter2", &context).unwrap());
}

#[test]
fn secret_inputs_are_validated() {
    let (store, key) = store_and_key();
    let none = EncryptionContext::new();
    for (name, value) in [("", &b"x"[..]), ("A=B", b"x"), ("OK", b""), ("OK", &[0u8; 4097][..])] {
        let err = encrypt_secret(&store, &key, name, value, &none).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{name:?}");
    }
    let reserved = ctx(&[(VARIABLE_CONTEXT_KEY, "X")]);
    assert_eq!(encrypt_secret(&store, &key, "X", b"v", &reserved).unwrap_err().kind(), ErrorKind::Validation);
    let err = encrypt_secret(&store, "alias/missing", "X", b"v", &none).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let open = OpenOptions::default();
    assert_eq!(decrypt_secret(&store, "X", "plain", &none, &open).unwrap_err().kind(), ErrorKind::Validation);
    let err = decrypt_secret(&store, "X", "keystead:v9:abc", &none, &open).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.message().contains("version"), "{}", err.message());
    let err = decrypt_secret(&store, "X", "keystead:v1:!!!", &none, &open).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
}

#[test]
fn every_changed_character_of_a_secret_is_refused() {
    let (store, key) = store_and_key();
    let none = EncryptionContext::new();
    let text = encrypt_secret(&store, &key, "TOKEN", b"s3cr3t", &none).unwrap();
    let open = OpenOptions::default();
    for at in SECRET_PREFIX.len()..text.len() {
        let mut bad: Vec<u8> = text.clone().into_bytes();
        bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        // The last character of unpadded base64 may carry unused bits; a change there that
        // decodes to the same bytes is not a change of the message.
        let same = URL_SAFE_NO_PAD.decode(&bad[SECRET_PREFIX.len()..]).ok()
            == URL_SAFE_NO_PAD.decode(&text[SECRET_PREFIX.len()..]).ok();
        if same {
            continue;
        }
        assert!(decrypt_secret(&store, "TOKEN", &bad, &none, &open).is_err(), "changed at {at}");
    }
    let truncated = &text[..text.len() - 4];
    assert!(decrypt_secret(&store, "TOKEN", truncated, &none, &open).is_err());
}

#[test]
fn decrypt_env_opens_secrets_and_leaves_the_rest_alone() {
    let (store, key) = store_and_key();
    let context = ctx(&[("service", "shop")]);
    let db = encrypt_secret(&store, &key, "DB_PASSWORD", b"pw-1", &context).unwrap();
    let api = encrypt_secret(&store, &key, "API_KEY", b"key-2", &context).unwrap();
    let vars = vec![
        ("PATH".to_owned(), "/usr/bin".to_owned()),
        ("DB_PASSWORD".to_owned(), db.clone()),
        ("LOG_LEVEL".to_owned(), "debug".to_owned()),
        ("API_KEY".to_owned(), api),
        ("NOTE".to_owned(), "keystead: is great".to_owned()),
    ];
    let opened = decrypt_env(&store, vars, &context, &OpenOptions::default()).unwrap();
    let opened: Vec<(String, Vec<u8>)> = opened.into_iter().map(|(k, v)| (k, v.expose().to_vec())).collect();
    assert_eq!(opened, vec![("DB_PASSWORD".to_owned(), b"pw-1".to_vec()), ("API_KEY".to_owned(), b"key-2".to_vec())]);

    // A value moved to another variable fails the whole call, naming the variable but not
    // showing the value.
    let moved = vec![("PATH", "/usr/bin"), ("ADMIN_PASSWORD", db.as_str())];
    let err = decrypt_env(&store, moved, &context, &OpenOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext);
    assert!(err.message().contains("ADMIN_PASSWORD"), "{}", err.message());
    assert!(!err.message().contains(&db[SECRET_PREFIX.len()..]));

    // A disabled key is reported as such.
    store.disable_key(&key).unwrap();
    let err = decrypt_env(&store, vec![("DB_PASSWORD", db.as_str())], &context, &OpenOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Disabled);
    assert!(err.message().contains("DB_PASSWORD"));
}

// ---------------------------------------------------------------- fields

fn customer() -> Value {
    json!({
        "pk": "customer#42",
        "name": "Ada Lovelace",
        "card": "4111 1111 1111 1111",
        "address": {"city": "London", "lines": ["12 St James's Square"]},
        "balance": 12.5,
        "vip": true,
        "notes": null,
    })
}

#[test]
fn fields_round_trip_any_json_value_and_leave_the_others_readable() {
    let (store, key) = store_and_key();
    let context = ctx(&[("table", "customers"), ("pk", "customer#42")]);
    let record = customer();
    let fields = ["card", "address", "balance", "vip", "notes"];
    let sealed = encrypt_fields(&store, &key, &record, &fields, &context, &SealOptions::default()).unwrap();
    assert_eq!(sealed["pk"], "customer#42");
    assert_eq!(sealed["name"], "Ada Lovelace");
    for field in fields {
        let text = sealed[field].as_str().unwrap();
        assert!(!text.contains("4111") && !text.contains("London"));
    }
    // Compact: a field's ciphertext is its JSON text plus a 16-byte tag, in base64url.
    let card_json_len = serde_json::to_vec(&record["card"]).unwrap().len();
    assert_eq!(URL_SAFE_NO_PAD.decode(sealed["card"].as_str().unwrap()).unwrap().len(), card_json_len + 16);
    assert!(sealed[FIELDS_ATTRIBUTE].is_string());
    let opened = decrypt_fields(&store, &sealed, &context, &OpenOptions::default()).unwrap();
    assert_eq!(opened, record);
}

fn refused(store: &Keystead, record: &Value, context: &EncryptionContext, what: &str) {
    let err = decrypt_fields(store, record, context, &OpenOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCiphertext, "{what}: {err:?}");
}

#[test]
fn moved_changed_or_removed_fields_and_other_contexts_are_refused() {
    let (store, key) = store_and_key();
    let context = ctx(&[("table", "customers"), ("pk", "customer#42")]);
    let mut other = customer();
    other["card"] = json!("5500 0000 0000 0004");
    let options = SealOptions::default();
    let a = encrypt_fields(&store, &key, &customer(), &["card", "name"], &context, &options).unwrap();
    let b = encrypt_fields(&store, &key, &other, &["card", "name"], &context, &options).unwrap();

    let mut swapped = a.clone();
    swapped["card"] = a["name"].clone();
    swapped["name"] = a["card"].clone();
    refused(&store, &swapped, &context, "fields swapped within a record");

    let mut spliced = a.clone();
    spliced["card"] = b["card"].clone();
    refused(&store, &spliced, &context, "a field from another record");

    let mut removed = a.clone();
    removed.as_object_mut().unwrap().remove("card");
    refused(&store, &removed, &context, "an encrypted field removed");

    let mut cleared = a.clone();
    cleared["card"] = json!(null);
    refused(&store, &cleared, &context, "an encrypted field replaced by a non-string");

    let text = a["card"].as_str().unwrap().to_owned();
    for at in 0..text.len() {
        let mut bytes = text.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        if URL_SAFE_NO_PAD.decode(&changed).ok() == URL_SAFE_NO_PAD.decode(&text).ok() {
            continue;
        }
        let mut bad = a.clone();
        bad["card"] = json!(changed);
        refused(&store, &bad, &context, "a changed ciphertext character");
    }

    let header = URL_SAFE_NO_PAD.decode(a[FIELDS_ATTRIBUTE].as_str().unwrap()).unwrap();
    for at in 0..header.len() {
        let mut changed = header.clone();
        changed[at] ^= 0x20;
        let mut bad = a.clone();
        bad[FIELDS_ATTRIBUTE] = json!(URL_SAFE_NO_PAD.encode(&changed));
        let result = decrypt_fields(&store, &bad, &context, &OpenOptions::default());
        assert!(result.is_err(), "header byte {at} changed");
    }
    let mut short = a.clone();
    short[FIELDS_ATTRIBUTE] = json!(URL_SAFE_NO_PAD.encode(&header[..header.len() - 1]));
    refused(&store, &short, &context, "a truncated header");
    let mut header_b = a.clone();
    header_b[FIELDS_ATTRIBUTE] = b[FIELDS_ATTRIBUTE].clone();
    refused(&store, &header_b, &context, "another record's header");

    refused(&store, &a, &ctx(&[("table", "customers"), ("pk", "customer#43")]), "another record's context");
    refused(&store, &a, &EncryptionContext::new(), "no context");

    // The untouched record still opens: nothing above changed state.
    assert_eq!(decrypt_fields(&store, &a, &context, &OpenOptions::default()).unwrap(), customer());
}

#[test]
fn field_inputs_are_validated() {
    let (store, key) = store_and_key();
    let none = EncryptionContext::new();
    let options = SealOptions::default();
    let record = customer();
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!([1, 2]), vec!["card"]),
        (record.clone(), vec![]),
        (record.clone(), vec!["missing"]),
        (record.clone(), vec!["card", "card"]),
        (json!({"keystead:fields": "x", "card": 1}), vec!["card"]),
    ];
    for (record, fields) in cases {
        let err = encrypt_fields(&store, &key, &record, &fields, &none, &options).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{record} {fields:?}");
    }
    let err = decrypt_fields(&store, &record, &none, &OpenOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "no encrypted fields");
}

#[test]
fn fields_honour_additional_keys_and_the_allow_list() {
    let (store, first) = store_and_key();
    let second = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let none = EncryptionContext::new();
    let options = SealOptions { additional_key_ids: vec![second.clone()], ..Default::default() };
    let sealed = encrypt_fields(&store, &first, &customer(), &["card"], &none, &options).unwrap();
    store.disable_key(&first).unwrap();
    // The first key is disabled; the second opens the record.
    assert_eq!(decrypt_fields(&store, &sealed, &none, &OpenOptions::default()).unwrap(), customer());
    let only_first = OpenOptions { allowed_wrapping_keys: Some(vec![first]), ..Default::default() };
    assert_eq!(decrypt_fields(&store, &sealed, &none, &only_first).unwrap_err().kind(), ErrorKind::Disabled);
    let only_second = OpenOptions { allowed_wrapping_keys: Some(vec![second]), ..Default::default() };
    assert_eq!(decrypt_fields(&store, &sealed, &none, &only_second).unwrap(), customer());
    let max_one = OpenOptions { max_encrypted_data_keys: 1, ..Default::default() };
    assert_eq!(decrypt_fields(&store, &sealed, &none, &max_one).unwrap_err().kind(), ErrorKind::InvalidCiphertext);
}
