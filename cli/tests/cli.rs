//! End-to-end tests of the `keystead` binary: every subcommand, blob inputs, output shaping,
//! exit codes and aws-cli error lines.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keystead");

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(text.trim()).expect("valid base64")
}

/// A fresh store in a temporary folder.
struct Store {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    env: Vec<(String, String)>,
    root_args: Vec<String>,
}

impl Store {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("store");
        let store = Self { _tmp: tmp, dir, env: Vec::new(), root_args: Vec::new() };
        store.ok(&["init"]);
        store
    }

    fn uninitialized() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("store");
        Self { _tmp: tmp, dir, env: Vec::new(), root_args: Vec::new() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.arg("--store").arg(&self.dir).args(&self.root_args).args(args);
        command.env_remove("KEYSTEAD_STORE");
        for (k, v) in &self.env {
            command.env(k, v);
        }
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().expect("run keystead")
    }

    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn keystead");
        child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
        child.wait_with_output().expect("wait keystead")
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "keystead {args:?} failed ({:?}): {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 stdout")
    }

    /// Runs a command that must succeed and print JSON.
    fn json(&self, args: &[&str]) -> Value {
        let stdout = self.ok(args);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("keystead {args:?}: not JSON ({e}): {stdout}"))
    }

    /// Runs a command that must print nothing and succeed.
    fn silent(&self, args: &[&str]) {
        let stdout = self.ok(args);
        assert!(stdout.is_empty(), "keystead {args:?} printed {stdout:?}");
    }

    /// Runs a command that must fail with a service error; returns the exception name line.
    fn service_error(&self, args: &[&str], exception: &str, operation: &str) -> String {
        let output = self.run(args);
        assert_eq!(output.status.code(), Some(254), "keystead {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8(output.stderr).expect("utf-8 stderr");
        let line = stderr.lines().find(|l| !l.is_empty()).expect("an error line").to_owned();
        let prefix = format!("An error occurred ({exception}) when calling the {operation} operation: ");
        assert!(line.starts_with(&prefix), "expected {prefix:?}, got {line:?}");
        assert!(line.len() > prefix.len(), "empty message");
        line
    }

    fn create_key(&self, extra: &[&str]) -> String {
        let mut args = vec!["create-key"];
        args.extend_from_slice(extra);
        let v = self.json(&args);
        v["KeyMetadata"]["KeyId"].as_str().expect("KeyId").to_owned()
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn init_prints_identity_and_honours_region_and_account() {
    let store = Store::uninitialized();
    let v = store.json(&["init", "--region", "eu-west-2", "--account-id", "123456789012"]);
    assert_eq!(v["Region"], "eu-west-2");
    assert_eq!(v["AccountId"], "123456789012");
    assert!(v["Store"].as_str().expect("Store").ends_with("store"));
    assert!(store.dir.join("keystead.db").exists());
    let key = store.json(&["create-key"]);
    let arn = key["KeyMetadata"]["Arn"].as_str().expect("Arn");
    assert!(arn.starts_with("arn:aws:kms:eu-west-2:123456789012:key/"), "{arn}");
    assert_eq!(key["KeyMetadata"]["AWSAccountId"], "123456789012");
    // init again reopens and reports the stored identity
    let again = store.json(&["init"]);
    assert_eq!(again["Region"], "eu-west-2");
}

#[test]
fn store_from_environment_variable() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("envstore");
    let output = Command::new(BIN).arg("init").env("KEYSTEAD_STORE", &dir).output().expect("run");
    assert!(output.status.success());
    let v: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(v["Store"].as_str().map(|s| s.ends_with("envstore")), Some(true));
    assert!(dir.join("keystead.db").exists());
}

#[test]
fn commands_need_an_initialized_store() {
    let store = Store::uninitialized();
    let output = store.run(&["list-keys"]);
    assert_eq!(output.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&output.stderr).contains("keystead init"));
    assert!(!store.dir.exists());
}

#[test]
fn create_describe_and_update_key() {
    let store = Store::new();
    let v = store.json(&[
        "create-key",
        "--description",
        "orders",
        "--tags",
        "TagKey=team,TagValue=payments",
        "TagKey=env,TagValue=prod",
    ]);
    let meta = &v["KeyMetadata"];
    assert_eq!(meta["Description"], "orders");
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["Enabled"], true);
    assert_eq!(meta["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(meta["KeyUsage"], "ENCRYPT_DECRYPT");
    assert!(meta["CreationDate"].is_number());
    let key_id = meta["KeyId"].as_str().expect("KeyId");

    let described = store.json(&["describe-key", "--key-id", key_id]);
    assert_eq!(described["KeyMetadata"]["KeyId"], key_id);
    assert_eq!(described["KeyMetadata"]["Arn"], meta["Arn"]);

    store.silent(&["update-key-description", "--key-id", key_id, "--description", "invoices"]);
    let described = store.json(&["describe-key", "--key-id", key_id]);
    assert_eq!(described["KeyMetadata"]["Description"], "invoices");

    let tags = store.json(&["list-resource-tags", "--key-id", key_id]);
    assert_eq!(tags["Truncated"], false);
    let tags = tags["Tags"].as_array().expect("Tags");
    assert_eq!(tags.len(), 2);
    assert!(tags.iter().any(|t| t["TagKey"] == "team" && t["TagValue"] == "payments"));
}

#[test]
fn create_key_with_spec_and_json_tags() {
    let store = Store::new();
    let v = store.json(&[
        "create-key",
        "--key-spec",
        "SYMMETRIC_DEFAULT",
        "--key-usage",
        "ENCRYPT_DECRYPT",
        "--tags",
        r#"[{"TagKey":"a","TagValue":"1"},{"TagKey":"b","TagValue":"2"}]"#,
    ]);
    assert_eq!(v["KeyMetadata"]["KeySpec"], "SYMMETRIC_DEFAULT");
    let key_id = v["KeyMetadata"]["KeyId"].as_str().expect("KeyId");
    let tags = store.json(&["list-resource-tags", "--key-id", key_id]);
    assert_eq!(tags["Tags"].as_array().map(Vec::len), Some(2));
    store.service_error(&["create-key", "--key-spec", "NOPE"], "ValidationException", "CreateKey");
    let hmac = store.json(&["create-key", "--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC"]);
    assert_eq!(hmac["KeyMetadata"]["MacAlgorithms"][0], "HMAC_SHA_256");
    // HMAC keys must say their usage; the ENCRYPT_DECRYPT default does not fit them.
    store.service_error(&["create-key", "--key-spec", "HMAC_256"], "ValidationException", "CreateKey");
    // RSA encryption keys arrive with asymmetric Encrypt/Decrypt.
    store.service_error(
        &["create-key", "--key-spec", "RSA_2048", "--key-usage", "ENCRYPT_DECRYPT"],
        "UnsupportedOperationException",
        "CreateKey",
    );
    let keys = store.json(&["list-keys"]);
    assert_eq!(keys["Keys"].as_array().map(Vec::len), Some(2));
}

#[test]
fn tag_untag_and_paginate_tags() {
    let store = Store::new();
    let key = store.create_key(&[]);
    store.silent(&["tag-resource", "--key-id", &key, "--tags", "TagKey=a,TagValue=1", "TagKey=b,TagValue=2"]);
    store.silent(&["tag-resource", "--key-id", &key, "--tags", r#"{"TagKey":"c","TagValue":"3"}"#]);
    let page = store.json(&["list-resource-tags", "--key-id", &key, "--limit", "2"]);
    assert_eq!(page["Tags"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["Truncated"], true);
    let marker = page["NextMarker"].as_str().expect("NextMarker");
    let rest = store.json(&["list-resource-tags", "--key-id", &key, "--limit", "2", "--marker", marker]);
    assert_eq!(rest["Tags"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest["Truncated"], false);
    assert!(rest.get("NextMarker").is_none());

    store.silent(&["untag-resource", "--key-id", &key, "--tag-keys", "a", "c"]);
    let tags = store.json(&["list-resource-tags", "--key-id", &key]);
    let tags = tags["Tags"].as_array().expect("Tags");
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0]["TagKey"], "b");
    store.silent(&["untag-resource", "--key-id", &key, "--tag-keys", r#"["b"]"#]);
    let tags = store.json(&["list-resource-tags", "--key-id", &key]);
    assert_eq!(tags["Tags"].as_array().map(Vec::len), Some(0));
}

#[test]
fn list_keys_paginates() {
    let store = Store::new();
    let ids: Vec<String> = (0..3).map(|_| store.create_key(&[])).collect();
    let all = store.json(&["list-keys"]);
    let keys = all["Keys"].as_array().expect("Keys");
    assert_eq!(keys.len(), 3);
    assert_eq!(all["Truncated"], false);
    for id in &ids {
        assert!(keys
            .iter()
            .any(|k| k["KeyId"] == id.as_str() && k["KeyArn"].as_str().is_some_and(|a| a.ends_with(id))));
    }
    let first = store.json(&["list-keys", "--limit", "2"]);
    assert_eq!(first["Keys"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["Truncated"], true);
    let marker = first["NextMarker"].as_str().expect("NextMarker");
    let second = store.json(&["list-keys", "--limit", "2", "--marker", marker]);
    assert_eq!(second["Keys"].as_array().map(Vec::len), Some(1));
    store.service_error(&["list-keys", "--marker", "garbage"], "InvalidMarkerException", "ListKeys");
}

#[test]
fn aliases_create_update_list_delete() {
    let store = Store::new();
    let a = store.create_key(&[]);
    let b = store.create_key(&[]);
    store.silent(&["create-alias", "--alias-name", "alias/orders", "--target-key-id", &a]);
    let described = store.json(&["describe-key", "--key-id", "alias/orders"]);
    assert_eq!(described["KeyMetadata"]["KeyId"], a.as_str());

    let list = store.json(&["list-aliases"]);
    let aliases = list["Aliases"].as_array().expect("Aliases");
    let entry = aliases.iter().find(|e| e["AliasName"] == "alias/orders").expect("alias listed");
    assert_eq!(entry["TargetKeyId"], a.as_str());
    assert!(entry["AliasArn"].as_str().is_some_and(|s| s.ends_with(":alias/orders")));
    assert_eq!(list["Truncated"], false);

    store.silent(&["update-alias", "--alias-name", "alias/orders", "--target-key-id", &b]);
    let of_b = store.json(&["list-aliases", "--key-id", &b]);
    let of_b = of_b["Aliases"].as_array().expect("Aliases");
    assert_eq!(of_b.len(), 1);
    assert_eq!(of_b[0]["AliasName"], "alias/orders");
    let of_a = store.json(&["list-aliases", "--key-id", &a]);
    assert_eq!(of_a["Aliases"].as_array().map(Vec::len), Some(0));

    store.service_error(
        &["create-alias", "--alias-name", "alias/orders", "--target-key-id", &a],
        "AlreadyExistsException",
        "CreateAlias",
    );
    store.silent(&["delete-alias", "--alias-name", "alias/orders"]);
    store.service_error(&["describe-key", "--key-id", "alias/orders"], "NotFoundException", "DescribeKey");
    store.service_error(&["delete-alias", "--alias-name", "alias/orders"], "NotFoundException", "DeleteAlias");
}

#[test]
fn enable_disable_key() {
    let store = Store::new();
    let key = store.create_key(&[]);
    store.silent(&["disable-key", "--key-id", &key]);
    let d = store.json(&["describe-key", "--key-id", &key]);
    assert_eq!(d["KeyMetadata"]["KeyState"], "Disabled");
    assert_eq!(d["KeyMetadata"]["Enabled"], false);
    store.service_error(&["encrypt", "--key-id", &key, "--plaintext", &b64(b"x")], "DisabledException", "Encrypt");
    store.silent(&["enable-key", "--key-id", &key]);
    let d = store.json(&["describe-key", "--key-id", &key]);
    assert_eq!(d["KeyMetadata"]["KeyState"], "Enabled");
}

#[test]
fn schedule_and_cancel_deletion() {
    let store = Store::new();
    let key = store.create_key(&[]);
    let v = store.json(&["schedule-key-deletion", "--key-id", &key, "--pending-window-in-days", "7"]);
    assert_eq!(v["KeyState"], "PendingDeletion");
    assert_eq!(v["PendingWindowInDays"], 7);
    assert!(v["DeletionDate"].is_number());
    assert!(v["KeyId"].as_str().is_some_and(|s| s.ends_with(&key)));
    let d = store.json(&["describe-key", "--key-id", &key]);
    assert_eq!(d["KeyMetadata"]["KeyState"], "PendingDeletion");
    store.service_error(
        &["encrypt", "--key-id", &key, "--plaintext", &b64(b"x")],
        "KMSInvalidStateException",
        "Encrypt",
    );
    let v = store.json(&["cancel-key-deletion", "--key-id", &key]);
    assert!(v["KeyId"].as_str().is_some_and(|s| s.ends_with(&key)));
    let d = store.json(&["describe-key", "--key-id", &key]);
    assert_eq!(d["KeyMetadata"]["KeyState"], "Disabled");
    store.service_error(
        &["schedule-key-deletion", "--key-id", &key, "--pending-window-in-days", "3"],
        "ValidationException",
        "ScheduleKeyDeletion",
    );
}

#[test]
fn rotation_commands() {
    let store = Store::new();
    let key = store.create_key(&[]);
    let status = store.json(&["get-key-rotation-status", "--key-id", &key]);
    assert_eq!(status["KeyRotationEnabled"], false);

    store.silent(&["enable-key-rotation", "--key-id", &key, "--rotation-period-in-days", "180"]);
    let status = store.json(&["get-key-rotation-status", "--key-id", &key]);
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["RotationPeriodInDays"], 180);
    assert!(status["NextRotationDate"].is_number());

    let before = store.json(&["describe-key", "--key-id", &key]);
    let v = store.json(&["rotate-key-on-demand", "--key-id", &key]);
    assert!(v["KeyId"].as_str().is_some_and(|s| s.ends_with(&key)));
    let after = store.json(&["describe-key", "--key-id", &key]);
    assert_ne!(before["KeyMetadata"]["CurrentKeyMaterialId"], after["KeyMetadata"]["CurrentKeyMaterialId"]);

    let rotations = store.json(&["list-key-rotations", "--key-id", &key]);
    let list = rotations["Rotations"].as_array().expect("Rotations");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["RotationType"], "ON_DEMAND");
    assert_eq!(rotations["Truncated"], false);
    let all = store.json(&["list-key-rotations", "--key-id", &key, "--include-key-material", "ALL_KEY_MATERIAL"]);
    assert_eq!(all["Rotations"].as_array().map(Vec::len), Some(2));
    let limited = store.json(&[
        "list-key-rotations",
        "--key-id",
        &key,
        "--include-key-material",
        "ALL_KEY_MATERIAL",
        "--limit",
        "1",
    ]);
    assert_eq!(limited["Truncated"], true);
    assert!(limited["NextMarker"].is_string());

    store.silent(&["disable-key-rotation", "--key-id", &key]);
    let status = store.json(&["get-key-rotation-status", "--key-id", &key]);
    assert_eq!(status["KeyRotationEnabled"], false);
    store.service_error(
        &["enable-key-rotation", "--key-id", &key, "--rotation-period-in-days", "10"],
        "ValidationException",
        "EnableKeyRotation",
    );
    store.service_error(
        &["list-key-rotations", "--key-id", &key, "--include-key-material", "SOME"],
        "ValidationException",
        "ListKeyRotations",
    );
}

#[test]
fn encrypt_decrypt_round_trip_base64_with_context() {
    let store = Store::new();
    let key = store.create_key(&[]);
    let secret = b"4111 1111 1111 1111";
    let enc = store.json(&[
        "encrypt",
        "--key-id",
        &key,
        "--plaintext",
        &b64(secret),
        "--encryption-context",
        "order=42,customer=ada",
    ]);
    assert_eq!(enc["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert!(enc["KeyId"].as_str().is_some_and(|s| s.starts_with("arn:aws:kms:") && s.ends_with(&key)));
    let blob = enc["CiphertextBlob"].as_str().expect("CiphertextBlob");
    assert!(!unb64(blob).is_empty());

    // The same context given as JSON, in another order.
    let dec = store.json(&[
        "decrypt",
        "--ciphertext-blob",
        blob,
        "--encryption-context",
        r#"{"customer":"ada","order":"42"}"#,
    ]);
    assert_eq!(unb64(dec["Plaintext"].as_str().expect("Plaintext")), secret);
    assert_eq!(dec["KeyId"], enc["KeyId"]);
    assert_eq!(dec["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert!(dec["KeyMaterialId"].as_str().is_some_and(|s| !s.is_empty()));

    store.service_error(
        &["decrypt", "--ciphertext-blob", blob, "--encryption-context", "order=43,customer=ada"],
        "InvalidCiphertextException",
        "Decrypt",
    );
    store.service_error(&["decrypt", "--ciphertext-blob", blob], "InvalidCiphertextException", "Decrypt");
    // Decrypt with the right --key-id passes; with another key it is IncorrectKeyException.
    let other = store.create_key(&[]);
    store.json(&[
        "decrypt",
        "--ciphertext-blob",
        blob,
        "--encryption-context",
        "order=42,customer=ada",
        "--key-id",
        &key,
    ]);
    store.service_error(
        &["decrypt", "--ciphertext-blob", blob, "--encryption-context", "order=42,customer=ada", "--key-id", &other],
        "IncorrectKeyException",
        "Decrypt",
    );
}

#[test]
fn encrypt_decrypt_round_trip_via_fileb_and_stdin() {
    let store = Store::new();
    let key = store.create_key(&[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let plain_path = tmp.path().join("record.bin");
    let secret: Vec<u8> = (0u8..=255).collect();
    std::fs::write(&plain_path, &secret).expect("write");

    let fileb = format!("fileb://{}", path_str(&plain_path));
    let blob = store.ok(&[
        "encrypt",
        "--key-id",
        &key,
        "--plaintext",
        &fileb,
        "--output",
        "text",
        "--query",
        "CiphertextBlob",
    ]);
    let blob_path = tmp.path().join("record.enc");
    std::fs::write(&blob_path, unb64(&blob)).expect("write blob");

    let plain = store.ok(&[
        "decrypt",
        "--ciphertext-blob",
        &format!("fileb://{}", path_str(&blob_path)),
        "--output",
        "text",
        "--query",
        "Plaintext",
    ]);
    assert_eq!(unb64(&plain), secret);

    // `-` reads raw bytes from stdin.
    let out = store.run_stdin(&["encrypt", "--key-id", &key, "--plaintext", "-"], b"from stdin");
    assert!(out.status.success());
    let enc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let out =
        store.run_stdin(&["decrypt", "--ciphertext-blob", "-"], &unb64(enc["CiphertextBlob"].as_str().expect("blob")));
    assert!(out.status.success());
    let dec: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(unb64(dec["Plaintext"].as_str().expect("Plaintext")), b"from stdin");

    // A missing file is a parameter error.
    let out = store.run(&["encrypt", "--key-id", &key, "--plaintext", "fileb:///no/such/file"]);
    assert_eq!(out.status.code(), Some(252));
}

#[test]
fn re_encrypt_between_keys_and_contexts() {
    let store = Store::new();
    let a = store.create_key(&[]);
    let b = store.create_key(&[]);
    let blob = store.ok(&[
        "encrypt",
        "--key-id",
        &a,
        "--plaintext",
        &b64(b"moving"),
        "--encryption-context",
        "v=1",
        "--output",
        "text",
        "--query",
        "CiphertextBlob",
    ]);
    let re = store.json(&[
        "re-encrypt",
        "--ciphertext-blob",
        blob.trim(),
        "--source-encryption-context",
        "v=1",
        "--destination-key-id",
        &b,
        "--destination-encryption-context",
        "v=2",
    ]);
    assert!(re["SourceKeyId"].as_str().is_some_and(|s| s.ends_with(&a)));
    assert!(re["KeyId"].as_str().is_some_and(|s| s.ends_with(&b)));
    assert_eq!(re["SourceEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert_eq!(re["DestinationEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    let new_blob = re["CiphertextBlob"].as_str().expect("CiphertextBlob");
    let dec = store.json(&["decrypt", "--ciphertext-blob", new_blob, "--encryption-context", "v=2"]);
    assert_eq!(unb64(dec["Plaintext"].as_str().expect("Plaintext")), b"moving");
    assert!(dec["KeyId"].as_str().is_some_and(|s| s.ends_with(&b)));
    store.service_error(
        &["re-encrypt", "--ciphertext-blob", new_blob, "--destination-key-id", &a],
        "InvalidCiphertextException",
        "ReEncrypt",
    );
}

#[test]
fn data_keys_and_random() {
    let store = Store::new();
    let key = store.create_key(&[]);
    let dk =
        store.json(&["generate-data-key", "--key-id", &key, "--key-spec", "AES_256", "--encryption-context", "p=q"]);
    let plaintext = unb64(dk["Plaintext"].as_str().expect("Plaintext"));
    assert_eq!(plaintext.len(), 32);
    assert!(dk["KeyId"].as_str().is_some_and(|s| s.ends_with(&key)));
    assert!(dk["KeyMaterialId"].is_string());
    let dec = store.json(&[
        "decrypt",
        "--ciphertext-blob",
        dk["CiphertextBlob"].as_str().expect("CiphertextBlob"),
        "--encryption-context",
        "p=q",
    ]);
    assert_eq!(unb64(dec["Plaintext"].as_str().expect("Plaintext")), plaintext);

    let dk = store.json(&["generate-data-key", "--key-id", &key, "--number-of-bytes", "24"]);
    assert_eq!(unb64(dk["Plaintext"].as_str().expect("Plaintext")).len(), 24);

    let wp = store.json(&["generate-data-key-without-plaintext", "--key-id", &key, "--key-spec", "AES_128"]);
    assert!(wp.get("Plaintext").is_none());
    let dec = store.json(&["decrypt", "--ciphertext-blob", wp["CiphertextBlob"].as_str().expect("CiphertextBlob")]);
    assert_eq!(unb64(dec["Plaintext"].as_str().expect("Plaintext")).len(), 16);

    store.service_error(
        &["generate-data-key", "--key-id", &key, "--key-spec", "AES_256", "--number-of-bytes", "32"],
        "ValidationException",
        "GenerateDataKey",
    );
    store.service_error(
        &["generate-data-key", "--key-id", &key, "--key-spec", "AES_512"],
        "ValidationException",
        "GenerateDataKey",
    );

    let r = store.json(&["generate-random", "--number-of-bytes", "48"]);
    assert_eq!(unb64(r["Plaintext"].as_str().expect("Plaintext")).len(), 48);
    store.service_error(&["generate-random", "--number-of-bytes", "0"], "ValidationException", "GenerateRandom");
}

#[test]
fn not_found_is_a_service_error_254() {
    let store = Store::new();
    let line = store.service_error(
        &["describe-key", "--key-id", "1234abcd-12ab-34cd-56ef-1234567890ab"],
        "NotFoundException",
        "DescribeKey",
    );
    assert!(
        line.contains("1234abcd-12ab-34cd-56ef-1234567890ab")
            || line.contains("not found")
            || line.contains("does not exist"),
        "{line}"
    );
}

#[test]
fn usage_errors_exit_252() {
    let store = Store::new();
    for args in [
        vec!["describe-key"],
        vec!["no-such-command"],
        vec!["list-keys", "--limit", "many"],
        vec!["list-keys", "--output", "yaml"],
        vec!["encrypt", "--key-id", "k", "--plaintext", "%%% not base64"],
        vec!["encrypt", "--key-id", "k", "--plaintext", "aGk=", "--encryption-context", "novalue"],
        vec!["encrypt", "--key-id", "k", "--plaintext", "aGk=", "--encryption-context", "{bad json"],
        vec!["create-key", "--tags", "Key=a,Value=b"],
    ] {
        let out = store.run(&args);
        assert_eq!(out.status.code(), Some(252), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
    // Help and version are not errors.
    assert!(store.run(&["--help"]).status.success());
    assert!(store.run(&["--version"]).status.success());
    // Nothing was created by the rejected create-key.
    let keys = store.json(&["list-keys"]);
    assert_eq!(keys["Keys"].as_array().map(Vec::len), Some(0));
}

#[test]
fn query_and_text_output() {
    let store = Store::new();
    let key = store.ok(&["create-key", "--description", "q", "--output", "text", "--query", "KeyMetadata.KeyId"]);
    let key = key.trim_end_matches('\n');
    assert!(!key.contains('"'));
    assert_eq!(key.len(), 36, "{key}");

    // --query with JSON output prints the JSON value (quoted string).
    let quoted = store.ok(&["describe-key", "--key-id", key, "--query", "KeyMetadata.KeyState"]);
    assert_eq!(quoted.trim(), "\"Enabled\"");
    // Numbers and booleans in text.
    let enabled = store.ok(&["describe-key", "--key-id", key, "--query", "KeyMetadata.Enabled", "--output", "text"]);
    assert_eq!(enabled.trim(), "True");
    // A missing field.
    let none = store.ok(&["describe-key", "--key-id", key, "--query", "Nope", "--output", "text"]);
    assert_eq!(none.trim(), "None");
    // A list element.
    let first = store.ok(&["list-keys", "--query", "Keys[0].KeyId", "--output", "text"]);
    assert_eq!(first.trim(), key);

    // Full text output of describe-key mentions the key state.
    let text = store.ok(&["describe-key", "--key-id", key, "--output", "text"]);
    assert!(text.starts_with("KEYMETADATA\t"), "{text}");
    assert!(text.contains("\tEnabled\t"));

    // The classic aws-cli pipeline: encrypt to a base64 string, decrypt it back.
    let blob = store.ok(&[
        "encrypt",
        "--key-id",
        key,
        "--plaintext",
        &b64(b"hi"),
        "--output",
        "text",
        "--query",
        "CiphertextBlob",
    ]);
    let plain = store.ok(&["decrypt", "--ciphertext-blob", blob.trim(), "--output", "text", "--query", "Plaintext"]);
    assert_eq!(unb64(&plain), b"hi");
    // Global options may also come before the subcommand.
    let out = Command::new(BIN)
        .args(["--output", "text", "--query", "Keys[0].KeyId", "--store", path_str(&store.dir), "list-keys"])
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), key);
}

#[test]
fn passphrase_store_needs_the_right_passphrase() {
    let mut store = Store::uninitialized();
    store.env.push(("KS_PASS".into(), "correct horse battery staple".into()));
    store.root_args = vec!["--passphrase-env".into(), "KS_PASS".into()];
    store.json(&["init"]);
    assert!(!store.dir.join("root.key").exists());
    let key = store.create_key(&[]);
    let blob = store.ok(&[
        "encrypt",
        "--key-id",
        &key,
        "--plaintext",
        &b64(b"pp"),
        "--output",
        "text",
        "--query",
        "CiphertextBlob",
    ]);

    let mut wrong = Store {
        _tmp: tempfile::tempdir().expect("tempdir"),
        dir: store.dir.clone(),
        env: Vec::new(),
        root_args: store.root_args.clone(),
    };
    wrong.env.push(("KS_PASS".into(), "wrong passphrase".into()));
    wrong.service_error(&["list-keys"], "IncorrectRootKeyException", "ListKeys");
    wrong.service_error(&["decrypt", "--ciphertext-blob", blob.trim()], "IncorrectRootKeyException", "Decrypt");

    // An unset variable is a usage error, not a silent empty passphrase.
    let unset = Store {
        _tmp: tempfile::tempdir().expect("tempdir"),
        dir: store.dir.clone(),
        env: Vec::new(),
        root_args: store.root_args.clone(),
    };
    assert_eq!(unset.run(&["list-keys"]).status.code(), Some(252));

    let dec = store.json(&["decrypt", "--ciphertext-blob", blob.trim()]);
    assert_eq!(unb64(dec["Plaintext"].as_str().expect("Plaintext")), b"pp");
}

#[test]
fn root_key_from_environment_and_rotation() {
    let mut store = Store::uninitialized();
    let root_a = b64(&[7u8; 32]);
    let root_b = b64(&[9u8; 32]);
    store.env.push(("ROOT_A".into(), root_a));
    store.env.push(("ROOT_B".into(), root_b));
    store.root_args = vec!["--root-key-env".into(), "ROOT_A".into()];
    store.json(&["init"]);
    let key = store.create_key(&[]);
    let blob = store.ok(&[
        "encrypt",
        "--key-id",
        &key,
        "--plaintext",
        &b64(b"env"),
        "--output",
        "text",
        "--query",
        "CiphertextBlob",
    ]);

    store.silent(&["rotate-root-key", "--new-root-key-env", "ROOT_B"]);
    // The old root key no longer opens the store; the new one does and decrypts old blobs.
    store.service_error(&["list-keys"], "IncorrectRootKeyException", "ListKeys");
    store.root_args = vec!["--root-key-env".into(), "ROOT_B".into()];
    let dec = store.json(&["decrypt", "--ciphertext-blob", blob.trim()]);
    assert_eq!(unb64(dec["Plaintext"].as_str().expect("Plaintext")), b"env");
}

#[test]
fn rotate_key_file_root_key() {
    let store = Store::new();
    let key_file = store.dir.join("root.key");
    let before = std::fs::read(&key_file).expect("root.key");
    let key = store.create_key(&[]);
    let blob = store.ok(&[
        "encrypt",
        "--key-id",
        &key,
        "--plaintext",
        &b64(b"file"),
        "--output",
        "text",
        "--query",
        "CiphertextBlob",
    ]);
    store.silent(&["rotate-root-key"]);
    let after = std::fs::read(&key_file).expect("root.key");
    assert_ne!(before, after);
    let dec = store.json(&["decrypt", "--ciphertext-blob", blob.trim()]);
    assert_eq!(unb64(dec["Plaintext"].as_str().expect("Plaintext")), b"file");
}

#[test]
fn errors_do_not_leak_plaintext() {
    let store = Store::new();
    let key = store.create_key(&[]);
    store.silent(&["disable-key", "--key-id", &key]);
    let secret = "c2VjcmV0LXZhbHVlLTEyMzQ1";
    let out = store.run(&["encrypt", "--key-id", &key, "--plaintext", secret]);
    assert_eq!(out.status.code(), Some(254));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(secret));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("secret-value"));
}

#[test]
fn file_scheme_reads_base64_text_and_empty_plaintext_is_rejected() {
    let store = Store::new();
    let key = store.create_key(&[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let text_path = tmp.path().join("plain.b64");
    std::fs::write(&text_path, format!("{}\n", b64(b"text file"))).expect("write");
    let file = format!("file://{}", path_str(&text_path));
    let blob =
        store.ok(&["encrypt", "--key-id", &key, "--plaintext", &file, "--output", "text", "--query", "CiphertextBlob"]);
    let plain = store.ok(&["decrypt", "--ciphertext-blob", blob.trim(), "--output", "text", "--query", "Plaintext"]);
    assert_eq!(unb64(&plain), b"text file");

    store.service_error(&["encrypt", "--key-id", &key, "--plaintext", ""], "ValidationException", "Encrypt");
    store.service_error(
        &["update-alias", "--alias-name", "alias/none", "--target-key-id", &key],
        "NotFoundException",
        "UpdateAlias",
    );
    store.service_error(
        &["tag-resource", "--key-id", "alias/none", "--tags", "TagKey=a,TagValue=b"],
        "NotFoundException",
        "TagResource",
    );
}

// ---- Asymmetric keys, HMAC keys, key agreement and data key pairs ----

/// Runs the `openssl` command line tool in `dir`; `None` if it is not installed.
fn openssl(dir: &Path, args: &[&str]) -> Option<Output> {
    match Command::new("openssl").current_dir(dir).args(args).output() {
        Ok(output) => Some(output),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("openssl {args:?}: {e}"),
    }
}

/// Runs `openssl` and requires success; `None` if it is not installed.
fn openssl_ok(dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let output = openssl(dir, args)?;
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(output.stdout)
}

/// The cross-checks are part of the suite: a machine without the `openssl` tool fails them
/// rather than skipping them silently.
fn openssl_installed() -> bool {
    let installed = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    assert!(installed, "the openssl command-line tool is required for the cross-checks (apt-get install openssl)");
    installed
}

fn str_field<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name].as_str().unwrap_or_else(|| panic!("no string field {name} in {value}"))
}

/// `bytes` with one bit flipped at `index`.
fn flipped(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[index] ^= 0x01;
    out
}

#[test]
fn sign_then_verify_and_tampering_fails() {
    let store = Store::new();
    let key = store.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY"]);
    let message = b64(b"order 42: 3 widgets");
    let signed = store.json(&["sign", "--key-id", &key, "--message", &message, "--signing-algorithm", "ECDSA_SHA_256"]);
    assert!(str_field(&signed, "KeyId").ends_with(&format!(":key/{key}")), "{signed}");
    assert_eq!(str_field(&signed, "SigningAlgorithm"), "ECDSA_SHA_256");
    let signature = str_field(&signed, "Signature").to_owned();
    let sig_bytes = unb64(&signature);
    // A DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }.
    assert_eq!(sig_bytes[0], 0x30, "{signature}");
    assert!((8..=72).contains(&sig_bytes.len()), "{}", sig_bytes.len());

    let verified = store.json(&[
        "verify",
        "--key-id",
        &key,
        "--message",
        &message,
        "--signature",
        &signature,
        "--signing-algorithm",
        "ECDSA_SHA_256",
    ]);
    assert_eq!(
        verified,
        serde_json::json!({
            "KeyId": str_field(&signed, "KeyId"),
            "SignatureValid": true,
            "SigningAlgorithm": "ECDSA_SHA_256",
        })
    );
    // Exactly the three aws-cli fields, in aws-cli's order.
    let raw = store.ok(&[
        "verify",
        "--key-id",
        &key,
        "--message",
        &message,
        "--signature",
        &signature,
        "--signing-algorithm",
        "ECDSA_SHA_256",
    ]);
    let order: Vec<usize> =
        ["\"KeyId\"", "\"SignatureValid\"", "\"SigningAlgorithm\""].iter().map(|f| raw.find(f).expect(f)).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{raw}");
    // --query / --output text.
    let valid = store.ok(&[
        "verify",
        "--key-id",
        &key,
        "--message",
        &message,
        "--signature",
        &signature,
        "--signing-algorithm",
        "ECDSA_SHA_256",
        "--query",
        "SignatureValid",
        "--output",
        "text",
    ]);
    assert_eq!(valid.trim(), "True");

    // A tampered signature (a bit flipped in s), a tampered message, or another key's signature
    // fail with KMSInvalidSignatureException, exit 254 and nothing on stdout.
    let tampered = b64(&flipped(&sig_bytes, sig_bytes.len() - 1));
    let line = store.service_error(
        &[
            "verify",
            "--key-id",
            &key,
            "--message",
            &message,
            "--signature",
            &tampered,
            "--signing-algorithm",
            "ECDSA_SHA_256",
        ],
        "KMSInvalidSignatureException",
        "Verify",
    );
    assert!(!line.contains(&tampered));
    store.service_error(
        &[
            "verify",
            "--key-id",
            &key,
            "--message",
            &b64(b"order 42: 300 widgets"),
            "--signature",
            &signature,
            "--signing-algorithm",
            "ECDSA_SHA_256",
        ],
        "KMSInvalidSignatureException",
        "Verify",
    );
    let other = store.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY"]);
    store.service_error(
        &[
            "verify",
            "--key-id",
            &other,
            "--message",
            &message,
            "--signature",
            &signature,
            "--signing-algorithm",
            "ECDSA_SHA_256",
        ],
        "KMSInvalidSignatureException",
        "Verify",
    );

    // The signature may also come from a file (fileb://) and the message from stdin.
    let tmp = tempfile::tempdir().expect("tempdir");
    let sig_path = tmp.path().join("sig.bin");
    std::fs::write(&sig_path, &sig_bytes).expect("write sig");
    let out = store.run_stdin(
        &[
            "verify",
            "--key-id",
            &key,
            "--message",
            "-",
            "--signature",
            &format!("fileb://{}", path_str(&sig_path)),
            "--signing-algorithm",
            "ECDSA_SHA_256",
            "--query",
            "SignatureValid",
        ],
        b"order 42: 3 widgets",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
}

#[test]
fn sign_digest_messages_and_sign_errors() {
    let store = Store::new();
    let key = store.create_key(&["--key-spec", "ECC_NIST_P384", "--key-usage", "SIGN_VERIFY"]);
    let digest = b64(&[7u8; 48]);
    let sig = store.ok(&[
        "sign",
        "--key-id",
        &key,
        "--message",
        &digest,
        "--message-type",
        "DIGEST",
        "--signing-algorithm",
        "ECDSA_SHA_384",
        "--output",
        "text",
        "--query",
        "Signature",
    ]);
    let sig = sig.trim();
    let verify = |message_type: &str, signature: &str| {
        store.run(&[
            "verify",
            "--key-id",
            &key,
            "--message",
            &digest,
            "--message-type",
            message_type,
            "--signature",
            signature,
            "--signing-algorithm",
            "ECDSA_SHA_384",
        ])
    };
    assert!(verify("DIGEST", sig).status.success());
    // The same bytes taken as a RAW message are hashed first: a different signed value.
    assert_eq!(verify("RAW", sig).status.code(), Some(254));

    // A digest of the wrong length for the algorithm.
    store.service_error(
        &[
            "sign",
            "--key-id",
            &key,
            "--message",
            &b64(&[7u8; 32]),
            "--message-type",
            "DIGEST",
            "--signing-algorithm",
            "ECDSA_SHA_384",
        ],
        "ValidationException",
        "Sign",
    );
    // An algorithm the key spec does not offer.
    store.service_error(
        &["sign", "--key-id", &key, "--message", &digest, "--signing-algorithm", "RSASSA_PSS_SHA_256"],
        "InvalidKeyUsageException",
        "Sign",
    );
    // An unknown algorithm or message type.
    store.service_error(
        &["sign", "--key-id", &key, "--message", &digest, "--signing-algorithm", "ECDSA_SHA_1"],
        "ValidationException",
        "Sign",
    );
    store.service_error(
        &[
            "sign",
            "--key-id",
            &key,
            "--message",
            &digest,
            "--message-type",
            "HASHED",
            "--signing-algorithm",
            "ECDSA_SHA_384",
        ],
        "ValidationException",
        "Sign",
    );
    // A symmetric key cannot sign.
    let symmetric = store.create_key(&[]);
    store.service_error(
        &["sign", "--key-id", &symmetric, "--message", &digest, "--signing-algorithm", "ECDSA_SHA_384"],
        "InvalidKeyUsageException",
        "Sign",
    );
    // A disabled key cannot sign.
    store.silent(&["disable-key", "--key-id", &key]);
    store.service_error(
        &["sign", "--key-id", &key, "--message", &digest, "--signing-algorithm", "ECDSA_SHA_384"],
        "DisabledException",
        "Sign",
    );
    // Missing required arguments and bad base64 are usage errors (252).
    for args in [
        vec!["sign", "--key-id", &key, "--message", &digest],
        vec!["sign", "--key-id", &key, "--signing-algorithm", "ECDSA_SHA_384"],
        vec!["sign", "--key-id", &key, "--message", "%% not base64", "--signing-algorithm", "ECDSA_SHA_384"],
        vec!["verify", "--key-id", &key, "--message", &digest, "--signing-algorithm", "ECDSA_SHA_384"],
    ] {
        let out = store.run(&args);
        assert_eq!(out.status.code(), Some(252), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn sign_and_verify_with_every_signing_key_family() {
    let store = Store::new();
    let message = b64(b"the quick brown fox");
    for (spec, algorithms) in [
        ("RSA_2048", &["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_512"][..]),
        ("ECC_SECG_P256K1", &["ECDSA_SHA_256"][..]),
        ("ECC_NIST_P521", &["ECDSA_SHA_512"][..]),
        ("ECC_NIST_EDWARDS25519", &["ED25519_SHA_512"][..]),
        ("ML_DSA_44", &["ML_DSA_SHAKE_256"][..]),
    ] {
        let key = store.create_key(&["--key-spec", spec, "--key-usage", "SIGN_VERIFY"]);
        let public = store.json(&["get-public-key", "--key-id", &key]);
        let offered: Vec<&str> = public["SigningAlgorithms"]
            .as_array()
            .expect("SigningAlgorithms")
            .iter()
            .map(|v| v.as_str().expect("algorithm"))
            .collect();
        for algorithm in algorithms {
            assert!(offered.contains(algorithm), "{spec}: {offered:?}");
            let signature = store.ok(&[
                "sign",
                "--key-id",
                &key,
                "--message",
                &message,
                "--signing-algorithm",
                algorithm,
                "--output",
                "text",
                "--query",
                "Signature",
            ]);
            let signature = signature.trim();
            let valid = store.ok(&[
                "verify",
                "--key-id",
                &key,
                "--message",
                &message,
                "--signature",
                signature,
                "--signing-algorithm",
                algorithm,
                "--query",
                "SignatureValid",
            ]);
            assert_eq!(valid.trim(), "true", "{spec} {algorithm}");
            let bytes = unb64(signature);
            store.service_error(
                &[
                    "verify",
                    "--key-id",
                    &key,
                    "--message",
                    &message,
                    "--signature",
                    &b64(&flipped(&bytes, bytes.len() / 2)),
                    "--signing-algorithm",
                    algorithm,
                ],
                "KMSInvalidSignatureException",
                "Verify",
            );
        }
    }
}

#[test]
fn get_public_key_shapes() {
    let store = Store::new();
    let key = store.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY"]);
    store.silent(&["create-alias", "--alias-name", "alias/signer", "--target-key-id", &key]);
    let public = store.json(&["get-public-key", "--key-id", "alias/signer"]);
    assert!(str_field(&public, "KeyId").ends_with(&format!(":key/{key}")));
    assert_eq!(str_field(&public, "KeySpec"), "ECC_NIST_P256");
    assert_eq!(str_field(&public, "CustomerMasterKeySpec"), "ECC_NIST_P256");
    assert_eq!(str_field(&public, "KeyUsage"), "SIGN_VERIFY");
    assert_eq!(public["SigningAlgorithms"], serde_json::json!(["ECDSA_SHA_256"]));
    assert!(public.get("KeyAgreementAlgorithms").is_none());
    assert!(public.get("EncryptionAlgorithms").is_none());
    let der = unb64(str_field(&public, "PublicKey"));
    // A P-256 SubjectPublicKeyInfo with an uncompressed point is 91 bytes.
    assert_eq!(der.len(), 91);
    assert_eq!(der[0], 0x30);
    // Stable across calls; --query --output text prints the bare base64.
    let text = store.ok(&["get-public-key", "--key-id", &key, "--query", "PublicKey", "--output", "text"]);
    assert_eq!(unb64(&text), der);

    let agreement = store.create_key(&["--key-spec", "ECC_NIST_P384", "--key-usage", "KEY_AGREEMENT"]);
    let public = store.json(&["get-public-key", "--key-id", &agreement]);
    assert_eq!(str_field(&public, "KeyUsage"), "KEY_AGREEMENT");
    assert_eq!(public["KeyAgreementAlgorithms"], serde_json::json!(["ECDH"]));
    assert!(public.get("SigningAlgorithms").is_none());

    // Symmetric and HMAC keys have no public key.
    let symmetric = store.create_key(&[]);
    store.service_error(&["get-public-key", "--key-id", &symmetric], "UnsupportedOperationException", "GetPublicKey");
    let hmac = store.create_key(&["--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC"]);
    store.service_error(&["get-public-key", "--key-id", &hmac], "UnsupportedOperationException", "GetPublicKey");
    store.service_error(&["get-public-key", "--key-id", "alias/nope"], "NotFoundException", "GetPublicKey");
}

#[test]
fn openssl_verifies_cli_signatures() {
    if !openssl_installed() {
        return;
    }
    let store = Store::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let message = b"pay 100 EUR to Ada";
    std::fs::write(dir.join("msg.bin"), message).expect("write msg");

    // ECDSA P-256 over a RAW message.
    let key = store.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY"]);
    let public = store.ok(&["get-public-key", "--key-id", &key, "--output", "text", "--query", "PublicKey"]);
    std::fs::write(dir.join("ec.der"), unb64(&public)).expect("write der");
    openssl_ok(dir, &["pkey", "-pubin", "-inform", "DER", "-in", "ec.der", "-out", "ec.pem"]).expect("openssl");
    let signature = store.ok(&[
        "sign",
        "--key-id",
        &key,
        "--message",
        &b64(message),
        "--signing-algorithm",
        "ECDSA_SHA_256",
        "--output",
        "text",
        "--query",
        "Signature",
    ]);
    std::fs::write(dir.join("ec.sig"), unb64(&signature)).expect("write sig");
    let out =
        openssl_ok(dir, &["dgst", "-sha256", "-verify", "ec.pem", "-signature", "ec.sig", "msg.bin"]).expect("openssl");
    assert_eq!(String::from_utf8_lossy(&out).trim(), "Verified OK");
    // openssl rejects a tampered signature too.
    std::fs::write(dir.join("bad.sig"), flipped(&unb64(&signature), 10)).expect("write sig");
    let out =
        openssl(dir, &["dgst", "-sha256", "-verify", "ec.pem", "-signature", "bad.sig", "msg.bin"]).expect("openssl");
    assert!(!out.status.success());

    // A DIGEST signature over openssl's SHA-256 of the message is a valid RAW signature.
    let digest = openssl_ok(dir, &["dgst", "-sha256", "-binary", "msg.bin"]).expect("openssl");
    assert_eq!(digest.len(), 32);
    let digest_sig = store.ok(&[
        "sign",
        "--key-id",
        &key,
        "--message",
        &b64(&digest),
        "--message-type",
        "DIGEST",
        "--signing-algorithm",
        "ECDSA_SHA_256",
        "--output",
        "text",
        "--query",
        "Signature",
    ]);
    let valid = store.ok(&[
        "verify",
        "--key-id",
        &key,
        "--message",
        &b64(message),
        "--signature",
        digest_sig.trim(),
        "--signing-algorithm",
        "ECDSA_SHA_256",
        "--query",
        "SignatureValid",
    ]);
    assert_eq!(valid.trim(), "true");
    std::fs::write(dir.join("digest.sig"), unb64(&digest_sig)).expect("write sig");
    let out = openssl_ok(dir, &["dgst", "-sha256", "-verify", "ec.pem", "-signature", "digest.sig", "msg.bin"])
        .expect("openssl");
    assert_eq!(String::from_utf8_lossy(&out).trim(), "Verified OK");

    // RSASSA-PSS (salt length = digest length, as AWS KMS).
    let rsa = store.create_key(&["--key-spec", "RSA_2048", "--key-usage", "SIGN_VERIFY"]);
    let public = store.ok(&["get-public-key", "--key-id", &rsa, "--output", "text", "--query", "PublicKey"]);
    std::fs::write(dir.join("rsa.der"), unb64(&public)).expect("write der");
    openssl_ok(dir, &["pkey", "-pubin", "-inform", "DER", "-in", "rsa.der", "-out", "rsa.pem"]).expect("openssl");
    let signature = store.ok(&[
        "sign",
        "--key-id",
        &rsa,
        "--message",
        &b64(message),
        "--signing-algorithm",
        "RSASSA_PSS_SHA_256",
        "--output",
        "text",
        "--query",
        "Signature",
    ]);
    std::fs::write(dir.join("rsa.sig"), unb64(&signature)).expect("write sig");
    let out = openssl_ok(
        dir,
        &[
            "dgst",
            "-sha256",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:32",
            "-verify",
            "rsa.pem",
            "-signature",
            "rsa.sig",
            "msg.bin",
        ],
    )
    .expect("openssl");
    assert_eq!(String::from_utf8_lossy(&out).trim(), "Verified OK");

    // Ed25519 (pure, over the raw message).
    let ed = store.create_key(&["--key-spec", "ECC_NIST_EDWARDS25519", "--key-usage", "SIGN_VERIFY"]);
    let public = store.ok(&["get-public-key", "--key-id", &ed, "--output", "text", "--query", "PublicKey"]);
    std::fs::write(dir.join("ed.der"), unb64(&public)).expect("write der");
    openssl_ok(dir, &["pkey", "-pubin", "-inform", "DER", "-in", "ed.der", "-out", "ed.pem"]).expect("openssl");
    let signature = store.ok(&[
        "sign",
        "--key-id",
        &ed,
        "--message",
        &b64(message),
        "--signing-algorithm",
        "ED25519_SHA_512",
        "--output",
        "text",
        "--query",
        "Signature",
    ]);
    assert_eq!(unb64(&signature).len(), 64);
    std::fs::write(dir.join("ed.sig"), unb64(&signature)).expect("write sig");
    let out = openssl_ok(
        dir,
        &["pkeyutl", "-verify", "-pubin", "-inkey", "ed.pem", "-rawin", "-in", "msg.bin", "-sigfile", "ed.sig"],
    )
    .expect("openssl");
    assert!(String::from_utf8_lossy(&out).contains("Signature Verified Successfully"));
}

#[test]
fn generate_mac_is_deterministic_and_verify_mac_accepts_it() {
    let store = Store::new();
    let key = store.create_key(&["--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC"]);
    let message = b64(b"session=abc; user=ada");
    let mac_of = |msg: &str| {
        store.json(&["generate-mac", "--key-id", &key, "--message", msg, "--mac-algorithm", "HMAC_SHA_256"])
    };
    let first = mac_of(&message);
    let second = mac_of(&message);
    assert_eq!(first, second);
    assert_eq!(str_field(&first, "MacAlgorithm"), "HMAC_SHA_256");
    assert!(str_field(&first, "KeyId").ends_with(&format!(":key/{key}")));
    let mac = str_field(&first, "Mac").to_owned();
    assert_eq!(unb64(&mac).len(), 32);
    // Another message, another MAC.
    assert_ne!(str_field(&mac_of(&b64(b"session=abc; user=eve")), "Mac"), mac);

    let verified = store.json(&[
        "verify-mac",
        "--key-id",
        &key,
        "--message",
        &message,
        "--mac-algorithm",
        "HMAC_SHA_256",
        "--mac",
        &mac,
    ]);
    assert_eq!(
        verified,
        serde_json::json!({"KeyId": str_field(&first, "KeyId"), "MacValid": true, "MacAlgorithm": "HMAC_SHA_256"})
    );
    // A tampered MAC or message: KMSInvalidMacException, exit 254.
    store.service_error(
        &[
            "verify-mac",
            "--key-id",
            &key,
            "--message",
            &message,
            "--mac-algorithm",
            "HMAC_SHA_256",
            "--mac",
            &b64(&flipped(&unb64(&mac), 0)),
        ],
        "KMSInvalidMacException",
        "VerifyMac",
    );
    store.service_error(
        &[
            "verify-mac",
            "--key-id",
            &key,
            "--message",
            &b64(b"session=abc; user=eve"),
            "--mac-algorithm",
            "HMAC_SHA_256",
            "--mac",
            &mac,
        ],
        "KMSInvalidMacException",
        "VerifyMac",
    );
    // Another HMAC key gives another MAC for the same message.
    let other = store.create_key(&["--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC"]);
    let other_mac = store.ok(&[
        "generate-mac",
        "--key-id",
        &other,
        "--message",
        &message,
        "--mac-algorithm",
        "HMAC_SHA_256",
        "--output",
        "text",
        "--query",
        "Mac",
    ]);
    assert_ne!(other_mac.trim(), mac);
    // The algorithm must match the key spec; a symmetric key cannot MAC.
    store.service_error(
        &["generate-mac", "--key-id", &key, "--message", &message, "--mac-algorithm", "HMAC_SHA_512"],
        "InvalidKeyUsageException",
        "GenerateMac",
    );
    let symmetric = store.create_key(&[]);
    store.service_error(
        &["generate-mac", "--key-id", &symmetric, "--message", &message, "--mac-algorithm", "HMAC_SHA_256"],
        "InvalidKeyUsageException",
        "GenerateMac",
    );
    // HMAC_512 keys make 64-byte MACs; the message may come from stdin.
    let big = store.create_key(&["--key-spec", "HMAC_512", "--key-usage", "GENERATE_VERIFY_MAC"]);
    let out = store.run_stdin(
        &["generate-mac", "--key-id", &big, "--message", "-", "--mac-algorithm", "HMAC_SHA_512", "--query", "Mac"],
        b"session=abc; user=ada",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(unb64(text.trim().trim_matches('"')).len(), 64);
    // --mac is required.
    let out = store.run(&["verify-mac", "--key-id", &key, "--message", &message, "--mac-algorithm", "HMAC_SHA_256"]);
    assert_eq!(out.status.code(), Some(252));
}

#[test]
fn derive_shared_secret_is_symmetric() {
    let store = Store::new();
    let a = store.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT"]);
    let b = store.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT"]);
    let public_of =
        |key: &str| store.ok(&["get-public-key", "--key-id", key, "--output", "text", "--query", "PublicKey"]);
    let (a_pub, b_pub) = (public_of(&a), public_of(&b));
    let ab = store.json(&[
        "derive-shared-secret",
        "--key-id",
        &a,
        "--key-agreement-algorithm",
        "ECDH",
        "--public-key",
        b_pub.trim(),
    ]);
    let ba = store.json(&[
        "derive-shared-secret",
        "--key-id",
        &b,
        "--key-agreement-algorithm",
        "ECDH",
        "--public-key",
        a_pub.trim(),
    ]);
    assert!(str_field(&ab, "KeyId").ends_with(&format!(":key/{a}")));
    assert!(str_field(&ba, "KeyId").ends_with(&format!(":key/{b}")));
    assert_eq!(str_field(&ab, "KeyAgreementAlgorithm"), "ECDH");
    assert_eq!(str_field(&ab, "KeyOrigin"), "AWS_KMS");
    let secret = unb64(str_field(&ab, "SharedSecret"));
    assert_eq!(secret.len(), 32);
    assert_eq!(secret, unb64(str_field(&ba, "SharedSecret")));
    // A third key shares a different secret with a.
    let c = store.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT"]);
    let ac = store.ok(&[
        "derive-shared-secret",
        "--key-id",
        &a,
        "--key-agreement-algorithm",
        "ECDH",
        "--public-key",
        public_of(&c).trim(),
        "--output",
        "text",
        "--query",
        "SharedSecret",
    ]);
    assert_ne!(unb64(&ac), secret);

    // The peer key may be read from a DER file; openssl derives the same secret on its side.
    if openssl_installed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        openssl_ok(dir, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "peer.pem"])
            .expect("openssl");
        openssl_ok(dir, &["pkey", "-in", "peer.pem", "-pubout", "-outform", "DER", "-out", "peer.der"])
            .expect("openssl");
        std::fs::write(dir.join("a.der"), unb64(&a_pub)).expect("write der");
        openssl_ok(dir, &["pkey", "-pubin", "-inform", "DER", "-in", "a.der", "-out", "a.pem"]).expect("openssl");
        let theirs =
            openssl_ok(dir, &["pkeyutl", "-derive", "-inkey", "peer.pem", "-peerkey", "a.pem"]).expect("openssl");
        let ours = store.ok(&[
            "derive-shared-secret",
            "--key-id",
            &a,
            "--key-agreement-algorithm",
            "ECDH",
            "--public-key",
            &format!("fileb://{}", path_str(&dir.join("peer.der"))),
            "--output",
            "text",
            "--query",
            "SharedSecret",
        ]);
        assert_eq!(unb64(&ours), theirs);
    }

    // A signing key cannot agree; a garbage public key and an unknown algorithm are rejected.
    let signer = store.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY"]);
    store.service_error(
        &[
            "derive-shared-secret",
            "--key-id",
            &signer,
            "--key-agreement-algorithm",
            "ECDH",
            "--public-key",
            b_pub.trim(),
        ],
        "InvalidKeyUsageException",
        "DeriveSharedSecret",
    );
    store.service_error(
        &["derive-shared-secret", "--key-id", &a, "--key-agreement-algorithm", "ECDH", "--public-key", &b64(b"junk")],
        "ValidationException",
        "DeriveSharedSecret",
    );
    store.service_error(
        &["derive-shared-secret", "--key-id", &a, "--key-agreement-algorithm", "DH", "--public-key", b_pub.trim()],
        "ValidationException",
        "DeriveSharedSecret",
    );
    let out = store.run(&["derive-shared-secret", "--key-id", &a, "--public-key", b_pub.trim()]);
    assert_eq!(out.status.code(), Some(252));
}

#[test]
fn generate_data_key_pair_private_key_decrypts_to_the_plaintext() {
    let store = Store::new();
    let key = store.create_key(&[]);
    let pair = store.json(&[
        "generate-data-key-pair",
        "--key-id",
        &key,
        "--key-pair-spec",
        "ECC_NIST_P256",
        "--encryption-context",
        "purpose=signing,owner=ada",
    ]);
    assert!(str_field(&pair, "KeyId").ends_with(&format!(":key/{key}")));
    assert_eq!(str_field(&pair, "KeyPairSpec"), "ECC_NIST_P256");
    assert!(pair["KeyMaterialId"].is_string());
    let private = unb64(str_field(&pair, "PrivateKeyPlaintext"));
    let public = unb64(str_field(&pair, "PublicKey"));
    assert_eq!(private[0], 0x30);
    assert_eq!(public.len(), 91);
    let decrypted = store.json(&[
        "decrypt",
        "--ciphertext-blob",
        str_field(&pair, "PrivateKeyCiphertextBlob"),
        "--encryption-context",
        "owner=ada,purpose=signing",
    ]);
    assert_eq!(unb64(str_field(&decrypted, "Plaintext")), private);
    // The context is bound to the encrypted private key.
    store.service_error(
        &["decrypt", "--ciphertext-blob", str_field(&pair, "PrivateKeyCiphertextBlob")],
        "InvalidCiphertextException",
        "Decrypt",
    );

    let bare =
        store.json(&["generate-data-key-pair-without-plaintext", "--key-id", &key, "--key-pair-spec", "RSA_2048"]);
    assert!(bare.get("PrivateKeyPlaintext").is_none(), "{bare}");
    assert_eq!(str_field(&bare, "KeyPairSpec"), "RSA_2048");
    assert!(str_field(&bare, "KeyId").ends_with(&format!(":key/{key}")));
    let bare_private = unb64(str_field(
        &store.json(&["decrypt", "--ciphertext-blob", str_field(&bare, "PrivateKeyCiphertextBlob")]),
        "Plaintext",
    ));
    let bare_public = unb64(str_field(&bare, "PublicKey"));
    assert!(bare_public.len() > 250, "{}", bare_public.len());

    // The public keys belong to the private keys (openssl derives them from the PKCS#8 DER).
    if openssl_installed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        for (name, private, public) in [("ec", &private, &public), ("rsa", &bare_private, &bare_public)] {
            let file = format!("{name}.p8");
            std::fs::write(dir.join(&file), private).expect("write key");
            let derived = openssl_ok(dir, &["pkey", "-inform", "DER", "-in", &file, "-pubout", "-outform", "DER"])
                .expect("openssl");
            assert_eq!(&derived, public, "{name}");
        }
    }

    // Errors: an asymmetric key cannot wrap a pair; the spec is checked and required.
    let signer = store.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY"]);
    store.service_error(
        &["generate-data-key-pair", "--key-id", &signer, "--key-pair-spec", "ECC_NIST_P256"],
        "InvalidKeyUsageException",
        "GenerateDataKeyPair",
    );
    store.service_error(
        &["generate-data-key-pair-without-plaintext", "--key-id", &key, "--key-pair-spec", "RSA_1024"],
        "ValidationException",
        "GenerateDataKeyPairWithoutPlaintext",
    );
    let out = store.run(&["generate-data-key-pair", "--key-id", &key]);
    assert_eq!(out.status.code(), Some(252));
    assert!(out.stdout.is_empty());
}
