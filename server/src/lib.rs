//! # Keystead server
//!
//! The AWS KMS JSON API (`awsJson1_1`: `POST /`, `X-Amz-Target: TrentService.<Operation>`,
//! base64 blobs, errors as `__type` + `message`) over a Keystead store, with SigV4 verification
//! (service `kms`), so unmodified AWS SDKs and the aws CLI can use Keystead. `keystead serve`
//! runs it; `server/README.md` documents the settings, the Regions and the access log.
//!
//! Each request: the body is read (size and time limits), the signature is checked against the
//! access key's secret, the credential scope's Region picks the store partition, and the
//! operation runs on a blocking thread (the store is synchronous SQLite). One access-log line is
//! written per request (no secrets).
//!
//! With a certificate and key configured the listener speaks HTTPS (OpenSSL, see [`tls`]);
//! otherwise plain HTTP.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use keystead_core::Keystead;
use zeroize::Zeroizing;

pub mod config;
mod ops;
mod regions;
pub mod sigv4;
mod time;
pub mod tls;
mod wire;

pub use config::{Config, Overrides};
pub use ops::OPERATIONS;
pub use regions::{is_valid_region, REGIONS_FOLDER};
pub use tls::{TlsFiles, TlsReloader};

use crate::ops::Known;
use crate::tls::{Remote, TlsSetup};
use crate::wire::{Body, Input, WireError, CONTENT_TYPE};

/// The SigV4 service name of AWS KMS.
pub const SERVICE: &str = "kms";
/// The `X-Amz-Target` prefix of AWS KMS operations.
pub const TARGET_PREFIX: &str = "TrentService.";
/// The health endpoint (GET).
pub const HEALTH_PATH: &str = "/health";

struct AppState {
    config: Config,
    regions: regions::Regions,
}

/// A bound server, ready to serve.
pub struct Server {
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    tls: Option<TlsSetup>,
}

impl Server {
    /// Loads the TLS certificate and key (when configured), opens (or creates) the store in
    /// `config.data_dir` and binds `config.listen`.
    pub async fn bind(config: Config) -> Result<Self, String> {
        // Bad TLS files are found before anything is created or bound.
        let tls = config.tls.as_ref().map(TlsSetup::load).transpose()?;
        let open_config = config.clone();
        let regions = tokio::task::spawn_blocking(move || {
            regions::Regions::open(
                &open_config.data_dir,
                open_config.root_key.clone(),
                open_config.region.as_deref(),
                open_config.account_id.as_deref(),
            )
        })
        .await
        .map_err(|e| format!("opening the store failed: {e}"))?
        .map_err(|e| format!("cannot open the store in {}: {e}", config.data_dir.display()))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        Ok(Self { listener, state: Arc::new(AppState { config, regions }), tls })
    }

    /// The address the server listens on (with the port the OS chose for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `https` when the server speaks TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// A handle that re-reads the certificate and key files while the server runs (`None`
    /// without TLS).
    pub fn tls_reloader(&self) -> Option<TlsReloader> {
        self.tls.as_ref().map(TlsSetup::reloader)
    }

    /// The store of the data folder (the home Region), e.g. to create access keys in tests.
    pub fn store(&self) -> &Keystead {
        self.state.regions.home()
    }

    /// Serves until `shutdown` completes, then stops accepting and lets requests in flight
    /// finish.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let app = Router::new()
            .route(HEALTH_PATH, get(health))
            .fallback(handle)
            .with_state(Arc::clone(&self.state))
            .into_make_service_with_connect_info::<Remote>();
        match self.tls {
            None => axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await,
            Some(tls) => {
                let listener = tls.listen(self.listener, self.state.config.access_log)?;
                axum::serve(listener, app).with_graceful_shutdown(shutdown).await
            }
        }
    }
}

/// Runs the server until SIGTERM or Ctrl-C: binds, prints `keystead: listening on http://ADDR`
/// (or `https://`) on standard output (tests read the port from it), serves, and shuts down
/// gracefully. With TLS, SIGHUP re-reads the certificate and key files.
pub fn run(config: Config) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        let addr = server.local_addr().map_err(|e| e.to_string())?;
        {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "keystead: listening on {}://{addr}", server.scheme());
            let _ = stdout.flush();
        }
        reload_on_hangup(server.tls_reloader());
        server.serve(shutdown_signal()).await.map_err(|e| format!("server failed: {e}"))?;
        log_event("stopped", &[]);
        Ok(())
    })
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    log_event("shutting down", &[]);
}

/// On each SIGHUP: with TLS, re-reads the certificate and key (a failed reload keeps the old
/// ones and says why in the log); without, does nothing (rather than SIGHUP's default of
/// ending the process, so a `systemctl reload` cannot stop a plain-HTTP server).
fn reload_on_hangup(reloader: Option<TlsReloader>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            log_event("reload unavailable", &[("error", "cannot watch SIGHUP".to_owned())]);
            return;
        };
        while hangups.recv().await.is_some() {
            match reloader.as_ref().map(TlsReloader::reload) {
                None => log_event("reload ignored", &[("reason", "no TLS files to re-read".to_owned())]),
                Some(Ok(())) => log_event("tls reloaded", &[]),
                Some(Err(e)) => log_event("tls reload failed", &[("error", e)]),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = reloader;
}

/// One event line (`{"time":...,"event":...}` plus `fields`) on standard error.
pub(crate) fn log_event(event: &str, fields: &[(&str, String)]) {
    let mut line = serde_json::json!({ "time": time::format_rfc3339_ms(time::now_ms()), "event": event });
    for (name, value) in fields {
        line[*name] = serde_json::Value::String(value.clone());
    }
    log_line(&line);
}

fn log_line(value: &serde_json::Value) {
    use std::io::Write as _;
    let mut line = value.to_string();
    line.push('\n');
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `GET /health`: 200 `{"Status":"ok",...}` once the home store answers a read, else 503.
async fn health(State(state): State<Arc<AppState>>) -> Response {
    let store = state.regions.home().clone();
    let read = tokio::task::spawn_blocking(move || store.list_keys(Some(1), None).map(|_| ())).await;
    let identity = state.regions.home().identity();
    let (status, body) = match read {
        Ok(Ok(())) => (
            StatusCode::OK,
            serde_json::json!({ "Status": "ok", "Region": identity.region, "AccountId": identity.account_id,
                                "Version": keystead_core::VERSION }),
        ),
        Ok(Err(e)) => {
            (StatusCode::SERVICE_UNAVAILABLE, serde_json::json!({ "Status": "unavailable", "Message": e.message() }))
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, serde_json::json!({ "Status": "unavailable" })),
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Who made a request and what it asked, for the access log.
#[derive(Default)]
struct Meta {
    operation: Option<String>,
    access_key_id: Option<String>,
    principal: Option<String>,
    region: Option<String>,
}

/// Owns a secret response body; the buffer is zeroized when the HTTP layer drops the bytes.
struct ZeroizedBody(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for ZeroizedBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn request_id() -> String {
    let mut bytes = [0u8; 16];
    if openssl::rand::rand_bytes(&mut bytes).is_err() {
        // A request id only correlates log lines; a time-based one will do.
        bytes[..8].copy_from_slice(&time::now_ms().to_be_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

async fn handle(
    State(state): State<Arc<AppState>>,
    ConnectInfo(Remote(remote)): ConnectInfo<Remote>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let id = request_id();
    let timeout = state.config.request_timeout;
    let outcome = tokio::time::timeout(timeout, process(Arc::clone(&state), request)).await;
    let (result, meta) = match outcome {
        Ok(done) => done,
        Err(_) => (
            Err(WireError::new(
                503,
                "DependencyTimeoutException",
                format!("The request did not complete within {} seconds", timeout.as_secs_f64()),
            )),
            Meta::default(),
        ),
    };
    let status = result.as_ref().map_or_else(|e| e.status, |_| 200);
    if state.config.access_log {
        log_line(&serde_json::json!({
            "time": time::format_rfc3339_ms(time::now_ms()),
            "request_id": id,
            "remote": remote.to_string(),
            "access_key_id": meta.access_key_id,
            "principal": meta.principal,
            "region": meta.region,
            "operation": meta.operation,
            "status": status,
            "error": result.as_ref().err().map(|e| e.type_name),
            "latency_ms": (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        }));
    }
    let (status, body) = match result {
        Ok(Body::Empty) => (200, axum::body::Body::empty()),
        Ok(Body::Json(bytes)) => (200, axum::body::Body::from(bytes)),
        Ok(Body::Secret(bytes)) => (200, axum::body::Body::from(Bytes::from_owner(ZeroizedBody(bytes)))),
        Err(error) => (error.status, axum::body::Body::from(error.body())),
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

async fn process(state: Arc<AppState>, request: Request) -> (Result<Body, WireError>, Meta) {
    let (parts, body) = request.into_parts();
    let mut meta = Meta::default();
    if parts.method != Method::POST || parts.uri.path() != "/" {
        let message = format!(
            "No route for {} {}: the AWS KMS API is POST / and the health check GET {HEALTH_PATH}",
            parts.method,
            parts.uri.path()
        );
        return (Err(WireError::new(404, "UnknownOperationException", message)), meta);
    }
    let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    meta.operation = Some(target.strip_prefix(TARGET_PREFIX).unwrap_or(&target).to_owned());
    let limit = state.config.max_body_bytes;
    let too_large = || {
        WireError::new(413, "RequestEntityTooLargeException", format!("The request body is larger than {limit} bytes"))
    };
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return (Err(too_large()), meta);
    }
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(_) => return (Err(too_large()), meta),
    };
    let blocking_state = Arc::clone(&state);
    let joined = tokio::task::spawn_blocking(move || {
        let mut meta = meta;
        let result = authenticate_and_run(&blocking_state, &parts, &body, &target, &mut meta);
        (result, meta)
    })
    .await;
    match joined {
        Ok(done) => done,
        Err(_) => {
            (Err(WireError::new(500, "KMSInternalException", "The operation failed unexpectedly")), Meta::default())
        }
    }
}

fn authenticate_and_run(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: &[u8],
    target: &str,
    meta: &mut Meta,
) -> Result<Body, WireError> {
    let headers: Vec<(&str, &[u8])> = parts.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let signed = sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers,
        body,
    };
    let home = state.regions.home();
    let skew = i64::try_from(state.config.max_clock_skew.as_secs()).unwrap_or(i64::MAX / 2);
    let verified = sigv4::verify(&signed, SERVICE, time::now_ms() / 1000, skew, |id| home.access_key_secret(id))?;
    meta.access_key_id = Some(verified.access_key_id);
    meta.principal = Some(verified.principal.clone());
    meta.region = Some(verified.region.clone());
    let Some(operation) = target.strip_prefix(TARGET_PREFIX) else {
        return Err(ops::unknown_operation(target));
    };
    match ops::classify(operation) {
        Known::Served => {}
        Known::NotOffered => {
            return Err(WireError::unsupported(format!("Keystead does not offer the {operation} operation yet")))
        }
        Known::Unknown => return Err(ops::unknown_operation(target)),
    }
    let input = Input::parse(body)?;
    // The caller's handle: key policies and grants are evaluated for the access key's principal.
    let store = state.regions.get(&verified.region)?.as_principal(&verified.principal)?;
    ops::dispatch(&store, operation, &input)
}
