//! `kms-load`: a closed-loop load generator for the AWS KMS JSON API. Each of `--connections`
//! keep-alive HTTP/1.1 connections sends SigV4-signed `Encrypt` requests back to back for
//! `--seconds` (after `--warmup-seconds` not counted) and records each latency; the result is
//! one JSON line: requests/s, p50, p90, p99 and max latency, errors.
//!
//! It signs every request itself (a fresh `X-Amz-Date` per request, as SDKs do), so the server's
//! signature check is part of what is measured. It creates its own symmetric key first
//! (`CreateKey`), so it works the same against keystead serve and moto_server.
//!
//! `--tls CA_FILE` speaks HTTPS (OpenSSL, TLS 1.2 or newer, the server certificate verified
//! against the PEM CA file for the endpoint's IP address); each connection does its handshake
//! once, before the warm-up, then keeps the connection as SDKs do.
//!
//! Usage: `kms-load --endpoint 127.0.0.1:7600 --access-key-id AKIA... --secret-env VAR
//!         [--tls CA_FILE] [--connections 32] [--seconds 10] [--warmup-seconds 2]
//!         [--plaintext-bytes 256] [--region us-east-1] [--label keystead]`

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use keystead_server::sigv4;
use openssl::ssl::{SslConnector, SslMethod, SslVersion};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;

struct Options {
    endpoint: SocketAddr,
    access_key_id: String,
    secret: String,
    region: String,
    connections: usize,
    seconds: f64,
    warmup_seconds: f64,
    plaintext_bytes: usize,
    label: String,
    /// HTTPS, trusting this CA.
    tls: Option<Arc<SslConnector>>,
}

fn tls_connector(ca_file: &str) -> Result<SslConnector, String> {
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(|e| e.to_string())?;
    builder.set_min_proto_version(Some(SslVersion::TLS1_2)).map_err(|e| e.to_string())?;
    builder.set_ca_file(ca_file).map_err(|e| format!("--tls {ca_file}: {e}"))?;
    Ok(builder.build())
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut endpoint: Option<SocketAddr> = None;
    let mut access_key_id = String::from("AKIAIOSFODNN7EXAMPLE");
    let mut secret_env = None;
    let mut region = String::from("us-east-1");
    let (mut connections, mut seconds, mut warmup_seconds, mut plaintext_bytes) = (32, 10.0, 2.0, 256);
    let mut label = String::from("server");
    let mut tls = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoint" => {
                let text = value()?;
                endpoint = Some(text.parse().map_err(|_| format!("--endpoint: not host:port: {text}"))?);
            }
            "--access-key-id" => access_key_id = value()?,
            "--secret-env" => secret_env = Some(value()?),
            "--region" => region = value()?,
            "--connections" => connections = value()?.parse().map_err(|_| "--connections: a number")?,
            "--seconds" => seconds = value()?.parse().map_err(|_| "--seconds: a number")?,
            "--warmup-seconds" => warmup_seconds = value()?.parse().map_err(|_| "--warmup-seconds: a number")?,
            "--plaintext-bytes" => plaintext_bytes = value()?.parse().map_err(|_| "--plaintext-bytes: a number")?,
            "--label" => label = value()?,
            "--tls" => tls = Some(Arc::new(tls_connector(&value()?)?)),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let secret = match secret_env {
        Some(var) => std::env::var(&var).map_err(|_| format!("{var} is not set"))?,
        None => String::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    };
    // Bounded: this tool only targets a server on this machine, for a short, fixed time.
    if !(1..=1024).contains(&connections) || !(0.1..=600.0).contains(&seconds) {
        return Err("--connections must be 1..1024 and --seconds 0.1..600".to_owned());
    }
    let endpoint = endpoint.ok_or("--endpoint is required")?;
    if !endpoint.ip().is_loopback() {
        return Err("--endpoint must be a loopback address".to_owned());
    }
    Ok(Options {
        endpoint,
        access_key_id,
        secret,
        region,
        connections,
        seconds,
        warmup_seconds,
        plaintext_bytes,
        label,
        tls,
    })
}

/// A plain or TLS byte stream.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// One keep-alive connection that sends signed KMS calls.
struct Connection {
    endpoint: SocketAddr,
    tls: Option<Arc<SslConnector>>,
    stream: Box<dyn Stream>,
    host: String,
    buffer: Vec<u8>,
    /// The server said `connection: close` (moto_server does, on every response): reconnect
    /// before the next call, as a client would.
    closed: bool,
}

impl Connection {
    async fn open(endpoint: SocketAddr, tls: Option<Arc<SslConnector>>) -> Result<Self, String> {
        let tcp = TcpStream::connect(endpoint).await.map_err(|e| format!("connect {endpoint}: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let stream: Box<dyn Stream> = match &tls {
            None => Box::new(tcp),
            Some(connector) => {
                let ssl = connector
                    .configure()
                    .and_then(|c| c.into_ssl(&endpoint.ip().to_string()))
                    .map_err(|e| e.to_string())?;
                let mut stream = tokio_openssl::SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
                Pin::new(&mut stream).connect().await.map_err(|e| format!("TLS handshake with {endpoint}: {e}"))?;
                Box::new(stream)
            }
        };
        let host = endpoint.to_string();
        Ok(Self { endpoint, tls, stream, host, buffer: Vec::with_capacity(8192), closed: false })
    }

    /// Sends one call and returns (status, body).
    async fn call(&mut self, options: &Options, operation: &str, body: &str) -> Result<(u16, Vec<u8>), String> {
        if self.closed {
            *self = Self::open(self.endpoint, self.tls.clone()).await?;
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
        let date = sigv4::amz_date(i64::try_from(now).map_err(|e| e.to_string())?);
        let target = format!("TrentService.{operation}");
        let headers: Vec<(&str, &[u8])> = vec![
            ("content-type", b"application/x-amz-json-1.1"),
            ("host", self.host.as_bytes()),
            ("x-amz-date", date.as_bytes()),
            ("x-amz-target", target.as_bytes()),
        ];
        let request = sigv4::Request { method: "POST", path: "/", query: "", headers, body: body.as_bytes() };
        let authorization =
            sigv4::sign(&request, &options.access_key_id, options.secret.as_bytes(), &options.region, "kms", &date)
                .map_err(|e| format!("{e:?}"))?;
        let head = format!(
            "POST / HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-date: {date}\r\n\
             x-amz-target: {target}\r\nauthorization: {authorization}\r\ncontent-length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut out = head.into_bytes();
        out.extend_from_slice(body.as_bytes());
        self.stream.write_all(&out).await.map_err(|e| e.to_string())?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> Result<(u16, Vec<u8>), String> {
        loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).to_ascii_lowercase();
                let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or("malformed status line")?;
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .ok_or("response without content-length")?;
                let total = end + 4 + length;
                while self.buffer.len() < total {
                    self.fill().await?;
                }
                self.closed = head.lines().any(|l| l.trim() == "connection: close");
                let body = self.buffer[end + 4..total].to_vec();
                self.buffer.drain(..total);
                return Ok((status, body));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".to_owned());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest-rank percentile.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let options = Arc::new(parse_options()?);
    let mut setup = Connection::open(options.endpoint, options.tls.clone()).await?;
    let (status, body) = setup.call(&options, "CreateKey", r#"{"Description":"kms-load"}"#).await?;
    if status != 200 {
        return Err(format!("CreateKey failed: {status} {}", String::from_utf8_lossy(&body)));
    }
    let created: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let key_id = created["KeyMetadata"]["KeyId"].as_str().ok_or("CreateKey returned no KeyId")?.to_owned();
    let plaintext = base64::engine::general_purpose::STANDARD.encode(vec![0x5a; options.plaintext_bytes]);
    let body = Arc::new(
        serde_json::json!({ "KeyId": key_id, "Plaintext": plaintext, "EncryptionContext": {"bench": "1"} }).to_string(),
    );

    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(options.warmup_seconds);
    let stop_at = measure_from + Duration::from_secs_f64(options.seconds);
    let mut tasks = Vec::new();
    for _ in 0..options.connections {
        let options = Arc::clone(&options);
        let body = Arc::clone(&body);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut connection = Connection::open(options.endpoint, options.tls.clone()).await?;
            loop {
                let sent = Instant::now();
                if sent >= stop_at {
                    break;
                }
                let (status, _) = connection.call(&options, "Encrypt", &body).await?;
                if sent >= measure_from {
                    if status == 200 {
                        latencies.push(sent.elapsed());
                    } else {
                        errors += 1;
                    }
                }
            }
            Ok::<_, String>((latencies, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, task_errors) = task.await.map_err(|e| e.to_string())??;
        all.extend(latencies);
        errors += task_errors;
    }
    all.sort_unstable();
    let line = serde_json::json!({
        "label": options.label,
        "tls": options.tls.is_some(),
        "operation": "Encrypt",
        "plaintext_bytes": options.plaintext_bytes,
        "connections": options.connections,
        "seconds": options.seconds,
        "requests": all.len(),
        "errors": errors,
        "requests_per_second": (all.len() as f64 / options.seconds).round(),
        "p50_ms": (percentile(&all, 50.0) * 1000.0).round() / 1000.0,
        "p90_ms": (percentile(&all, 90.0) * 1000.0).round() / 1000.0,
        "p99_ms": (percentile(&all, 99.0) * 1000.0).round() / 1000.0,
        "max_ms": (percentile(&all, 100.0) * 1000.0).round() / 1000.0,
    });
    println!("{line}");
    Ok(())
}
