//! Built-in TLS: HTTPS on the server's one listener when a certificate and key are configured.
//!
//! OpenSSL (already linked for the store's crypto) does the TLS, through `tokio-openssl`, so the
//! server carries no second crypto stack. Mozilla's "intermediate" server profile sets the
//! ciphers (TLS 1.2 with ECDHE + AEAD suites only, and TLS 1.3); TLS 1.0/1.1 and renegotiation
//! are refused.
//!
//! Handshakes run in tasks of their own, off the accept loop, each with a time limit, so a slow
//! or broken client neither blocks other clients nor stops the server; a failed handshake is one
//! `{"event":"tls handshake failed"}` log line. A client that speaks plain HTTP to the HTTPS port
//! gets a plain `400` saying so, then the connection is closed. The certificate and key can be
//! re-read while serving ([`TlsReloader`], on SIGHUP in `keystead serve`); connections already
//! open keep the certificate they started with.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use openssl::pkey::PKey;
use openssl::ssl::{Ssl, SslAcceptor, SslMethod, SslOptions, SslVersion};
use openssl::x509::X509;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_openssl::SslStream;
use zeroize::Zeroizing;

/// The certificate chain and private key files of the HTTPS listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM file: the server certificate first, then any intermediate certificates.
    pub cert: PathBuf,
    /// PEM file: the certificate's private key (PKCS #8 or traditional, not encrypted).
    pub key: PathBuf,
}

/// Time a client has to complete the TLS handshake after connecting.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; further connections wait in the kernel's accept queue.
const MAX_PENDING_HANDSHAKES: usize = 256;
/// Completed handshakes waiting for the HTTP server to take them.
const READY_QUEUE: usize = 64;

/// Builds the OpenSSL acceptor for `files`. Errors name the file at fault and never include key
/// material.
pub(crate) fn acceptor(files: &TlsFiles) -> Result<SslAcceptor, String> {
    let cert_path = files.cert.display();
    let key_path = files.key.display();
    let pem =
        std::fs::read(&files.cert).map_err(|e| format!("cannot read the TLS certificate file {cert_path}: {e}"))?;
    let chain = X509::stack_from_pem(&pem)
        .map_err(|_| format!("the TLS certificate file {cert_path} is not a PEM certificate chain"))?;
    let (leaf, intermediates) =
        chain.split_first().ok_or_else(|| format!("the TLS certificate file {cert_path} holds no PEM certificate"))?;
    let key_pem =
        Zeroizing::new(std::fs::read(&files.key).map_err(|e| format!("cannot read the TLS key file {key_path}: {e}"))?);
    // The callback answers an encrypted key's passphrase prompt with nothing: without it OpenSSL
    // would ask on the terminal, which a server must never do.
    let key = PKey::private_key_from_pem_callback(&key_pem, |_| Ok(0)).map_err(|_| {
        format!("the TLS key file {key_path} holds no PEM private key (encrypted keys are not supported)")
    })?;
    let fail = |e: openssl::error::ErrorStack| format!("cannot set up TLS with {cert_path} and {key_path}: {e}");
    let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).map_err(fail)?;
    builder.set_min_proto_version(Some(SslVersion::TLS1_2)).map_err(fail)?;
    builder.set_options(SslOptions::NO_RENEGOTIATION | SslOptions::CIPHER_SERVER_PREFERENCE);
    builder.set_certificate(leaf).map_err(fail)?;
    for intermediate in intermediates {
        builder.add_extra_chain_cert(intermediate.clone()).map_err(fail)?;
    }
    builder
        .set_private_key(&key)
        .map_err(|_| format!("the TLS key file {key_path} does not hold the private key of {cert_path}"))?;
    builder
        .check_private_key()
        .map_err(|_| format!("the TLS key file {key_path} does not hold the private key of {cert_path}"))?;
    Ok(builder.build())
}

/// Re-reads the certificate and key files of a running HTTPS server (e.g. after a renewal).
#[derive(Clone)]
pub struct TlsReloader {
    files: TlsFiles,
    current: Arc<RwLock<Arc<SslAcceptor>>>,
}

impl TlsReloader {
    /// Loads the files again; new connections use them from now on. On an error the server
    /// keeps the certificate it had.
    pub fn reload(&self) -> Result<(), String> {
        let fresh = Arc::new(acceptor(&self.files)?);
        let mut current = self.current.write().map_err(|_| "the TLS settings lock is poisoned".to_owned())?;
        *current = fresh;
        Ok(())
    }

    /// The files it reads.
    pub fn files(&self) -> &TlsFiles {
        &self.files
    }
}

/// The peer of a connection, for the access log (plain or TLS).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Remote(pub(crate) SocketAddr);

impl Connected<IncomingStream<'_, TcpListener>> for Remote {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Remote {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// A listener whose connections have completed a TLS handshake.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(SslStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accept_task: tokio::task::AbortHandle,
}

/// The TLS side of a bound server, before it serves.
pub(crate) struct TlsSetup {
    files: TlsFiles,
    current: Arc<RwLock<Arc<SslAcceptor>>>,
}

impl TlsSetup {
    /// Loads the files (a startup error names the file at fault).
    pub(crate) fn load(files: &TlsFiles) -> Result<Self, String> {
        let current = Arc::new(RwLock::new(Arc::new(acceptor(files)?)));
        Ok(Self { files: files.clone(), current })
    }

    pub(crate) fn reloader(&self) -> TlsReloader {
        TlsReloader { files: self.files.clone(), current: Arc::clone(&self.current) }
    }

    /// Starts accepting on `listener`; handshakes run off the accept loop.
    pub(crate) fn listen(self, listener: TcpListener, log: bool) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (sender, ready) = mpsc::channel(READY_QUEUE);
        let accept_task = tokio::spawn(accept_loop(listener, self.current, sender, log)).abort_handle();
        Ok(TlsListener { ready, local, accept_task })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // The HTTP server dropped the listener (shutdown): stop accepting. Handshakes in
        // progress end by themselves (their result has nowhere to go).
        self.accept_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = SslStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accept loop only ends when this listener is dropped, so this is not reached
            // while serving; waiting forever matches a listener that accepts nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn accept_loop(
    listener: TcpListener,
    current: Arc<RwLock<Arc<SslAcceptor>>>,
    ready: mpsc::Sender<(SslStream<TcpStream>, SocketAddr)>,
    log: bool,
) {
    let pending = Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES));
    loop {
        let Ok(permit) = Arc::clone(&pending).acquire_owned().await else { return };
        let (tcp, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                if !is_connection_error(&e) {
                    // E.g. out of file descriptors: give connections time to close.
                    crate::log_event("accept failed", &[("error", e.to_string())]);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
        };
        let acceptor = match current.read() {
            Ok(acceptor) => Arc::clone(&acceptor),
            Err(_) => return,
        };
        let ready = ready.clone();
        tokio::spawn(async move {
            let outcome = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&acceptor, tcp)).await;
            drop(permit);
            let failure = match outcome {
                Ok(Ok(stream)) => {
                    let _ = ready.send((stream, remote)).await;
                    return;
                }
                Ok(Err(reason)) => reason,
                Err(_) => format!("no handshake within {} seconds", HANDSHAKE_TIMEOUT.as_secs()),
            };
            if log {
                crate::log_event("tls handshake failed", &[("remote", remote.to_string()), ("error", failure)]);
            }
        });
    }
}

/// What a client that speaks plain HTTP to the HTTPS port is told before the connection closes.
const PLAIN_HTTP_REPLY: &[u8] = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\
content-length: 75\r\n\r\n{\"message\":\"This port serves HTTPS: use an https:// endpoint URL instead.\"}";

async fn handshake(acceptor: &SslAcceptor, mut tcp: TcpStream) -> Result<SslStream<TcpStream>, String> {
    // Small handshake flights and responses should not wait for delayed ACKs.
    let _ = tcp.set_nodelay(true);
    // A TLS connection starts with a handshake record (content type 22); an ASCII letter is
    // an HTTP method, i.e. a client configured with http:// for this port.
    let mut first = [0u8; 1];
    let peeked = tcp.peek(&mut first).await.map_err(|e| e.to_string())?;
    if peeked == 0 {
        return Err("the client closed the connection before the handshake".to_owned());
    }
    if first[0].is_ascii_uppercase() {
        let _ = tcp.write_all(PLAIN_HTTP_REPLY).await;
        let _ = tcp.shutdown().await;
        return Err("plain HTTP request on the HTTPS port (answered 400)".to_owned());
    }
    let ssl = Ssl::new(acceptor.context()).map_err(|e| e.to_string())?;
    let mut stream = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    Pin::new(&mut stream).accept().await.map_err(|e| e.to_string())?;
    Ok(stream)
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_plain_http_reply_is_well_formed() {
        let text = std::str::from_utf8(PLAIN_HTTP_REPLY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let declared: usize = head.lines().find_map(|l| l.strip_prefix("content-length: ")).unwrap().parse().unwrap();
        assert_eq!(declared, body.len());
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
}
