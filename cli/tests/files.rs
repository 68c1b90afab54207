//! End-to-end tests of the envelope commands of the `keystead` binary: `encrypt-file`,
//! `decrypt-file` (files, pipes, byte ranges, allow-lists), `describe-file`, `encrypt-secret` /
//! `decrypt-secret`, and their failures (wrong context, tampering, truncation) with exit codes
//! and aws-cli-shaped error lines.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keystead");

struct Store {
    tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Store {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("store");
        let store = Self { tmp, dir };
        store.ok(&["init"], b"");
        store
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.arg("--store").arg(&self.dir).args(args).env_remove("KEYSTEAD_STORE");
        command
    }

    fn run(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn keystead");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        // Written from another thread: large inputs would otherwise deadlock on a full pipe.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().expect("wait keystead");
        writer.join().expect("stdin writer");
        output
    }

    fn ok(&self, args: &[&str], input: &[u8]) -> Vec<u8> {
        let output = self.run(args, input);
        assert!(
            output.status.success(),
            "keystead {args:?} failed ({:?}): {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// A command that must fail with a service error: exit 254 and the aws-cli error line.
    fn service_error(&self, args: &[&str], input: &[u8], exception: &str, operation: &str) -> Output {
        let output = self.run(args, input);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(254), "keystead {args:?}: {stderr}");
        let prefix = format!("An error occurred ({exception}) when calling the {operation} operation: ");
        assert!(stderr.lines().any(|l| l.starts_with(&prefix)), "expected {prefix:?} in {stderr:?}");
        output
    }

    fn create_key(&self) -> String {
        let out = self.ok(&["create-key"], b"");
        let v: Value = serde_json::from_slice(&out).expect("json");
        v["KeyMetadata"]["KeyId"].as_str().expect("KeyId").to_owned()
    }
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0]).collect()
}

#[test]
fn files_round_trip_at_segment_boundaries_with_no_partial_outputs() {
    let store = Store::new();
    let key = store.create_key();
    for len in [0usize, 1, 63, 64, 65, 64 * 5 + 3] {
        let plain = store.path("plain.bin");
        let sealed = store.path("sealed.ks");
        let opened = store.path("opened.bin");
        std::fs::write(&plain, data(len)).unwrap();
        let args = [
            "encrypt-file",
            "--key-id",
            &key,
            "--in",
            p(&plain),
            "--out",
            p(&sealed),
            "--encryption-context",
            "file=orders,day=2026-11-28",
            "--segment-size",
            "64",
        ];
        assert!(store.ok(&args, b"").is_empty(), "nothing on stdout");
        let message = std::fs::read(&sealed).unwrap();
        assert_eq!(message[0], 0xE1);
        let segments = len.div_ceil(64).max(1);
        // Header: 159 bytes plus the context's canonical encoding; 16 bytes per segment.
        let context_len = 2 + (2 + 4 + 2 + 6) + (2 + 3 + 2 + 10);
        assert_eq!(message.len(), 159 + context_len + len + 16 * segments);
        let args = [
            "decrypt-file",
            "--in",
            p(&sealed),
            "--out",
            p(&opened),
            "--encryption-context",
            "{\"day\":\"2026-11-28\",\"file\":\"orders\"}",
        ];
        store.ok(&args, b"");
        assert_eq!(std::fs::read(&opened).unwrap(), data(len), "length {len}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(store.tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn pipes_work_both_ways_and_stay_quiet() {
    let store = Store::new();
    let key = store.create_key();
    let plain = data(3 << 20); // three default segments and a bit
    let mut plain = plain;
    plain.extend_from_slice(b"tail");
    let output = store.run(&["encrypt-file", "--key-id", &key], &plain);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "no progress bar when stderr is not a terminal");
    let sealed = output.stdout;
    assert_eq!(sealed.len(), 159 + 2 + plain.len() + 16 * 4);
    let output = store.run(&["decrypt-file", "--in", "-", "--out", "-"], &sealed);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty());
    assert!(output.stdout == plain, "pipe round trip");
}

#[test]
fn several_wrapping_keys_and_the_allow_list() {
    let store = Store::new();
    let first = store.create_key();
    let second = store.create_key();
    let sealed = store.ok(&["encrypt-file", "--key-id", &first, "--key-id", &second], b"for two keys");
    let described: Value =
        serde_json::from_slice(&store.ok(&["describe-file", "--in", "-"], &sealed)).expect("describe json");
    assert_eq!(described["WrappingKeyIds"], serde_json::json!([first, second]));
    assert_eq!(described["SegmentSize"], 1 << 20);
    assert_eq!(described["EncryptionContext"], serde_json::json!({}));
    store.ok(&["disable-key", "--key-id", &first], b"");
    assert_eq!(store.ok(&["decrypt-file"], &sealed), b"for two keys");
    assert_eq!(store.ok(&["decrypt-file", "--allow-key", &second], &sealed), b"for two keys");
    store.service_error(&["decrypt-file", "--allow-key", &first], &sealed, "DisabledException", "DecryptFile");
    let third = store.create_key();
    store.service_error(&["decrypt-file", "--allow-key", &third], &sealed, "InvalidCiphertextException", "DecryptFile");
    store.service_error(
        &["decrypt-file", "--max-encrypted-data-keys", "1"],
        &sealed,
        "InvalidCiphertextException",
        "DecryptFile",
    );
}

#[test]
fn byte_ranges_need_a_seekable_input() {
    let store = Store::new();
    let key = store.create_key();
    let plain = data(1000);
    let sealed = store.path("ranged.ks");
    let source = store.path("ranged.bin");
    std::fs::write(&source, &plain).unwrap();
    let args = ["encrypt-file", "--key-id", &key, "--in", p(&source), "--out", p(&sealed), "--segment-size", "100"];
    store.ok(&args, b"");
    for (range, expected) in [
        ("0-0", &plain[0..1]),
        ("150-349", &plain[150..350]),
        ("990-", &plain[990..]),
        ("bytes=99-100", &plain[99..101]),
        ("900-5000", &plain[900..]),
        ("2000-3000", &plain[1000..]),
    ] {
        let out = store.ok(&["decrypt-file", "--in", p(&sealed), "--range", range], b"");
        assert_eq!(out, expected, "range {range}");
    }
    // stdin redirected from a file is seekable; a pipe is not.
    let file = std::fs::File::open(&sealed).unwrap();
    let output = store.command(&["decrypt-file", "--range", "10-19"]).stdin(file).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.stdout, &plain[10..20]);
    let message = std::fs::read(&sealed).unwrap();
    let output = store.run(&["decrypt-file", "--range", "10-19"], &message);
    assert_eq!(output.status.code(), Some(252));
    assert!(String::from_utf8_lossy(&output.stderr).contains("seekable"));
    let output = store.run(&["decrypt-file", "--in", p(&sealed), "--range", "30-10"], b"");
    assert_eq!(output.status.code(), Some(252));
    // A tampered segment inside the range is refused; outside the range it is not read.
    let mut bad = message;
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::write(&sealed, &bad).unwrap();
    let args = ["decrypt-file", "--in", p(&sealed), "--range", "0-99"];
    assert_eq!(store.ok(&args, b""), &plain[..100]);
    let args = ["decrypt-file", "--in", p(&sealed), "--range", "950-960"];
    store.service_error(&args, b"", "InvalidCiphertextException", "DecryptFile");
}

#[test]
fn wrong_context_tampering_and_truncation_fail_with_status_254() {
    let store = Store::new();
    let key = store.create_key();
    let plain = data(500);
    let args = ["encrypt-file", "--key-id", &key, "--encryption-context", "tenant=7", "--segment-size", "128"];
    let sealed = store.ok(&args, &plain);
    let opened = store.path("never.bin");
    let out = p(&opened);
    store.service_error(&["decrypt-file", "--out", out], &sealed, "InvalidCiphertextException", "DecryptFile");
    let wrong = ["decrypt-file", "--out", out, "--encryption-context", "tenant=8"];
    store.service_error(&wrong, &sealed, "InvalidCiphertextException", "DecryptFile");
    let right = ["decrypt-file", "--out", out, "--encryption-context", "tenant=7"];
    for at in [0, 40, 100, sealed.len() / 2, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[at] ^= 0x40;
        store.service_error(&right, &bad, "InvalidCiphertextException", "DecryptFile");
    }
    for cut in [10, 200, sealed.len() - 144, sealed.len() - 1] {
        store.service_error(&right, &sealed[..cut], "InvalidCiphertextException", "DecryptFile");
    }
    let mut extended = sealed.clone();
    extended.push(0);
    store.service_error(&right, &extended, "InvalidCiphertextException", "DecryptFile");
    assert!(!opened.exists(), "no output file after a failure");
    store.ok(&right, &sealed);
    assert_eq!(std::fs::read(&opened).unwrap(), plain);

    // A missing key, a bad segment size, a missing input.
    store.service_error(&["encrypt-file", "--key-id", "alias/none"], b"x", "NotFoundException", "EncryptFile");
    let args = ["encrypt-file", "--key-id", &key, "--segment-size", "8"];
    store.service_error(&args, b"x", "ValidationException", "EncryptFile");
    let output = store.run(&["encrypt-file", "--key-id", &key, "--segment-size", "big"], b"x");
    assert_eq!(output.status.code(), Some(252));
    let output = store.run(&["decrypt-file", "--in", p(&store.path("missing.ks"))], b"");
    assert_eq!(output.status.code(), Some(255));
}

#[test]
fn secrets_from_stdin_or_an_environment_variable() {
    let store = Store::new();
    let key = store.create_key();
    let out = store.ok(
        &["encrypt-secret", "--key-id", &key, "--name", "DB_PASSWORD", "--encryption-context", "app=shop"],
        b"hunter2\n",
    );
    let text = String::from_utf8(out).unwrap();
    let value = text.trim_end();
    assert!(value.starts_with("keystead:v1:"), "{value}");
    assert_eq!(text.lines().count(), 1);
    let opened =
        store.ok(&["decrypt-secret", "--name", "DB_PASSWORD", "--encryption-context", "app=shop"], value.as_bytes());
    assert_eq!(opened, b"hunter2\n", "the secret without stdin's newline, printed with one");
    store.service_error(
        &["decrypt-secret", "--name", "API_KEY", "--encryption-context", "app=shop"],
        value.as_bytes(),
        "InvalidCiphertextException",
        "DecryptSecret",
    );
    let mut command =
        store.command(&["encrypt-secret", "--key-id", &key, "--name", "TOKEN", "--value-env", "MY_TOKEN"]);
    let output = command.env("MY_TOKEN", "t0ken").stdin(Stdio::null()).output().unwrap();
    assert!(output.status.success());
    let value = String::from_utf8(output.stdout).unwrap();
    let mut command = store.command(&["decrypt-secret", "--name", "TOKEN", "--value-env", "SEALED"]);
    let output = command.env("SEALED", value.trim_end()).stdin(Stdio::null()).output().unwrap();
    assert_eq!(output.stdout, b"t0ken\n");
    store.service_error(
        &["encrypt-secret", "--key-id", &key, "--name", "X"],
        b"",
        "ValidationException",
        "EncryptSecret",
    );
}
