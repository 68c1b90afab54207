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
    // An RSA encryption key encrypts with OAEP; its ciphertext needs the key and algorithm back.
    let rsa = store.json(&["create-key", "--key-spec", "RSA_2048", "--key-usage", "ENCRYPT_DECRYPT"]);
    let rsa_id = rsa["KeyMetadata"]["KeyId"].as_str().expect("KeyId").to_owned();
    assert_eq!(rsa["KeyMetadata"]["EncryptionAlgorithms"][1], "RSAES_OAEP_SHA_256");
    let sealed = store.json(&[
        "encrypt",
        "--key-id",
        &rsa_id,
        "--plaintext",
        "c2VjcmV0",
        "--encryption-algorithm",
        "RSAES_OAEP_SHA_256",
    ]);
    let blob = sealed["CiphertextBlob"].as_str().expect("CiphertextBlob").to_owned();
    let opened = store.json(&[
        "decrypt",
        "--key-id",
        &rsa_id,
        "--ciphertext-blob",
        &blob,
        "--encryption-algorithm",
        "RSAES_OAEP_SHA_256",
    ]);
    assert_eq!(opened["Plaintext"], "c2VjcmV0");
    assert!(opened.get("KeyMaterialId").is_none(), "no KeyMaterialId for asymmetric keys, as in AWS");
    let keys = store.json(&["list-keys"]);
    assert_eq!(keys["Keys"].as_array().map(Vec::len), Some(3));
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

// ---------------------------------------------------------------------------------------------
// Importing key material (BYOK), following AWS's documented procedure with the openssl tool.

/// Runs `openssl` (which must be installed) and requires success.
fn openssl_must(dir: &Path, args: &[&str]) -> Vec<u8> {
    assert!(openssl_installed());
    openssl_ok(dir, args).expect("the openssl tool is required")
}

/// Seconds since the Unix epoch, now.
fn now_seconds() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs_f64()
}

/// `YYYY-MM-DDTHH:MM:SSZ` of whole epoch seconds (Howard Hinnant's civil_from_days).
fn iso_8601(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400) + 719_468;
    let second_of_day = epoch_seconds.rem_euclid(86_400);
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Wraps the material in `dir/material.bin` for import as AWS documents it with openssl, using
/// the wrapping public key in `dir/wrapping.der`; returns the path of the wrapped file.
fn openssl_wrap(dir: &Path, algorithm: &str) -> PathBuf {
    let md = if algorithm.ends_with("SHA_1") { "sha1" } else { "sha256" };
    let oaep = |input: &str, output: &str| {
        openssl_must(
            dir,
            &[
                "pkeyutl",
                "-encrypt",
                "-pubin",
                "-keyform",
                "DER",
                "-inkey",
                "wrapping.der",
                "-in",
                input,
                "-out",
                output,
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                &format!("rsa_oaep_md:{md}"),
                "-pkeyopt",
                &format!("rsa_mgf1_md:{md}"),
            ],
        );
    };
    if algorithm.starts_with("RSAES_OAEP") {
        oaep("material.bin", "EncryptedKeyMaterial.bin");
    } else {
        // RSA_AES_KEY_WRAP: an ephemeral AES-256 key wraps the material (AES-KWP, RFC 5649),
        // RSA-OAEP wraps the AES key; the two are concatenated.
        openssl_must(dir, &["rand", "-out", "aes-key.bin", "32"]);
        let aes_hex: String =
            std::fs::read(dir.join("aes-key.bin")).expect("read aes key").iter().map(|b| format!("{b:02x}")).collect();
        openssl_must(
            dir,
            &[
                "enc",
                "-id-aes256-wrap-pad",
                "-K",
                &aes_hex,
                "-iv",
                "A65959A6",
                "-in",
                "material.bin",
                "-out",
                "material-wrapped.bin",
            ],
        );
        oaep("aes-key.bin", "aes-key-wrapped.bin");
        let mut wrapped = std::fs::read(dir.join("aes-key-wrapped.bin")).expect("read wrapped aes key");
        let modulus_bytes = wrapped.len();
        wrapped.extend(std::fs::read(dir.join("material-wrapped.bin")).expect("read wrapped material"));
        assert!(wrapped.len() > modulus_bytes + 32, "AES-KWP output follows the RSA block");
        std::fs::write(dir.join("EncryptedKeyMaterial.bin"), wrapped).expect("write wrapped material");
    }
    std::fs::remove_file(dir.join("aes-key.bin")).ok();
    dir.join("EncryptedKeyMaterial.bin")
}

/// Runs get-parameters-for-import, saves `wrapping.der` and `token.bin` in `dir`, and checks
/// the response's shape; returns the response.
fn import_parameters(store: &Store, dir: &Path, key: &str, algorithm: &str, spec: &str) -> Value {
    let before = now_seconds();
    let params = store.json(&[
        "get-parameters-for-import",
        "--key-id",
        key,
        "--wrapping-algorithm",
        algorithm,
        "--wrapping-key-spec",
        spec,
    ]);
    assert!(str_field(&params, "KeyId").ends_with(&format!(":key/{key}")), "{params}");
    let valid_to = params["ParametersValidTo"].as_f64().unwrap_or_else(|| panic!("a number: {params}"));
    assert!(
        valid_to >= before + 86_400.0 - 1.0 && valid_to <= now_seconds() + 86_400.0 + 1.0,
        "valid 24 hours: {valid_to} vs now {before}"
    );
    let token = unb64(str_field(&params, "ImportToken"));
    assert!(!token.is_empty());
    let public_key = unb64(str_field(&params, "PublicKey"));
    assert_eq!(public_key[0], 0x30, "DER SubjectPublicKeyInfo");
    std::fs::write(dir.join("wrapping.der"), &public_key).expect("write wrapping key");
    std::fs::write(dir.join("token.bin"), &token).expect("write token");
    // openssl reads it as an RSA public key of the requested size.
    let text = openssl_must(dir, &["pkey", "-pubin", "-inform", "DER", "-in", "wrapping.der", "-noout", "-text"]);
    let bits = spec.trim_start_matches("RSA_");
    assert!(String::from_utf8_lossy(&text).contains(&format!("Public-Key: ({bits} bit)")), "{spec}");
    params
}

/// Imports `material` into `key` through the CLI with openssl wrapping; returns the output or
/// the failed process output.
fn import_with_openssl(
    store: &Store,
    dir: &Path,
    key: &str,
    algorithm: &str,
    material: &[u8],
    extra: &[&str],
) -> Output {
    import_parameters(store, dir, key, algorithm, "RSA_2048");
    std::fs::write(dir.join("material.bin"), material).expect("write material");
    let wrapped = openssl_wrap(dir, algorithm);
    let token_arg = format!("fileb://{}", path_str(&dir.join("token.bin")));
    let wrapped_arg = format!("fileb://{}", path_str(&wrapped));
    let mut args = vec![
        "import-key-material",
        "--key-id",
        key,
        "--import-token",
        &token_arg,
        "--encrypted-key-material",
        &wrapped_arg,
    ];
    args.extend_from_slice(extra);
    store.run(&args)
}

const NEVER: [&str; 2] = ["--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE"];

fn imported_json(output: &Output) -> Value {
    assert!(output.status.success(), "import failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn key_state(store: &Store, key: &str) -> String {
    store
        .ok(&["describe-key", "--key-id", key, "--output", "text", "--query", "KeyMetadata.KeyState"])
        .trim()
        .to_owned()
}

#[test]
fn byok_rsaes_oaep_sha_256_with_openssl_then_delete_and_reimport() {
    let store = Store::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let created = store.json(&["create-key", "--origin", "EXTERNAL", "--description", "BYOK"]);
    assert_eq!(str_field(&created["KeyMetadata"], "KeyState"), "PendingImport");
    assert_eq!(str_field(&created["KeyMetadata"], "Origin"), "EXTERNAL");
    let key = str_field(&created["KeyMetadata"], "KeyId").to_owned();
    store.service_error(
        &["encrypt", "--key-id", &key, "--plaintext", &b64(b"too early")],
        "KMSInvalidStateException",
        "Encrypt",
    );

    // 32 random bytes of material from openssl, as AWS's procedure makes them.
    openssl_must(dir, &["rand", "-out", "PlaintextKeyMaterial.bin", "32"]);
    let material = std::fs::read(dir.join("PlaintextKeyMaterial.bin")).expect("material");
    let imported = imported_json(&import_with_openssl(&store, dir, &key, "RSAES_OAEP_SHA_256", &material, &NEVER));
    assert!(str_field(&imported, "KeyId").ends_with(&format!(":key/{key}")), "{imported}");
    let material_id = str_field(&imported, "KeyMaterialId").to_owned();
    assert_eq!(material_id.len(), 64, "{material_id}");
    let meta = &store.json(&["describe-key", "--key-id", &key])["KeyMetadata"];
    assert_eq!(str_field(meta, "KeyState"), "Enabled");
    assert_eq!(str_field(meta, "ExpirationModel"), "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assert!(meta.get("ValidTo").is_none_or(Value::is_null), "{meta}");
    assert_eq!(str_field(meta, "CurrentKeyMaterialId"), material_id);

    // The imported key encrypts and decrypts.
    let encrypted = store.json(&["encrypt", "--key-id", &key, "--plaintext", &b64(b"imported secret")]);
    let blob = str_field(&encrypted, "CiphertextBlob").to_owned();
    let decrypted = store.json(&["decrypt", "--ciphertext-blob", &blob]);
    assert_eq!(unb64(str_field(&decrypted, "Plaintext")), b"imported secret");
    assert_eq!(str_field(&decrypted, "KeyMaterialId"), material_id);

    // Other material cannot replace it, not even while it is in use.
    let other = import_with_openssl(&store, dir, &key, "RSAES_OAEP_SHA_256", &[0x5a; 32], &NEVER);
    assert_eq!(other.status.code(), Some(254));
    assert!(
        String::from_utf8_lossy(&other.stderr).contains(
            "An error occurred (IncorrectKeyMaterialException) when calling the ImportKeyMaterial operation: "
        ),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );

    // Delete the material: the key is PendingImport and the ciphertext no longer decrypts.
    let deleted = store.json(&["delete-imported-key-material", "--key-id", &key]);
    assert!(str_field(&deleted, "KeyId").ends_with(&format!(":key/{key}")), "{deleted}");
    assert_eq!(str_field(&deleted, "KeyMaterialId"), material_id);
    assert_eq!(key_state(&store, &key), "PendingImport");
    let line = store.service_error(&["decrypt", "--ciphertext-blob", &blob], "KMSInvalidStateException", "Decrypt");
    assert!(line.contains("pending import"), "{line}");

    // Different material is refused; the key stays PendingImport.
    let other = import_with_openssl(&store, dir, &key, "RSAES_OAEP_SHA_256", &[0x5a; 32], &NEVER);
    assert_eq!(other.status.code(), Some(254));
    assert!(other.stdout.is_empty());
    assert!(String::from_utf8_lossy(&other.stderr).contains("(IncorrectKeyMaterialException)"));
    assert_eq!(key_state(&store, &key), "PendingImport");

    // The same material again (wrapped the other way this time): the old ciphertext decrypts.
    let again = imported_json(&import_with_openssl(&store, dir, &key, "RSA_AES_KEY_WRAP_SHA_256", &material, &NEVER));
    assert_eq!(str_field(&again, "KeyMaterialId"), material_id);
    assert_eq!(key_state(&store, &key), "Enabled");
    let decrypted = store.json(&["decrypt", "--ciphertext-blob", &blob]);
    assert_eq!(unb64(str_field(&decrypted, "Plaintext")), b"imported secret");
}

#[test]
fn byok_rsa_aes_key_wrap_sha_256_with_openssl_and_expiring_material() {
    let store = Store::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let key = store.create_key(&["--origin", "EXTERNAL"]);
    openssl_must(dir, &["rand", "-out", "PlaintextKeyMaterial.bin", "32"]);
    let material = std::fs::read(dir.join("PlaintextKeyMaterial.bin")).expect("material");

    // --valid-to as ISO 8601, 30 days ahead (the default model KEY_MATERIAL_EXPIRES needs it).
    let valid_to = (now_seconds() as i64) + 30 * 86_400;
    let iso = iso_8601(valid_to);
    let imported = imported_json(&import_with_openssl(
        &store,
        dir,
        &key,
        "RSA_AES_KEY_WRAP_SHA_256",
        &material,
        &["--valid-to", &iso],
    ));
    let material_id = str_field(&imported, "KeyMaterialId").to_owned();
    let meta = &store.json(&["describe-key", "--key-id", &key])["KeyMetadata"];
    assert_eq!(str_field(meta, "KeyState"), "Enabled");
    assert_eq!(str_field(meta, "ExpirationModel"), "KEY_MATERIAL_EXPIRES");
    assert_eq!(meta["ValidTo"].as_f64(), Some(valid_to as f64), "{iso}: {meta}");

    // Encrypt through stdin and decrypt with the imported key.
    let out = store.run_stdin(&["encrypt", "--key-id", &key, "--plaintext", "-"], b"wrapped twice");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let encrypted: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let blob = str_field(&encrypted, "CiphertextBlob").to_owned();
    let decrypted = store.json(&["decrypt", "--ciphertext-blob", &blob, "--key-id", &key]);
    assert_eq!(unb64(str_field(&decrypted, "Plaintext")), b"wrapped twice");

    // Re-importing the same material moves ValidTo (epoch seconds this time); base64 inputs.
    let deleted =
        store.ok(&["delete-imported-key-material", "--key-id", &key, "--output", "text", "--query", "KeyMaterialId"]);
    assert_eq!(deleted.trim(), material_id);
    let later = valid_to + 10 * 86_400;
    import_parameters(&store, dir, &key, "RSA_AES_KEY_WRAP_SHA_256", "RSA_3072");
    std::fs::write(dir.join("material.bin"), &material).expect("write material");
    let wrapped = std::fs::read(openssl_wrap(dir, "RSA_AES_KEY_WRAP_SHA_256")).expect("wrapped");
    assert!(wrapped.len() > 384, "a 3072-bit RSA block then the AES-KWP output");
    let token = std::fs::read(dir.join("token.bin")).expect("token");
    let again = store.json(&[
        "import-key-material",
        "--key-id",
        &key,
        "--import-token",
        &b64(&token),
        "--encrypted-key-material",
        &b64(&wrapped),
        "--expiration-model",
        "KEY_MATERIAL_EXPIRES",
        "--valid-to",
        &later.to_string(),
    ]);
    assert_eq!(str_field(&again, "KeyMaterialId"), material_id);
    let meta = &store.json(&["describe-key", "--key-id", &key])["KeyMetadata"];
    assert_eq!(meta["ValidTo"].as_f64(), Some(later as f64), "{meta}");
    let decrypted = store.json(&["decrypt", "--ciphertext-blob", &blob]);
    assert_eq!(unb64(str_field(&decrypted, "Plaintext")), b"wrapped twice");
}

#[test]
fn byok_token_and_parameter_errors() {
    let store = Store::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let key = store.create_key(&["--origin", "EXTERNAL"]);
    let other_key = store.create_key(&["--origin", "EXTERNAL"]);
    import_parameters(&store, dir, &key, "RSAES_OAEP_SHA_256", "RSA_4096");
    std::fs::write(dir.join("material.bin"), [3u8; 32]).expect("write material");
    let wrapped_path = openssl_wrap(dir, "RSAES_OAEP_SHA_256");
    let token = format!("fileb://{}", path_str(&dir.join("token.bin")));
    let wrapped = format!("fileb://{}", path_str(&wrapped_path));
    let import = |key: &str, token: &str, wrapped: &str, extra: &[&str]| {
        let mut args =
            vec!["import-key-material", "--key-id", key, "--import-token", token, "--encrypted-key-material", wrapped];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<String>>()
    };
    let refused = |args: Vec<String>, exception: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        store.service_error(&args, exception, "ImportKeyMaterial")
    };

    // A token issued for another key, or not issued by this store at all.
    refused(import(&other_key, &token, &wrapped, &NEVER), "InvalidImportTokenException");
    refused(import(&key, &b64(b"not a token at all"), &wrapped, &NEVER), "InvalidImportTokenException");
    // A token of another store (same shape, unknown id).
    let foreign = Store::new();
    let foreign_key = foreign.create_key(&["--origin", "EXTERNAL"]);
    let foreign_params = foreign.json(&[
        "get-parameters-for-import",
        "--key-id",
        &foreign_key,
        "--wrapping-algorithm",
        "RSAES_OAEP_SHA_256",
        "--wrapping-key-spec",
        "RSA_2048",
    ]);
    refused(import(&key, str_field(&foreign_params, "ImportToken"), &wrapped, &NEVER), "InvalidImportTokenException");
    // (ExpiredImportTokenException needs a clock 24 hours ahead: the core's tests cover it.)

    // Tampered wrapped material does not unwrap.
    let bytes = std::fs::read(&wrapped_path).expect("wrapped");
    refused(import(&key, &token, &b64(&flipped(&bytes, 7)), &NEVER), "InvalidCiphertextException");
    // ValidTo: required by the default model, in the future, at most 365 days away, and
    // forbidden when the material does not expire.
    refused(import(&key, &token, &wrapped, &[]), "ValidationException");
    refused(import(&key, &token, &wrapped, &["--valid-to", "2001-01-01T00:00:00Z"]), "ValidationException");
    let too_far = iso_8601(now_seconds() as i64 + 400 * 86_400);
    refused(import(&key, &token, &wrapped, &["--valid-to", &too_far]), "ValidationException");
    let soon = (now_seconds() as i64 + 86_400).to_string();
    let mut never_with_date = NEVER.to_vec();
    never_with_date.extend_from_slice(&["--valid-to", &soon]);
    refused(import(&key, &token, &wrapped, &never_with_date), "ValidationException");
    refused(import(&key, &token, &wrapped, &["--expiration-model", "SOMETIMES"]), "ValidationException");
    // A timestamp that is not one is a usage error (exit 252), before any service call.
    let args = import(&key, &token, &wrapped, &["--valid-to", "next tuesday"]);
    let out = store.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(252));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--valid-to"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(key_state(&store, &key), "PendingImport", "nothing was imported");

    // Wrong material size for a symmetric key.
    std::fs::write(dir.join("material.bin"), [3u8; 16]).expect("write material");
    let short = std::fs::read(openssl_wrap(dir, "RSAES_OAEP_SHA_256")).expect("wrapped");
    refused(import(&key, &token, &b64(&short), &NEVER), "IncorrectKeyMaterialException");
    // The valid import still works with the same token (openssl_wrap overwrote the file).
    let ok_args = import(&key, &token, &b64(&bytes), &NEVER);
    let imported = store.json(&ok_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(str_field(&imported, "KeyMaterialId").len(), 64);

    // Parameters: the algorithm and spec are checked; only EXTERNAL keys take imports.
    let params = |key: &str, algorithm: &str, spec: &str| {
        vec![
            "get-parameters-for-import".to_owned(),
            "--key-id".to_owned(),
            key.to_owned(),
            "--wrapping-algorithm".to_owned(),
            algorithm.to_owned(),
            "--wrapping-key-spec".to_owned(),
            spec.to_owned(),
        ]
    };
    let failing = |args: Vec<String>, exception: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        store.service_error(&args, exception, "GetParametersForImport")
    };
    failing(params(&key, "RSAES_PKCS1_V1_5", "RSA_2048"), "UnsupportedOperationException");
    failing(params(&key, "RSAES_OAEP_SHA_256", "RSA_1024"), "ValidationException");
    failing(params(&key, "ROT13", "RSA_2048"), "ValidationException");
    let normal = store.create_key(&[]);
    failing(params(&normal, "RSAES_OAEP_SHA_256", "RSA_2048"), "UnsupportedOperationException");
    store.service_error(
        &["delete-imported-key-material", "--key-id", &normal],
        "UnsupportedOperationException",
        "DeleteImportedKeyMaterial",
    );
    failing(params("alias/none", "RSAES_OAEP_SHA_256", "RSA_2048"), "NotFoundException");
    store.json(&["schedule-key-deletion", "--key-id", &other_key]);
    failing(params(&other_key, "RSAES_OAEP_SHA_256", "RSA_2048"), "KMSInvalidStateException");
    let out = store.run(&["get-parameters-for-import", "--key-id", &key, "--wrapping-algorithm", "RSAES_OAEP_SHA_256"]);
    assert_eq!(out.status.code(), Some(252), "--wrapping-key-spec is required");
}

// ---------------------------------------------------------------------------------------------
// Access keys (the SigV4 credentials of a Keystead server).

const PRINCIPAL: &str = "arn:aws:iam::111122223333:role/checkout";

#[test]
fn access_keys_create_add_list_delete() {
    let mut store = Store::new();
    let created = store.json(&["access-key", "create", "--principal", PRINCIPAL]);
    let object = created.as_object().expect("an object");
    assert_eq!(object.keys().collect::<Vec<_>>(), ["AccessKey"], "{created}");
    let access_key = &created["AccessKey"];
    let id = str_field(access_key, "AccessKeyId").to_owned();
    let secret = str_field(access_key, "SecretAccessKey").to_owned();
    assert_eq!(str_field(access_key, "Principal"), PRINCIPAL);
    assert!(id.starts_with("AKIA") && id.len() == 20, "{id}");
    assert!(id[4..].bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "{id}");
    assert_eq!(secret.len(), 40, "{secret}");
    assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'), "{secret}");
    // Text output with a query gives the bare secret (for scripts).
    let second = store.ok(&[
        "access-key",
        "create",
        "--principal",
        "arn:aws:iam::111122223333:user/ada",
        "--query",
        "AccessKey.SecretAccessKey",
        "--output",
        "text",
    ]);
    assert_eq!(second.trim().len(), 40);
    assert_ne!(second.trim(), secret);

    // Listing never shows a secret.
    let listed_text = store.ok(&["access-key", "list"]);
    assert!(!listed_text.contains(&secret) && !listed_text.contains(second.trim()), "{listed_text}");
    assert!(!listed_text.contains("SecretAccessKey"), "{listed_text}");
    let listed: Value = serde_json::from_str(&listed_text).expect("JSON");
    let keys = listed["AccessKeys"].as_array().expect("AccessKeys");
    assert_eq!(keys.len(), 2, "{listed}");
    let ours = keys.iter().find(|k| k["AccessKeyId"] == id.as_str()).expect("the created key is listed");
    assert_eq!(str_field(ours, "Principal"), PRINCIPAL);
    assert!(ours["CreateDate"].as_f64().is_some_and(|t| (t - now_seconds()).abs() < 600.0), "{ours}");
    let text = store.ok(&["access-key", "list", "--output", "text"]);
    assert!(text.contains(&id) && !text.contains(&secret), "{text}");

    // Add an existing key; the secret comes from an environment variable only.
    let added_id = "AKIAIOSFODNN7EXAMPLE";
    let added_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    store.env.push(("KS_TEST_SECRET".to_owned(), added_secret.to_owned()));
    let added = store.json(&[
        "access-key",
        "add",
        "--access-key-id",
        added_id,
        "--secret-access-key-env",
        "KS_TEST_SECRET",
        "--principal",
        PRINCIPAL,
    ]);
    assert_eq!(str_field(&added["AccessKey"], "AccessKeyId"), added_id);
    assert_eq!(str_field(&added["AccessKey"], "Principal"), PRINCIPAL);
    assert!(!added.to_string().contains(added_secret), "{added}");
    let listed = store.ok(&["access-key", "list"]);
    assert!(listed.contains(added_id) && !listed.contains(added_secret), "{listed}");
    // The same id again: AlreadyExistsException (exit 254).
    store.service_error(
        &[
            "access-key",
            "add",
            "--access-key-id",
            added_id,
            "--secret-access-key-env",
            "KS_TEST_SECRET",
            "--principal",
            PRINCIPAL,
        ],
        "AlreadyExistsException",
        "AddAccessKey",
    );
    // The secret is never an argument; an unset variable is a usage error.
    let out = store.run(&[
        "access-key",
        "add",
        "--access-key-id",
        "AKIAIOSFODNN7EXAMPL2",
        "--secret-access-key",
        added_secret,
        "--principal",
        PRINCIPAL,
    ]);
    assert_eq!(out.status.code(), Some(252));
    let out = store.run(&[
        "access-key",
        "add",
        "--access-key-id",
        "AKIAIOSFODNN7EXAMPL2",
        "--secret-access-key-env",
        "KS_TEST_SECRET_UNSET",
        "--principal",
        PRINCIPAL,
    ]);
    assert_eq!(out.status.code(), Some(252));
    assert!(String::from_utf8_lossy(&out.stderr).contains("KS_TEST_SECRET_UNSET"));
    // Bad principal / id / secret are the service's ValidationException.
    store.service_error(&["access-key", "create", "--principal", "checkout"], "ValidationException", "CreateAccessKey");
    store.service_error(
        &[
            "access-key",
            "add",
            "--access-key-id",
            "short",
            "--secret-access-key-env",
            "KS_TEST_SECRET",
            "--principal",
            PRINCIPAL,
        ],
        "ValidationException",
        "AddAccessKey",
    );
    store.env.push(("KS_TEST_SHORT".to_owned(), "tiny".to_owned()));
    store.service_error(
        &[
            "access-key",
            "add",
            "--access-key-id",
            "AKIAIOSFODNN7EXAMPL3",
            "--secret-access-key-env",
            "KS_TEST_SHORT",
            "--principal",
            PRINCIPAL,
        ],
        "ValidationException",
        "AddAccessKey",
    );

    // Delete prints nothing; deleting again is NotFoundException.
    store.silent(&["access-key", "delete", "--access-key-id", &id]);
    store.service_error(&["access-key", "delete", "--access-key-id", &id], "NotFoundException", "DeleteAccessKey");
    let listed: Value = store.json(&["access-key", "list"]);
    let ids: Vec<&str> =
        listed["AccessKeys"].as_array().expect("list").iter().filter_map(|k| k["AccessKeyId"].as_str()).collect();
    assert_eq!(ids.len(), 2, "{listed}");
    assert!(!ids.contains(&id.as_str()) && ids.contains(&added_id), "{listed}");

    // The keys live in the store: a new process still sees them, and a root-key rotation
    // keeps them.
    store.silent(&["rotate-root-key"]);
    let listed: Value = store.json(&["access-key", "list", "--query", "AccessKeys[0].AccessKeyId"]);
    assert!(listed.is_string(), "{listed}");
    assert_eq!(store.json(&["access-key", "list"])["AccessKeys"].as_array().map(Vec::len), Some(2));
}

#[test]
fn key_policies_grants_and_principals() {
    let store = Store::new();
    let checkout = "arn:aws:iam::111122223333:role/checkout";
    let admin = "arn:aws:iam::111122223333:user/admin";
    let outsider = "arn:aws:iam::444455556666:role/intruder";
    let key = store.create_key(&[]);
    let plaintext = b64(b"order 42");

    // The default policy: readable, the account's principals may use the key, others not.
    let policy = store.json(&["get-key-policy", "--key-id", &key]);
    assert_eq!(policy["PolicyName"], "default");
    let document: Value = serde_json::from_str(policy["Policy"].as_str().expect("Policy")).expect("policy JSON");
    assert_eq!(document["Statement"][0]["Sid"], "Enable IAM User Permissions");
    assert_eq!(store.json(&["list-key-policies", "--key-id", &key])["PolicyNames"][0], "default");
    store.json(&["--as-principal", checkout, "encrypt", "--key-id", &key, "--plaintext", &plaintext]);
    let line = store.service_error(
        &["--as-principal", outsider, "encrypt", "--key-id", &key, "--plaintext", &plaintext],
        "AccessDeniedException",
        "Encrypt",
    );
    assert!(line.contains("kms:Encrypt"), "{line}");

    // A policy from a file: the admin administers, checkout may only encrypt with purpose=orders.
    let policy_text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [
            {{"Sid": "Admin", "Effect": "Allow", "Principal": {{"AWS": "{admin}"}}, "Action": "kms:*", "Resource": "*"}},
            {{"Sid": "Checkout", "Effect": "Allow", "Principal": {{"AWS": "{checkout}"}}, "Action": "kms:Encrypt", "Resource": "*",
              "Condition": {{"StringEquals": {{"kms:EncryptionContext:purpose": "orders"}}}}}}]}}"#
    );
    let policy_file = store.dir.parent().expect("parent").join("policy.json");
    std::fs::write(&policy_file, &policy_text).expect("write policy");
    let file_arg = format!("file://{}", path_str(&policy_file));
    // The lockout check: the account principal would lock itself out.
    store.service_error(
        &["put-key-policy", "--key-id", &key, "--policy", &file_arg],
        "MalformedPolicyDocumentException",
        "PutKeyPolicy",
    );
    store.silent(&["--as-principal", admin, "put-key-policy", "--key-id", &key, "--policy", &file_arg]);
    store.json(&[
        "--as-principal",
        checkout,
        "encrypt",
        "--key-id",
        &key,
        "--plaintext",
        &plaintext,
        "--encryption-context",
        "purpose=orders",
    ]);
    store.service_error(
        &["--as-principal", checkout, "encrypt", "--key-id", &key, "--plaintext", &plaintext],
        "AccessDeniedException",
        "Encrypt",
    );
    let explained = store.json(&[
        "--as-principal",
        checkout,
        "explain",
        "--key-id",
        &key,
        "--action",
        "kms:Encrypt",
        "--encryption-context",
        "purpose=orders",
    ]);
    assert_eq!(explained["Decision"], "Allow");
    assert_eq!(explained["PolicyStatements"][0], "Checkout");

    // Grants: the outsider gets Encrypt with a constraint, uses it, loses it on revoke.
    let grant = store.json(&[
        "--as-principal",
        admin,
        "create-grant",
        "--key-id",
        &key,
        "--grantee-principal",
        outsider,
        "--operations",
        "Encrypt",
        "Decrypt",
        "--retiring-principal",
        admin,
        "--constraints",
        r#"{"EncryptionContextSubset": {"dept": "it"}}"#,
        "--name",
        "it-batch",
    ]);
    let grant_id = grant["GrantId"].as_str().expect("GrantId").to_owned();
    assert!(grant["GrantToken"].as_str().is_some_and(|t| !t.is_empty()));
    store.json(&[
        "--as-principal",
        outsider,
        "encrypt",
        "--key-id",
        &key,
        "--plaintext",
        &plaintext,
        "--encryption-context",
        "dept=it",
    ]);
    store.service_error(
        &[
            "--as-principal",
            outsider,
            "encrypt",
            "--key-id",
            &key,
            "--plaintext",
            &plaintext,
            "--encryption-context",
            "dept=hr",
        ],
        "AccessDeniedException",
        "Encrypt",
    );
    let grants = store.json(&["--as-principal", admin, "list-grants", "--key-id", &key]);
    assert_eq!(grants["Grants"][0]["GrantId"], grant_id.as_str());
    assert_eq!(grants["Grants"][0]["Operations"], serde_json::json!(["Decrypt", "Encrypt"]));
    assert_eq!(grants["Grants"][0]["Constraints"]["EncryptionContextSubset"]["dept"], "it");
    assert_eq!(grants["Truncated"], false);
    let retirable = store.json(&["--as-principal", admin, "list-retirable-grants", "--retiring-principal", admin]);
    assert_eq!(retirable["Grants"].as_array().map(Vec::len), Some(1));
    store.service_error(
        &["--as-principal", admin, "revoke-grant", "--key-id", &key, "--grant-id", &grant_id, "--dry-run"],
        "DryRunOperationException",
        "RevokeGrant",
    );
    store.silent(&["--as-principal", admin, "revoke-grant", "--key-id", &key, "--grant-id", &grant_id]);
    store.service_error(
        &[
            "--as-principal",
            outsider,
            "encrypt",
            "--key-id",
            &key,
            "--plaintext",
            &plaintext,
            "--encryption-context",
            "dept=it",
        ],
        "AccessDeniedException",
        "Encrypt",
    );
    // Bad inputs.
    store.service_error(&["--as-principal", "alice", "list-keys"], "InvalidArnException", "ListKeys");
    store.service_error(
        &[
            "--as-principal",
            admin,
            "create-grant",
            "--key-id",
            &key,
            "--grantee-principal",
            outsider,
            "--operations",
            "Sign",
        ],
        "ValidationException",
        "CreateGrant",
    );
    // A new key with a policy given at creation.
    let created = store.json(&["--as-principal", admin, "create-key", "--policy", &file_arg]);
    let new_key = created["KeyMetadata"]["KeyId"].as_str().expect("KeyId");
    assert_eq!(
        store.json(&["--as-principal", admin, "get-key-policy", "--key-id", new_key])["Policy"],
        policy_text.as_str()
    );
}
