//! The server over real HTTP on a loopback port: the wire format, SigV4 rejections, limits,
//! errors and graceful shutdown, with requests written byte by byte (no AWS SDK involved; the
//! SDKs are tested by server/test.sh).
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use keystead_server::sigv4;
use keystead_server::{Config, Server};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const PRINCIPAL: &str = "arn:aws:iam::111122223333:role/tests";

struct Running {
    store: keystead_core::Keystead,
    addr: SocketAddr,
    key_id: String,
    secret: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Running {
    async fn start(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path().join("store"));
        config.access_log = false;
        adjust(&mut config);
        let server = Server::bind(config).await.unwrap();
        let created = server.store().create_access_key(PRINCIPAL).unwrap();
        let secret = String::from_utf8(created.secret_access_key.expose().to_vec()).unwrap();
        let addr = server.local_addr().unwrap();
        let store = server.store().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async {
            let _ = stopped.await;
        }));
        Self { store, addr, key_id: created.access_key_id, secret, stop: Some(stop), task, _dir: dir }
    }

    fn now() -> i64 {
        i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
    }

    /// A signed KMS call; `tweak` may change the signing inputs.
    async fn call_with(
        &self,
        operation: &str,
        body: &str,
        key_id: &str,
        secret: &str,
        at: i64,
        region: &str,
    ) -> (u16, String, Value) {
        let host = self.addr.to_string();
        let date = sigv4::amz_date(at);
        let target = format!("TrentService.{operation}");
        let headers: Vec<(&str, &[u8])> = vec![
            ("content-type", b"application/x-amz-json-1.1"),
            ("host", host.as_bytes()),
            ("x-amz-date", date.as_bytes()),
            ("x-amz-target", target.as_bytes()),
        ];
        let request =
            sigv4::Request { method: "POST", path: "/", query: "", headers: headers.clone(), body: body.as_bytes() };
        let authorization = sigv4::sign(&request, key_id, secret.as_bytes(), region, "kms", &date).unwrap();
        let mut raw = format!("POST / HTTP/1.1\r\nauthorization: {authorization}\r\n");
        for (name, value) in headers {
            raw.push_str(&format!("{name}: {}\r\n", std::str::from_utf8(value).unwrap()));
        }
        raw.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()));
        self.raw(raw.as_bytes()).await
    }

    async fn call(&self, operation: &str, body: Value) -> (u16, String, Value) {
        self.call_with(operation, &body.to_string(), &self.key_id, &self.secret, Self::now(), "us-east-1").await
    }

    /// Sends raw bytes; returns the status, the raw head and the JSON body (Null when empty).
    async fn raw(&self, request: &[u8]) -> (u16, String, Value) {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let text = String::from_utf8(response).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let value = if body.is_empty() { Value::Null } else { serde_json::from_str(body).unwrap() };
        (status, head.to_ascii_lowercase(), value)
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task).await.unwrap().unwrap().unwrap();
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn error_type(body: &Value) -> &str {
    body["__type"].as_str().unwrap()
}

#[tokio::test]
async fn round_trip_in_aws_shapes() {
    let server = Running::start(|_| {}).await;
    let (status, head, created) = server.call("CreateKey", json!({"Description": "wire"})).await;
    assert_eq!(status, 200, "{created}");
    assert!(head.contains("content-type: application/x-amz-json-1.1"));
    assert!(head.contains("x-amzn-requestid: "));
    let meta = &created["KeyMetadata"];
    let key_id = meta["KeyId"].as_str().unwrap();
    assert_eq!(meta["Arn"], format!("arn:aws:kms:us-east-1:111122223333:key/{key_id}"));
    let created_at = meta["CreationDate"].as_f64().unwrap();
    assert!((created_at - Running::now() as f64).abs() < 60.0, "dates are epoch seconds: {created_at}");

    let (status, _, sealed) = server
        .call("Encrypt", json!({"KeyId": key_id, "Plaintext": b64(b"wire secret"), "EncryptionContext": {"a": "b"}}))
        .await;
    assert_eq!(status, 200, "{sealed}");
    let (status, _, opened) = server
        .call("Decrypt", json!({"CiphertextBlob": sealed["CiphertextBlob"], "EncryptionContext": {"a": "b"}}))
        .await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["Plaintext"], b64(b"wire secret"));
    assert_eq!(opened["KeyId"], meta["Arn"]);

    // No output members: an empty body.
    let (status, _, body) = server.call("DisableKey", json!({"KeyId": key_id})).await;
    assert_eq!((status, body), (200, Value::Null));
    let (status, _, body) = server.call("Encrypt", json!({"KeyId": key_id, "Plaintext": b64(b"x")})).await;
    assert_eq!((status, error_type(&body)), (409, "DisabledException"));
    let (status, _, body) = server.call("DescribeKey", json!({"KeyId": "alias/none"})).await;
    assert_eq!((status, error_type(&body)), (404, "NotFoundException"));
    // An empty body is `{}`.
    let (status, _, listed) =
        server.call_with("ListKeys", "", &server.key_id, &server.secret, Running::now(), "us-east-1").await;
    assert_eq!(status, 200);
    assert_eq!(listed["Keys"][0]["KeyId"], key_id);
    assert_eq!(listed["Truncated"], false);
    server.stop().await;
}

#[tokio::test]
async fn signature_failures_get_aws_errors() {
    let server = Running::start(|_| {}).await;
    let now = Running::now();
    let (status, _, body) =
        server.call_with("ListKeys", "{}", &server.key_id, "wrong-secret-0123456789", now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (400, "InvalidSignatureException"));
    assert!(body["message"].as_str().unwrap().starts_with("The request signature we calculated does not match"));
    let (status, _, body) =
        server.call_with("ListKeys", "{}", "AKIAUNKNOWN000000000", &server.secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (400, "UnrecognizedClientException"));
    let (status, _, body) =
        server.call_with("ListKeys", "{}", &server.key_id, &server.secret, now - 600, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (400, "InvalidSignatureException"));
    assert!(body["message"].as_str().unwrap().starts_with("Signature expired:"), "{body}");
    let (status, _, body) =
        server.call_with("ListKeys", "{}", &server.key_id, &server.secret, now + 600, "us-east-1").await;
    assert!(body["message"].as_str().unwrap().starts_with("Signature not yet current:"), "{status} {body}");

    let unsigned = b"POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: TrentService.ListKeys\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
    let (status, _, body) = server.raw(unsigned).await;
    assert_eq!((status, error_type(&body)), (400, "MissingAuthenticationTokenException"));
    let garbled = b"POST / HTTP/1.1\r\nhost: x\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIA/x\r\nx-amz-date: 20250101T000000Z\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let (status, _, body) = server.raw(garbled).await;
    assert_eq!((status, error_type(&body)), (400, "IncompleteSignatureException"));
    server.stop().await;
}

#[tokio::test]
async fn bad_input_gets_serialization_and_validation_errors() {
    let server = Running::start(|_| {}).await;
    let now = Running::now();
    let call = |op: &'static str, body: &'static str| {
        let server = &server;
        async move { server.call_with(op, body, &server.key_id, &server.secret, now, "us-east-1").await }
    };
    let (status, _, body) = call("DescribeKey", "{not json").await;
    assert_eq!((status, error_type(&body)), (400, "SerializationException"));
    let (status, _, body) = call("DescribeKey", "[]").await;
    assert_eq!((status, error_type(&body)), (400, "SerializationException"));
    let (status, _, body) = call("DescribeKey", r#"{"KeyId": 7}"#).await;
    assert_eq!((status, error_type(&body)), (400, "SerializationException"));
    let (status, _, body) = call("Encrypt", r#"{"KeyId": "alias/a", "Plaintext": "not base64!"}"#).await;
    assert_eq!((status, error_type(&body)), (400, "SerializationException"));
    let (status, _, body) = call("DescribeKey", "{}").await;
    assert_eq!((status, error_type(&body)), (400, "ValidationException"));
    assert!(body["message"].as_str().unwrap().contains("'keyId'"), "{body}");
    let (status, _, body) = call("CreateKey", r#"{"KeySpec": "RSA_1024"}"#).await;
    assert_eq!((status, error_type(&body)), (400, "ValidationException"));
    let (status, _, body) = call("FrobnicateKey", "{}").await;
    assert_eq!((status, error_type(&body)), (400, "UnknownOperationException"));
    let (status, _, body) = call("CreateCustomKeyStore", "{}").await;
    assert_eq!((status, error_type(&body)), (400, "UnsupportedOperationException"));
    let (status, _, key) = call("CreateKey", "{}").await;
    assert_eq!(status, 200);
    let dry = json!({"KeyId": key["KeyMetadata"]["KeyId"], "Plaintext": b64(b"x"), "DryRun": true}).to_string();
    let (status, _, body) = server.call_with("Encrypt", &dry, &server.key_id, &server.secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (412, "DryRunOperationException"));
    server.stop().await;
}

#[tokio::test]
async fn limits_routes_and_health() {
    let server = Running::start(|c| {
        c.max_body_bytes = 2048;
        c.request_timeout = Duration::from_millis(500);
    })
    .await;
    let big = json!({"Description": "x".repeat(4000)}).to_string();
    let (status, _, body) =
        server.call_with("CreateKey", &big, &server.key_id, &server.secret, Running::now(), "us-east-1").await;
    assert_eq!((status, error_type(&body)), (413, "RequestEntityTooLargeException"));

    let (status, _, body) = server.raw(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
    assert_eq!((status, body["Status"].as_str()), (200, Some("ok")));
    assert_eq!(body["Region"], "us-east-1");
    let (status, _, body) = server.raw(b"GET /keys HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
    assert_eq!((status, error_type(&body)), (404, "UnknownOperationException"));

    // A body that never arrives runs into the request timeout.
    let started = std::time::Instant::now();
    let (status, _, body) = server
        .raw(b"POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: TrentService.ListKeys\r\ncontent-length: 100\r\n\r\n{")
        .await;
    assert_eq!((status, error_type(&body)), (503, "DependencyTimeoutException"));
    assert!(started.elapsed() < Duration::from_secs(5));
    server.stop().await;
}

#[tokio::test]
async fn the_credential_scope_region_selects_the_partition() {
    let server = Running::start(|_| {}).await;
    let now = Running::now();
    let (status, _, west) = server.call_with("CreateKey", "{}", &server.key_id, &server.secret, now, "eu-west-1").await;
    assert_eq!(status, 200, "{west}");
    let arn = west["KeyMetadata"]["Arn"].as_str().unwrap();
    assert!(arn.starts_with("arn:aws:kms:eu-west-1:111122223333:key/"), "{arn}");
    let describe = json!({"KeyId": west["KeyMetadata"]["KeyId"]}).to_string();
    let (status, _, _) =
        server.call_with("DescribeKey", &describe, &server.key_id, &server.secret, now, "eu-west-1").await;
    assert_eq!(status, 200);
    let (status, _, body) =
        server.call_with("DescribeKey", &describe, &server.key_id, &server.secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (404, "NotFoundException"));
    let (status, _, body) =
        server.call_with("ListKeys", "{}", &server.key_id, &server.secret, now, "Not_A_Region").await;
    assert_eq!((status, error_type(&body)), (400, "ValidationException"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn each_access_key_acts_as_its_principal() {
    let server = Running::start(|_| {}).await;
    let outsider = server.store.create_access_key("arn:aws:iam::444455556666:user/outsider").unwrap();
    let outsider_secret = String::from_utf8(outsider.secret_access_key.expose().to_vec()).unwrap();
    let (_, _, created) = server.call("CreateKey", json!({})).await;
    let arn = created["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    let now = Running::now();
    let encrypt = json!({"KeyId": arn, "Plaintext": b64(b"x")}).to_string();
    let (status, _, body) =
        server.call_with("Encrypt", &encrypt, &outsider.access_key_id, &outsider_secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (403, "AccessDeniedException"), "{body}");

    let grant = json!({"KeyId": arn, "GranteePrincipal": "arn:aws:iam::444455556666:user/outsider",
                       "Operations": ["Encrypt"]});
    let (status, _, granted) = server.call("CreateGrant", grant).await;
    assert_eq!(status, 200, "{granted}");
    assert!(granted["GrantId"].as_str().is_some_and(|id| !id.is_empty()));
    let (status, _, sealed) =
        server.call_with("Encrypt", &encrypt, &outsider.access_key_id, &outsider_secret, now, "us-east-1").await;
    assert_eq!(status, 200, "{sealed}");
    // The grant allows Encrypt only.
    let decrypt = json!({"CiphertextBlob": sealed["CiphertextBlob"]}).to_string();
    let (status, _, body) =
        server.call_with("Decrypt", &decrypt, &outsider.access_key_id, &outsider_secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (403, "AccessDeniedException"), "{body}");
    let (status, _, body) = server.call("Decrypt", json!({"CiphertextBlob": sealed["CiphertextBlob"]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Plaintext"], b64(b"x"));
    server.stop().await;
}
