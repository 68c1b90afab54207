//! Target `kms_json`: the KMS JSON 1.1 request decoder of `keystead serve`, driven end to end.
//! The real server (`keystead_server::Server`, axum) runs in this process on a loopback port
//! over a store in a temporary folder; each input becomes one SigV4-signed HTTP request, so the
//! decoder is fuzzed exactly as clients reach it (the target header, the body reader, the
//! member readers of every operation, the core call behind them).
//!
//! Input: the `X-Amz-Target` value up to the first newline (control characters dropped: they
//! cannot be sent in a header), then the body. In the body, `${NAME}` placeholders are replaced
//! by fixture values (see [`PLACEHOLDERS`]): key ids and the ciphertexts, signatures, MACs,
//! import tokens and grant tokens the fixture store really produced, which differ per process.
//! The seeds (`examples/gen_corpus.rs`) are boto3-shaped bodies for every operation.
//!
//! Checks:
//! - every response is a well-formed AWS answer: status 200 with an empty body or a JSON
//!   object, or a 4xx with `application/x-amz-json-1.1` and `{"__type", "message"}` whose type
//!   is a KMS exception (or one of the wire's Serialization/Validation/UnknownOperation/
//!   UnsupportedOperation exceptions) with that exception's status; never a 5xx (a panic in the
//!   handler is a 500 KMSInternalException) and never a signature error (the harness signs
//!   correctly);
//! - a body that is JSON gives the same outcome (status and exception) when re-encoded (keys
//!   in another order, no whitespace, escapes normalised), so the decoder reads the document,
//!   not its spelling; checked for every read-only operation and for every failed mutation
//!   (a refused request changes nothing);
//! - Encrypt and GenerateDataKey successes decrypt (Decrypt with the request's own context) to
//!   the request's plaintext (base64-decoded here) or the returned data key, so the decoder
//!   handed the core the right bytes and context; GenerateRandom returns the bytes asked for.
//!
//! A successful mutation (CreateKey, DisableKey, PutKeyPolicy...) changes the store, so the
//! store is then reset from a pristine copy: every input runs against the same state and a
//! crash file reproduces on its own.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use keystead_core::ErrorKind;
use keystead_server::{sigv4, Config, Server};
use serde_json::{json, Value};

/// The principal the harness's access key stands for (the store's default account).
const PRINCIPAL: &str = "arn:aws:iam::111122223333:role/fuzz";
/// The encryption context of the fixture ciphertexts.
const CONTEXT: &str = r#"{"purpose":"fuzz"}"#;

/// Placeholders a body may use, replaced by the fixture value of that name.
pub const PLACEHOLDERS: [&str; 22] = [
    "KEY",
    "KEY_ARN",
    "ALIAS",
    "RSA",
    "SIGN",
    "HMAC",
    "AGREE",
    "EXTERNAL",
    "DISABLED",
    "PENDING",
    "BLOB",
    "RSA_BLOB",
    "MESSAGE",
    "SIGNATURE",
    "MAC",
    "PEER_KEY",
    "TOKEN",
    "MATERIAL",
    "GRANT_ID",
    "GRANT_TOKEN",
    "PRINCIPAL",
    "WRAPPING_KEY",
];

/// Operations that change the store when they succeed (the store is reset after one).
const MUTATIONS: [&str; 22] = [
    "CancelKeyDeletion",
    "CreateAlias",
    "CreateGrant",
    "CreateKey",
    "DeleteAlias",
    "DeleteImportedKeyMaterial",
    "DisableKey",
    "DisableKeyRotation",
    "EnableKey",
    "EnableKeyRotation",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "PutKeyPolicy",
    "RetireGrant",
    "RevokeGrant",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateKeyDescription",
    "UpdatePrimaryRegion",
];

/// Exceptions of the wire layer (not core error kinds), with their status.
const WIRE_ERRORS: [(&str, u16); 5] = [
    ("SerializationException", 400),
    ("ValidationException", 400),
    ("UnknownOperationException", 400),
    ("UnsupportedOperationException", 400),
    ("RequestEntityTooLargeException", 413),
];

/// A response as read off the connection.
#[derive(Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// The `content-type` header.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The exception name of an error response.
    fn error_type(&self) -> Option<String> {
        (self.status != 200).then(|| self.json()["__type"].as_str().unwrap_or_default().to_owned())
    }
}

/// A keep-alive HTTP/1.1 connection to the server, signing every request.
struct Client {
    addr: SocketAddr,
    access_key_id: String,
    secret: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Client {
    fn connect(&mut self) -> std::io::Result<&mut BufReader<TcpStream>> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr)?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(60)))?;
            self.stream = Some(BufReader::new(stream));
        }
        self.stream.as_mut().ok_or_else(|| std::io::Error::other("no connection"))
    }

    fn request_bytes(&self, target: &[u8], body: &[u8]) -> Vec<u8> {
        let host = self.addr.to_string();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let date = sigv4::amz_date(i64::try_from(now).unwrap_or(0));
        let headers: Vec<(&str, &[u8])> = vec![
            ("content-type", b"application/x-amz-json-1.1"),
            ("host", host.as_bytes()),
            ("x-amz-date", date.as_bytes()),
            ("x-amz-target", target),
        ];
        let signed = sigv4::Request { method: "POST", path: "/", query: "", headers: headers.clone(), body };
        let authorization =
            sigv4::sign(&signed, &self.access_key_id, self.secret.as_bytes(), "us-east-1", "kms", &date)
                .expect("signing a request");
        let mut raw = format!("POST / HTTP/1.1\r\nauthorization: {authorization}\r\n").into_bytes();
        for (name, value) in headers {
            raw.extend_from_slice(name.as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(value);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        raw.extend_from_slice(body);
        raw
    }

    /// Sends one request; a connection the server closed in between is reopened once.
    fn send(&mut self, target: &[u8], body: &[u8]) -> Response {
        let raw = self.request_bytes(target, body);
        for attempt in 0..2 {
            match self.exchange(&raw) {
                Ok(Some(response)) => return response,
                // Closed before any byte of a response: the request was not processed.
                Ok(None) if attempt == 0 => self.stream = None,
                Ok(None) => panic!("the server closed the connection without a response"),
                Err(e) if attempt == 0 && e.kind() != std::io::ErrorKind::InvalidData => self.stream = None,
                Err(e) => panic!("HTTP exchange failed: {e}"),
            }
        }
        unreachable!("two attempts return or panic")
    }

    fn exchange(&mut self, raw: &[u8]) -> std::io::Result<Option<Response>> {
        let stream = self.connect()?;
        stream.get_mut().write_all(raw)?;
        let mut line = String::new();
        if stream.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let status: u16 = line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| bad(&format!("bad status line {line:?}")))?;
        let (mut length, mut content_type, mut close) = (None, String::new(), false);
        loop {
            line.clear();
            stream.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').ok_or_else(|| bad("bad header line"))?;
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "content-type" => value.clone_into(&mut content_type),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let length = length.ok_or_else(|| bad("response without content-length"))?;
        let mut body = vec![0; length];
        stream.read_exact(&mut body)?;
        if close {
            self.stream = None;
        }
        Ok(Some(Response { status, content_type, body }))
    }
}

/// The running server over the live copy of the store.
struct Live {
    client: Client,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    /// Holds the temporary folder (pristine and live stores) for the process's lifetime.
    _dir: tempfile::TempDir,
    pristine: PathBuf,
    live_dir: PathBuf,
    access_key_id: String,
    secret: String,
    values: Vec<(String, String)>,
    live: Option<Live>,
}

fn config(dir: &Path) -> Config {
    let mut config = Config::new(dir);
    // One access-log line per request on stderr would drown libFuzzer's output.
    config.access_log = false;
    config
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create store copy");
    for entry in std::fs::read_dir(from).expect("read pristine store").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy store file");
        }
    }
}

impl Harness {
    fn start(&self, dir: &Path) -> Live {
        let server = self.runtime.block_on(Server::bind(config(dir))).expect("bind the server");
        let addr = server.local_addr().expect("server address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = self.runtime.spawn(server.serve(async {
            let _ = stopped.await;
        }));
        let client =
            Client { addr, access_key_id: self.access_key_id.clone(), secret: self.secret.clone(), stream: None };
        Live { client, stop, task }
    }

    fn stop(&mut self) {
        if let Some(mut live) = self.live.take() {
            // Close our connection first: graceful shutdown waits for open connections.
            live.client.stream = None;
            let _ = live.stop.send(());
            self.runtime.block_on(live.task).expect("server task").expect("server stopped cleanly");
        }
    }

    /// Replaces the live store with a fresh copy of the pristine one and restarts the server.
    fn reset(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.live_dir);
        copy_dir(&self.pristine, &self.live_dir);
        let live_dir = self.live_dir.clone();
        self.live = Some(self.start(&live_dir));
    }

    fn client(&mut self) -> &mut Client {
        &mut self.live.as_mut().expect("server running").client
    }

    fn call(&mut self, operation: &str, body: &Value) -> Value {
        let target = format!("TrentService.{operation}");
        let response = self.client().send(target.as_bytes(), body.to_string().as_bytes());
        assert_eq!(
            response.status,
            200,
            "fixture call {operation} failed: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()
    }

    fn create_key(&mut self, body: Value) -> String {
        self.call("CreateKey", &body)["KeyMetadata"]["KeyId"].as_str().expect("KeyId").to_owned()
    }

    /// Builds the pristine store through the API itself and records the fixture values.
    fn build() -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("tokio runtime");
        let dir = tempfile::tempdir().expect("temporary folder");
        let pristine = dir.path().join("pristine");
        let live_dir = dir.path().join("live");
        // The access key is created in the store before it serves (the server has no API for it).
        let (access_key_id, secret) = {
            let server = runtime.block_on(Server::bind(config(&pristine))).expect("bind the server");
            let created = server.store().create_access_key(PRINCIPAL).expect("create an access key");
            let secret = String::from_utf8(created.secret_access_key.expose().to_vec()).expect("ASCII secret");
            (created.access_key_id, secret)
        };
        let mut h = Self {
            runtime,
            _dir: dir,
            pristine: pristine.clone(),
            live_dir,
            access_key_id,
            secret,
            values: Vec::new(),
            live: None,
        };
        h.live = Some(h.start(&pristine));

        let key = h.create_key(json!({ "Description": "fuzz symmetric" }));
        h.call("CreateAlias", &json!({ "AliasName": "alias/fuzz", "TargetKeyId": key }));
        let rsa = h.create_key(json!({ "KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT" }));
        let sign = h.create_key(json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY" }));
        let hmac = h.create_key(json!({ "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC" }));
        let agree = h.create_key(json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT" }));
        let external = h.create_key(json!({ "Origin": "EXTERNAL" }));
        let disabled = h.create_key(json!({}));
        h.call("DisableKey", &json!({ "KeyId": disabled }));
        let pending = h.create_key(json!({}));
        h.call("ScheduleKeyDeletion", &json!({ "KeyId": pending, "PendingWindowInDays": 7 }));

        let context: Value = serde_json::from_str(CONTEXT).expect("context JSON");
        let message = base64::engine::general_purpose::STANDARD.encode(b"fuzz message");
        let blob = h.call("Encrypt", &json!({ "KeyId": key, "Plaintext": message, "EncryptionContext": context }))
            ["CiphertextBlob"]
            .clone();
        let rsa_blob = h.call(
            "Encrypt",
            &json!({ "KeyId": rsa, "Plaintext": message, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
        )["CiphertextBlob"]
            .clone();
        let signature = h.call(
            "Sign",
            &json!({ "KeyId": sign, "Message": message, "MessageType": "RAW", "SigningAlgorithm": "ECDSA_SHA_256" }),
        )["Signature"]
            .clone();
        let mac = h.call("GenerateMac", &json!({ "KeyId": hmac, "Message": message, "MacAlgorithm": "HMAC_SHA_256" }))
            ["Mac"]
            .clone();
        // A P-256 public key for DeriveSharedSecret: the signing key's (any valid SPKI will do).
        let peer = h.call("GetPublicKey", &json!({ "KeyId": sign }))["PublicKey"].clone();
        let params = h.call(
            "GetParametersForImport",
            &json!({ "KeyId": external, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
        );
        let wrapping_key = params["PublicKey"].as_str().expect("PublicKey").to_owned();
        let material = wrap_material(&wrapping_key);
        let grant = h.call(
            "CreateGrant",
            &json!({ "KeyId": key, "GranteePrincipal": PRINCIPAL, "Operations": ["Encrypt", "Decrypt"] }),
        );
        h.stop();

        let text = |v: &Value| v.as_str().expect("string value").to_owned();
        let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{key}");
        h.values = [
            ("KEY", key),
            ("KEY_ARN", arn),
            ("ALIAS", "alias/fuzz".to_owned()),
            ("RSA", rsa),
            ("SIGN", sign),
            ("HMAC", hmac),
            ("AGREE", agree),
            ("EXTERNAL", external),
            ("DISABLED", disabled),
            ("PENDING", pending),
            ("BLOB", text(&blob)),
            ("RSA_BLOB", text(&rsa_blob)),
            ("MESSAGE", message),
            ("SIGNATURE", text(&signature)),
            ("MAC", text(&mac)),
            ("PEER_KEY", text(&peer)),
            ("TOKEN", text(&params["ImportToken"])),
            ("MATERIAL", material),
            ("GRANT_ID", text(&grant["GrantId"])),
            ("GRANT_TOKEN", text(&grant["GrantToken"])),
            ("PRINCIPAL", PRINCIPAL.to_owned()),
            ("WRAPPING_KEY", wrapping_key),
        ]
        .into_iter()
        .map(|(name, value)| (format!("${{{name}}}"), value))
        .collect();
        debug_assert_eq!(h.values.len(), PLACEHOLDERS.len());
        h.reset();
        h
    }

    fn substitute(&self, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len());
        let mut rest = body;
        'scan: while !rest.is_empty() {
            if rest.starts_with(b"${") {
                for (name, value) in &self.values {
                    if rest.starts_with(name.as_bytes()) {
                        out.extend_from_slice(value.as_bytes());
                        rest = &rest[name.len()..];
                        continue 'scan;
                    }
                }
            }
            out.push(rest[0]);
            rest = &rest[1..];
        }
        out
    }
}

/// 32 random bytes wrapped with RSAES_OAEP_SHA_256 under `public_key` (base64 SPKI DER).
fn wrap_material(public_key: &str) -> String {
    use openssl::pkey::PKey;
    let der = base64::engine::general_purpose::STANDARD.decode(public_key).expect("wrapping key base64");
    let key = PKey::public_key_from_der(&der).expect("wrapping key DER");
    let mut encrypter = openssl::encrypt::Encrypter::new(&key).expect("encrypter");
    encrypter.set_rsa_padding(openssl::rsa::Padding::PKCS1_OAEP).expect("OAEP");
    encrypter.set_rsa_oaep_md(openssl::hash::MessageDigest::sha256()).expect("OAEP SHA-256");
    encrypter.set_rsa_mgf1_md(openssl::hash::MessageDigest::sha256()).expect("MGF1 SHA-256");
    let mut material = [0u8; 32];
    openssl::rand::rand_bytes(&mut material).expect("random material");
    let mut wrapped = vec![0; encrypter.encrypt_len(&material).expect("length")];
    let n = encrypter.encrypt(&material, &mut wrapped).expect("wrap");
    wrapped.truncate(n);
    base64::engine::general_purpose::STANDARD.encode(wrapped)
}

fn harness() -> &'static Mutex<Harness> {
    static HARNESS: OnceLock<Mutex<Harness>> = OnceLock::new();
    HARNESS.get_or_init(|| Mutex::new(Harness::build()))
}

/// Starts the server and builds the fixture store (libFuzzer calls this before the first
/// input: RSA key generation must not count against the per-input timeout).
pub fn init() {
    harness();
}

/// The status every known exception name is sent with.
fn expected_status(type_name: &str) -> Option<u16> {
    WIRE_ERRORS.iter().find(|(name, _)| *name == type_name).map(|(_, status)| *status).or_else(|| {
        ErrorKind::ALL
            .iter()
            .find(|kind| kind.exception_name() == type_name)
            // Keystead-only store failures are sent as KMSInternalException, never by their name.
            .filter(|kind| !matches!(kind, ErrorKind::IncorrectRootKey | ErrorKind::CorruptStore))
            .map(|kind| kind.http_status())
    })
}

/// Asserts that `response` is a well-formed AWS KMS answer.
pub fn check_well_formed(response: &Response) {
    let text = String::from_utf8_lossy(&response.body);
    assert_eq!(response.content_type, "application/x-amz-json-1.1", "content type of {} {text}", response.status);
    if response.status == 200 {
        if !response.body.is_empty() {
            assert!(response.json().is_object(), "a success body is a JSON object: {text}");
        }
        return;
    }
    assert!(response.status < 500, "server error {}: {text}", response.status);
    let value = response.json();
    let object = value.as_object().unwrap_or_else(|| panic!("error body is not a JSON object: {text}"));
    let type_name = object.get("__type").and_then(Value::as_str).unwrap_or_else(|| panic!("no __type: {text}"));
    assert!(object.get("message").is_some_and(Value::is_string), "no message: {text}");
    assert_eq!(object.len(), 2, "an error has exactly __type and message: {text}");
    let status = expected_status(type_name)
        .unwrap_or_else(|| panic!("{type_name} is not a KMS or wire exception (a signature error?): {text}"));
    assert_eq!(response.status, status, "{type_name} is sent with status {status}: {text}");
}

/// Splits an input into the target header value and the body.
fn split(data: &[u8]) -> (Vec<u8>, &[u8]) {
    let (target, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    // Header values cannot hold control characters, and HTTP trims the edges.
    let target: Vec<u8> =
        target.iter().copied().filter(|&b| (b >= 0x20 && b != 0x7f) || b == b'\t').take(256).collect();
    let trimmed = target.trim_ascii().to_vec();
    (trimmed, body)
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut h = harness().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (target, raw_body) = split(data);
    let body = h.substitute(raw_body);
    let response = h.client().send(&target, &body);
    check_well_formed(&response);

    let operation = target.strip_prefix(b"TrentService.").map(|op| String::from_utf8_lossy(op).into_owned());
    let operation = operation.as_deref().unwrap_or("");
    let request: Option<Value> =
        if body.trim_ascii().is_empty() { Some(json!({})) } else { serde_json::from_slice(&body).ok() };
    if response.status == 200 {
        if let Some(request) = &request {
            check_success(&mut h, operation, request, &response);
        }
    }
    let mutated = response.status == 200 && MUTATIONS.contains(&operation);
    if mutated {
        h.reset();
    }
    // The same document spelled canonically must get the same answer.
    if let Some(request) = request.filter(|r| r.is_object()) {
        let canonical = request.to_string().into_bytes();
        if canonical != body {
            let again = h.client().send(&target, &canonical);
            check_well_formed(&again);
            assert_eq!(
                (again.status, again.error_type()),
                (response.status, response.error_type()),
                "the re-encoded body {} got another answer than {:?}: {} vs {}",
                String::from_utf8_lossy(&canonical),
                String::from_utf8_lossy(&body),
                String::from_utf8_lossy(&again.body),
                String::from_utf8_lossy(&response.body),
            );
            if mutated {
                h.reset();
            }
        }
    }
}

fn b64(value: &Value) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(value.as_str()?).ok()
}

/// Operation-specific checks of a success: the decoder passed the request's bytes and context.
fn check_success(h: &mut Harness, operation: &str, request: &Value, response: &Response) {
    let out = response.json();
    let decrypts_to = |h: &mut Harness, blob: &Value, expected: &[u8]| {
        let mut decrypt = json!({ "CiphertextBlob": blob });
        if let Some(context) = request.get("EncryptionContext").filter(|c| !c.is_null()) {
            decrypt["EncryptionContext"] = context.clone();
        }
        if let Some(algorithm) = request.get("EncryptionAlgorithm").filter(|c| !c.is_null()) {
            decrypt["EncryptionAlgorithm"] = algorithm.clone();
            decrypt["KeyId"] = request["KeyId"].clone();
        }
        let answer = h.client().send(b"TrentService.Decrypt", decrypt.to_string().as_bytes());
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        assert_eq!(answer.status, 200, "{operation}'s ciphertext does not decrypt with the request's context: {text}");
        assert_eq!(b64(&answer.json()["Plaintext"]).as_deref(), Some(expected), "{operation} round trip");
    };
    match operation {
        "Encrypt" => {
            let plaintext = b64(&request["Plaintext"]).expect("Encrypt succeeded, so Plaintext is base64");
            decrypts_to(h, &out["CiphertextBlob"], &plaintext);
        }
        "GenerateDataKey" => {
            let key = b64(&out["Plaintext"]).expect("GenerateDataKey returns a base64 Plaintext");
            let expected_len = match (request["KeySpec"].as_str(), request["NumberOfBytes"].as_u64()) {
                (Some("AES_128"), _) => Some(16),
                (Some("AES_256"), _) => Some(32),
                (None, Some(n)) => Some(n as usize),
                _ => None,
            };
            if let Some(len) = expected_len {
                assert_eq!(key.len(), len, "GenerateDataKey length for {request}");
            }
            decrypts_to(h, &out["CiphertextBlob"], &key);
        }
        "GenerateRandom" => {
            let bytes = b64(&out["Plaintext"]).expect("GenerateRandom returns a base64 Plaintext");
            assert_eq!(Some(bytes.len() as u64), request["NumberOfBytes"].as_u64(), "GenerateRandom length");
        }
        _ => {}
    }
}
