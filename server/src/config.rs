//! Server settings: defaults, then a TOML file, then `KEYSTEAD_*` environment variables, then
//! command-line flags (each later source wins). `server/README.md` documents every setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use keystead_core::{RootKeySource, SecretBytes};
use serde::Deserialize;

use crate::tls::TlsFiles;

/// Default listen address (loopback: exposing the server is a deliberate choice).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7600";
/// Default request body limit: AWS's largest members (a 4 KiB plaintext, a 6 KiB ciphertext, a
/// 32 KiB policy, an import token) fit many times over.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default time for reading a request body and running the operation.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// Default allowed difference between a request's signing time and the server's clock (AWS: 5
/// minutes).
pub const DEFAULT_MAX_CLOCK_SKEW_SECS: u64 = 300;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The store folder (the home Region's store; other Regions under `regions/`).
    pub data_dir: PathBuf,
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Where the root key comes from.
    pub root_key: RootKeySource,
    /// The home Region of a new store (an existing store keeps its own).
    pub region: Option<String>,
    /// The account id of a new store (an existing store keeps its own).
    pub account_id: Option<String>,
    /// Largest request body accepted, in bytes (larger: HTTP 413).
    pub max_body_bytes: usize,
    /// Time allowed to read a request's body and run its operation.
    pub request_timeout: Duration,
    /// Allowed skew between a request's SigV4 time and the server's clock.
    pub max_clock_skew: Duration,
    /// Whether to write one access-log line per request to standard error.
    pub access_log: bool,
    /// HTTPS with this certificate chain and key; plain HTTP when `None`.
    pub tls: Option<TlsFiles>,
}

impl Config {
    /// Settings for `data_dir` with every default (listening on `127.0.0.1:0`).
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            root_key: RootKeySource::KeyFile(None),
            region: None,
            account_id: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
            max_clock_skew: Duration::from_secs(DEFAULT_MAX_CLOCK_SKEW_SECS),
            access_log: true,
            tls: None,
        }
    }
}

/// The TOML file's settings (every one optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    region: Option<String>,
    account_id: Option<String>,
    root_key_file: Option<PathBuf>,
    root_key_env: Option<String>,
    passphrase_env: Option<String>,
    max_body_bytes: Option<usize>,
    request_timeout_secs: Option<u64>,
    max_clock_skew_secs: Option<u64>,
    access_log: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
}

/// Settings given on the command line (each wins over the file and the environment).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--listen`.
    pub listen: Option<String>,
    /// `--config` (else `KEYSTEAD_CONFIG`).
    pub config_file: Option<PathBuf>,
    /// `--region`.
    pub region: Option<String>,
    /// `--account-id`.
    pub account_id: Option<String>,
    /// `--root-key-env`.
    pub root_key_env: Option<String>,
    /// `--passphrase-env`.
    pub passphrase_env: Option<String>,
    /// `--tls-cert`.
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key`.
    pub tls_key: Option<PathBuf>,
}

fn parse_bool(name: &str, value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(format!("{name}: expected true or false, got '{value}'")),
    }
}

fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value.trim().parse().map_err(|_| format!("{name}: expected a non-negative integer, got '{value}'"))
}

impl Config {
    /// Builds the settings from a config file (`overrides.config_file`, else `KEYSTEAD_CONFIG`),
    /// the environment (read through `env`) and `overrides`.
    pub fn load(overrides: &Overrides, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let file_path = overrides.config_file.clone().or_else(|| env("KEYSTEAD_CONFIG").map(PathBuf::from));
        let file = match &file_path {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let data_dir = overrides
            .data_dir
            .clone()
            .or_else(|| env("KEYSTEAD_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .ok_or("no data folder: pass --data-dir, set KEYSTEAD_DATA_DIR or data_dir in the config file")?;
        let mut config = Self::new(data_dir);
        let listen = overrides
            .listen
            .clone()
            .or_else(|| env("KEYSTEAD_LISTEN"))
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        config.listen =
            listen.parse().map_err(|_| format!("listen: '{listen}' is not an address such as 127.0.0.1:7600"))?;
        config.region = overrides.region.clone().or_else(|| env("KEYSTEAD_REGION")).or(file.region);
        config.account_id = overrides.account_id.clone().or_else(|| env("KEYSTEAD_ACCOUNT_ID")).or(file.account_id);
        if let Some(v) = env("KEYSTEAD_MAX_BODY_BYTES") {
            config.max_body_bytes = parse_number("KEYSTEAD_MAX_BODY_BYTES", &v)?;
        } else if let Some(v) = file.max_body_bytes {
            config.max_body_bytes = v;
        }
        let secs = match env("KEYSTEAD_REQUEST_TIMEOUT_SECS") {
            Some(v) => Some(parse_number("KEYSTEAD_REQUEST_TIMEOUT_SECS", &v)?),
            None => file.request_timeout_secs,
        };
        if let Some(secs) = secs {
            config.request_timeout = Duration::from_secs(secs);
        }
        let secs = match env("KEYSTEAD_MAX_CLOCK_SKEW_SECS") {
            Some(v) => Some(parse_number("KEYSTEAD_MAX_CLOCK_SKEW_SECS", &v)?),
            None => file.max_clock_skew_secs,
        };
        if let Some(secs) = secs {
            config.max_clock_skew = Duration::from_secs(secs);
        }
        config.access_log = match env("KEYSTEAD_ACCESS_LOG") {
            Some(v) => parse_bool("KEYSTEAD_ACCESS_LOG", &v)?,
            None => file.access_log.unwrap_or(true),
        };
        let tls_cert =
            overrides.tls_cert.clone().or_else(|| env("KEYSTEAD_TLS_CERT").map(PathBuf::from)).or(file.tls_cert);
        let tls_key = overrides.tls_key.clone().or_else(|| env("KEYSTEAD_TLS_KEY").map(PathBuf::from)).or(file.tls_key);
        config.tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            // Serving plain HTTP when half the TLS settings are given would expose what the
            // operator meant to protect.
            _ => return Err("TLS needs both a certificate (tls_cert) and its key (tls_key)".to_owned()),
        };
        if config.max_body_bytes == 0 || config.request_timeout.is_zero() {
            return Err("max_body_bytes and request_timeout_secs must be positive".to_owned());
        }
        // The root key: a passphrase or key variable named on the command line, in the
        // environment or in the file, else a key file (the file's, else `<data dir>/root.key`).
        let passphrase_env =
            overrides.passphrase_env.clone().or_else(|| env("KEYSTEAD_PASSPHRASE_ENV")).or(file.passphrase_env);
        let root_key_env =
            overrides.root_key_env.clone().or_else(|| env("KEYSTEAD_ROOT_KEY_ENV")).or(file.root_key_env);
        config.root_key = match (passphrase_env, root_key_env) {
            (Some(_), Some(_)) => return Err("set either passphrase_env or root_key_env, not both".to_owned()),
            (Some(var), None) => {
                let value =
                    env(&var).ok_or_else(|| format!("the passphrase variable {var} is not set or empty"))?.into_bytes();
                RootKeySource::Passphrase(SecretBytes::new(value))
            }
            (None, Some(var)) => RootKeySource::EnvVar(var),
            (None, None) => RootKeySource::KeyFile(file.root_key_file),
        };
        Ok(config)
    }
}

fn read_file(path: &Path) -> Result<FileSettings, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn later_sources_win() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keystead.toml");
        std::fs::write(
            &file,
            "data_dir = \"/from/file\"\nlisten = \"127.0.0.1:9000\"\nmax_body_bytes = 2048\naccess_log = false\n\
             request_timeout_secs = 7\n",
        )
        .unwrap();
        let vars: HashMap<&str, &str> =
            [("KEYSTEAD_LISTEN", "127.0.0.1:9001"), ("KEYSTEAD_MAX_CLOCK_SKEW_SECS", "60")].into_iter().collect();
        let env = |name: &str| vars.get(name).map(|v| (*v).to_owned());
        let overrides = Overrides { config_file: Some(file.clone()), ..Default::default() };
        let config = Config::load(&overrides, &env).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/from/file"));
        assert_eq!(config.listen, "127.0.0.1:9001".parse().unwrap());
        assert_eq!((config.max_body_bytes, config.access_log), (2048, false));
        assert_eq!(config.request_timeout, Duration::from_secs(7));
        assert_eq!(config.max_clock_skew, Duration::from_secs(60));
        let overrides = Overrides {
            config_file: Some(file),
            data_dir: Some("/from/flag".into()),
            listen: Some("127.0.0.1:9002".into()),
            ..Default::default()
        };
        let config = Config::load(&overrides, &env).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/from/flag"));
        assert_eq!(config.listen.port(), 9002);
        assert_eq!(config.tls, None);
    }

    #[test]
    fn tls_files_come_from_any_source_and_need_both() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keystead.toml");
        std::fs::write(&file, "data_dir = \"/d\"\ntls_cert = \"/file/cert.pem\"\ntls_key = \"/file/key.pem\"\n")
            .unwrap();
        let vars: HashMap<&str, &str> = [("KEYSTEAD_TLS_KEY", "/env/key.pem")].into_iter().collect();
        let env = |name: &str| vars.get(name).map(|v| (*v).to_owned());
        let overrides = Overrides { config_file: Some(file.clone()), ..Default::default() };
        let tls = Config::load(&overrides, &env).unwrap().tls.unwrap();
        assert_eq!((tls.cert, tls.key), (PathBuf::from("/file/cert.pem"), PathBuf::from("/env/key.pem")));
        let overrides =
            Overrides { config_file: Some(file), tls_cert: Some("/flag/cert.pem".into()), ..Default::default() };
        assert_eq!(Config::load(&overrides, &env).unwrap().tls.unwrap().cert, PathBuf::from("/flag/cert.pem"));
        let none = |_: &str| None;
        let half = Overrides { data_dir: Some("/d".into()), tls_cert: Some("/c.pem".into()), ..Default::default() };
        assert!(Config::load(&half, &none).unwrap_err().contains("tls_key"));
        let half = Overrides { data_dir: Some("/d".into()), tls_key: Some("/k.pem".into()), ..Default::default() };
        assert!(Config::load(&half, &none).unwrap_err().contains("tls_cert"));
    }

    #[test]
    fn bad_settings_are_reported() {
        let none = |_: &str| None;
        assert!(Config::load(&Overrides::default(), &none).unwrap_err().contains("no data folder"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "data_dir = \"/x\"\nlisten_on = \"oops\"\n").unwrap();
        let err = Config::load(&Overrides { config_file: Some(file), ..Default::default() }, &none).unwrap_err();
        assert!(err.contains("listen_on"), "{err}");
        let overrides = Overrides { data_dir: Some("/x".into()), listen: Some("nowhere".into()), ..Default::default() };
        assert!(Config::load(&overrides, &none).unwrap_err().contains("nowhere"));
        let overrides =
            Overrides { data_dir: Some("/x".into()), passphrase_env: Some("NOPE".into()), ..Default::default() };
        assert!(Config::load(&overrides, &none).unwrap_err().contains("NOPE"));
    }
}
