//! The server over HTTPS (built-in TLS on OpenSSL) with a certificate chain made in the test:
//! signed KMS calls, limits and shutdown over TLS; what a client gets for plain HTTP, an old
//! protocol or garbage on the TLS port (and that the server keeps serving); bad certificate or
//! key files as startup errors; reloading the files while serving.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::pki::{self, Issued};
use common::{error_type, parse_response, tls_connect, Running};
use keystead_server::{Config, Server, TlsFiles};
use openssl::ssl::SslVersion;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn files(issued: &Issued) -> TlsFiles {
    TlsFiles { cert: issued.cert_file.clone(), key: issued.key_file.clone() }
}

async fn start_tls(adjust: impl FnOnce(&mut Config)) -> (Running, Issued) {
    let dir = tempfile::tempdir().unwrap();
    let issued = pki::issue(dir.path(), "");
    let tls = files(&issued);
    let server = Running::start_in(dir, Some(issued.root.clone()), |config| {
        config.tls = Some(tls);
        adjust(config);
    })
    .await;
    (server, issued)
}

/// The server still answers signed calls over TLS.
async fn assert_serving(server: &Running) {
    let (status, _, body) = server.call("ListKeys", json!({})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn signed_calls_limits_and_shutdown_over_https() {
    let (server, issued) = start_tls(|c| {
        c.max_body_bytes = 2048;
        c.request_timeout = Duration::from_millis(500);
    })
    .await;
    // A client that connects and never starts its handshake does not hold up others.
    let silent = TcpStream::connect(server.addr).await.unwrap();

    let (status, _, created) = server.call("CreateKey", json!({"Description": "over tls"})).await;
    assert_eq!(status, 200, "{created}");
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap();
    let opened = server.encrypt_decrypt(key_id, b"tls secret").await;
    assert_eq!(opened["KeyId"], created["KeyMetadata"]["Arn"]);
    let (status, _, body) = server.call("DescribeKey", json!({"KeyId": "alias/missing"})).await;
    assert_eq!((status, error_type(&body)), (404, "NotFoundException"));
    let (status, _, health) = server.raw(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
    assert_eq!((status, health["Status"].as_str()), (200, Some("ok")));

    // The chain file's server certificate is what the client sees, at TLS 1.2 or newer.
    let tls = tls_connect(TcpStream::connect(server.addr).await.unwrap(), &issued.root, None).await.unwrap();
    let presented = tls.ssl().peer_certificate().unwrap();
    assert_eq!(presented.to_der().unwrap(), issued.leaf.to_der().unwrap());
    let version = tls.ssl().version_str();
    assert!(version == "TLSv1.3" || version == "TLSv1.2", "{version}");
    drop(tls);

    // The request size and time limits hold over TLS.
    let big = json!({"Description": "x".repeat(4000)}).to_string();
    let (status, _, body) =
        server.call_with("CreateKey", &big, &server.key_id, &server.secret, Running::now(), "us-east-1").await;
    assert_eq!((status, error_type(&body)), (413, "RequestEntityTooLargeException"));
    let started = std::time::Instant::now();
    let (status, _, body) = server
        .raw(b"POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: TrentService.ListKeys\r\ncontent-length: 100\r\n\r\n{")
        .await;
    assert_eq!((status, error_type(&body)), (503, "DependencyTimeoutException"));
    assert!(started.elapsed() < Duration::from_secs(5));

    drop(silent);
    server.stop().await;
}

#[tokio::test]
async fn wrong_clients_fail_cleanly_and_the_server_keeps_serving() {
    let (server, _issued) = start_tls(|_| {}).await;

    // Plain HTTP to the HTTPS port: a plain 400 saying so, then the connection closes.
    let mut plain = TcpStream::connect(server.addr).await.unwrap();
    plain.write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}").await.unwrap();
    let mut response = Vec::new();
    plain.read_to_end(&mut response).await.unwrap();
    let (status, head, body) = parse_response(&response);
    assert_eq!(status, 400);
    assert!(head.contains("connection: close"), "{head}");
    assert!(body["message"].as_str().unwrap().contains("https://"), "{body}");
    assert_serving(&server).await;

    // Garbage that starts like a TLS record: the connection is closed, nothing else happens.
    let mut garbage = TcpStream::connect(server.addr).await.unwrap();
    garbage.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00]).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), garbage.read_to_end(&mut answer)).await.unwrap();
    assert!(read.is_err() || !answer.starts_with(b"HTTP"), "no HTTP answer to a broken handshake");
    assert_serving(&server).await;

    // TLS 1.1 and older are refused.
    let old = tls_connect(
        TcpStream::connect(server.addr).await.unwrap(),
        &server.trust.clone().unwrap(),
        Some(SslVersion::TLS1_1),
    )
    .await;
    let error = old.err().unwrap().to_string();
    assert!(error.contains("protocol version"), "a TLS 1.1 handshake must fail for its version: {error}");
    // A client that trusts another CA refuses the server's certificate.
    let elsewhere = tempfile::tempdir().unwrap();
    let other = pki::issue(elsewhere.path(), "other-");
    let untrusted = tls_connect(TcpStream::connect(server.addr).await.unwrap(), &other.root, None).await;
    let error = untrusted.err().unwrap().to_string();
    assert!(error.contains("certificate verify failed"), "{error}");
    assert_serving(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn bad_certificate_or_key_files_stop_startup() {
    let dir = tempfile::tempdir().unwrap();
    let good = pki::issue(dir.path(), "");
    let other = pki::issue(dir.path(), "other-");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n").unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, b"").unwrap();
    let encrypted = dir.path().join("encrypted-key.pem");
    let key = openssl::pkey::PKey::private_key_from_pem(&std::fs::read(&good.key_file).unwrap()).unwrap();
    let sealed = key.private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_256_cbc(), b"pass").unwrap();
    std::fs::write(&encrypted, sealed).unwrap();
    let missing = dir.path().join("missing.pem");
    let key_text = String::from_utf8(std::fs::read(&good.key_file).unwrap()).unwrap();
    let key_line = key_text.lines().nth(1).unwrap().to_owned();

    let cases = [
        (missing.clone(), good.key_file.clone(), missing.clone(), "cannot read the TLS certificate file"),
        (good.cert_file.clone(), missing.clone(), missing.clone(), "cannot read the TLS key file"),
        (garbage.clone(), good.key_file.clone(), garbage.clone(), "certificate"),
        (empty.clone(), good.key_file.clone(), empty.clone(), "certificate"),
        (good.cert_file.clone(), empty.clone(), empty.clone(), "holds no PEM private key"),
        (good.cert_file.clone(), encrypted.clone(), encrypted.clone(), "encrypted keys are not supported"),
        (good.cert_file.clone(), other.key_file.clone(), other.key_file.clone(), "does not hold the private key"),
    ];
    for (cert, key, named, expected) in cases {
        let mut config = Config::new(dir.path().join("store"));
        config.tls = Some(TlsFiles { cert, key });
        let error = Server::bind(config).await.err().unwrap();
        assert!(error.contains(expected), "{error}");
        assert!(error.contains(&named.display().to_string()), "the message names the file: {error}");
        assert!(!error.contains(&key_line) && !error.contains("PRIVATE KEY"), "no key material: {error}");
        // Nothing was created for a server that cannot start.
        assert!(!dir.path().join("store").exists());
    }
}

#[tokio::test]
async fn reloading_switches_the_certificate_for_new_connections() {
    let (server, first) = start_tls(|_| {}).await;
    let reloader = server.reloader.clone().unwrap();
    // A renewal: new files in place (a different CA here, so the switch is visible).
    let second = pki::issue(server.dir.path(), "");
    assert_eq!(second.cert_file, first.cert_file);
    let before = tls_connect(TcpStream::connect(server.addr).await.unwrap(), &second.root, None).await;
    assert!(before.is_err(), "the server presents the old certificate until it reloads");
    reloader.reload().unwrap();
    let after = tls_connect(TcpStream::connect(server.addr).await.unwrap(), &second.root, None).await.unwrap();
    assert_eq!(after.ssl().peer_certificate().unwrap().to_der().unwrap(), second.leaf.to_der().unwrap());
    drop(after);

    // A broken renewal is refused and the server keeps the certificate it has.
    std::fs::write(&second.key_file, b"oops").unwrap();
    let error = reloader.reload().unwrap_err();
    assert!(error.contains(&second.key_file.display().to_string()), "{error}");
    let still = tls_connect(TcpStream::connect(server.addr).await.unwrap(), &second.root, None).await.unwrap();
    assert_eq!(still.ssl().peer_certificate().unwrap().to_der().unwrap(), second.leaf.to_der().unwrap());
    drop(still);
    server.stop().await;
}
