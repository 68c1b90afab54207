//! A running server on a loopback port and a client that signs KMS calls byte by byte (plain
//! HTTP or TLS), shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod pki;

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use keystead_server::sigv4;
use keystead_server::{Config, Server, TlsReloader};
use openssl::ssl::{SslConnector, SslMethod, SslVersion};
use openssl::x509::X509;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

pub const PRINCIPAL: &str = "arn:aws:iam::111122223333:role/tests";

pub struct Running {
    pub store: keystead_core::Keystead,
    pub addr: SocketAddr,
    pub key_id: String,
    pub secret: String,
    /// The CA the client trusts: calls go over TLS when set.
    pub trust: Option<X509>,
    pub reloader: Option<TlsReloader>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub dir: tempfile::TempDir,
}

impl Running {
    pub async fn start(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), None, adjust).await
    }

    /// Starts a server in `dir`; `trust` is the CA for a TLS client (the server's TLS files come
    /// from `adjust`).
    pub async fn start_in(dir: tempfile::TempDir, trust: Option<X509>, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::new(dir.path().join("store"));
        config.access_log = false;
        adjust(&mut config);
        let server = Server::bind(config).await.unwrap();
        let created = server.store().create_access_key(PRINCIPAL).unwrap();
        let secret = String::from_utf8(created.secret_access_key.expose().to_vec()).unwrap();
        let addr = server.local_addr().unwrap();
        let store = server.store().clone();
        let reloader = server.tls_reloader();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async {
            let _ = stopped.await;
        }));
        Self { store, addr, key_id: created.access_key_id, secret, trust, reloader, stop: Some(stop), task, dir }
    }

    pub fn now() -> i64 {
        i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
    }

    /// A signed KMS call with the given signing inputs.
    pub async fn call_with(
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

    pub async fn call(&self, operation: &str, body: Value) -> (u16, String, Value) {
        self.call_with(operation, &body.to_string(), &self.key_id, &self.secret, Self::now(), "us-east-1").await
    }

    /// Sends raw bytes (over TLS when the client trusts a CA); returns the status, the raw head
    /// and the JSON body (Null when empty).
    pub async fn raw(&self, request: &[u8]) -> (u16, String, Value) {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let response = match &self.trust {
            None => exchange(tcp, request).await,
            Some(ca) => exchange(tls_connect(tcp, ca, None).await.unwrap(), request).await,
        };
        parse_response(&response)
    }

    /// Encrypts `plaintext` under `key_id` with an encryption context and decrypts it again;
    /// returns the Decrypt response after checking the plaintext came back.
    pub async fn encrypt_decrypt(&self, key_id: &str, plaintext: &[u8]) -> Value {
        let context = json!({"purpose": "round trip"});
        let (status, _, sealed) = self
            .call("Encrypt", json!({"KeyId": key_id, "Plaintext": b64(plaintext), "EncryptionContext": context}))
            .await;
        assert_eq!(status, 200, "{sealed}");
        let (status, _, opened) = self
            .call("Decrypt", json!({"CiphertextBlob": sealed["CiphertextBlob"], "EncryptionContext": context}))
            .await;
        assert_eq!(status, 200, "{opened}");
        assert_eq!(opened["Plaintext"], b64(plaintext));
        opened
    }

    pub async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task).await.unwrap().unwrap().unwrap();
    }
}

async fn exchange(mut stream: impl AsyncRead + AsyncWrite + Unpin, request: &[u8]) -> Vec<u8> {
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    response
}

pub fn parse_response(response: &[u8]) -> (u16, String, Value) {
    let text = std::str::from_utf8(response).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let value = if body.is_empty() { Value::Null } else { serde_json::from_str(body).unwrap() };
    (status, head.to_ascii_lowercase(), value)
}

/// A TLS client handshake that trusts only `ca` and checks that the certificate names
/// 127.0.0.1; `max_version` caps the protocol the client offers.
pub async fn tls_connect(
    tcp: TcpStream,
    ca: &X509,
    max_version: Option<SslVersion>,
) -> Result<SslStream<TcpStream>, openssl::ssl::Error> {
    let mut builder = SslConnector::builder(SslMethod::tls_client()).unwrap();
    builder.cert_store_mut().add_cert(ca.clone()).unwrap();
    if let Some(version) = max_version {
        builder.set_min_proto_version(Some(SslVersion::TLS1)).unwrap();
        builder.set_max_proto_version(Some(version)).unwrap();
        // OpenSSL's default security level refuses TLS < 1.2 on the client too.
        builder.set_cipher_list("DEFAULT:@SECLEVEL=0").unwrap();
    }
    let ssl = builder.build().configure().unwrap().into_ssl("127.0.0.1").unwrap();
    let mut stream = SslStream::new(ssl, tcp).unwrap();
    Pin::new(&mut stream).connect().await?;
    Ok(stream)
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn error_type(body: &Value) -> &str {
    body["__type"].as_str().unwrap()
}
