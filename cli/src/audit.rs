//! `keystead audit ...`: verify, read and export the store's audit log, and prune old segments.
//! Only `prune` needs the root key (its record is signed): the public key is stored in the
//! clear (or given with `--public-key`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use keystead_core::audit::{
    parse_iso8601, store_and_audit_dirs, store_public_key, verify, AuditPublicKey, EventReader, VerifyReport,
};

/// Exit status when the log does not verify.
const EXIT_INVALID: u8 = 1;
/// Exit status of any other failure (aws-cli's general error code, as in main.rs).
const EXIT_OTHER: u8 = 255;

#[derive(Subcommand, Debug)]
pub(crate) enum AuditCommand {
    /// Check the audit log: every record's hash chain, the signed headers and checkpoints, the
    /// seal at the end of each segment, and that no segment is missing. Exit status 1 if not.
    Verify {
        /// Store folder (or its audit folder) [default: --store]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Trusted public key (PEM or base64) [default: the one recorded in the store]
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print audit events (CloudTrail JSON), oldest first, optionally filtered
    Show {
        /// Store folder (or its audit folder) [default: --store]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Only events on this key (key id or key ARN)
        #[arg(long, value_name = "KEY")]
        key: Option<String>,
        /// Only events of this operation (e.g. Decrypt)
        #[arg(long, value_name = "NAME")]
        event: Option<String>,
        /// Only events at or after this time (ISO 8601, e.g. 2026-11-29T07:00:00Z)
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only failed calls (with an errorCode)
        #[arg(long)]
        errors: bool,
        /// One compact JSON object per line instead of a pretty JSON array
        #[arg(long)]
        jsonl: bool,
    },
    /// Delete whole audit segments sealed before TIME (their writers gone), after writing a
    /// signed record of what is deleted: `audit verify` then tells them from deleted files.
    /// Needs the store's root key (like other store commands).
    Prune {
        /// Cut-off (RFC 3339 / ISO 8601 UTC, e.g. 2026-10-01T00:00:00Z)
        #[arg(long, value_name = "TIME")]
        before: String,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print the store's audit public key (PEM): keep a copy to verify against later
    PublicKey {
        /// Store folder [default: --store]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

impl AuditCommand {
    /// The name used in error lines.
    pub(crate) fn operation(&self) -> &'static str {
        match self {
            Self::Verify { .. } => "AuditVerify",
            Self::Show { .. } => "AuditShow",
            Self::Prune { .. } => "PruneAuditLog",
            Self::PublicKey { .. } => "AuditPublicKey",
        }
    }
}

/// (store folder, audit folder) for `--data-dir DIR` (a store folder or its audit folder) or
/// the default store folder.
fn folders(data_dir: Option<&PathBuf>, default_store: &Path) -> (PathBuf, PathBuf) {
    store_and_audit_dirs(data_dir.map_or(default_store, PathBuf::as_path))
}

fn trusted_key(public_key: Option<&PathBuf>, store: &Path) -> Result<AuditPublicKey, String> {
    if let Some(path) = public_key {
        let text = std::fs::read_to_string(path).map_err(|e| format!("Cannot read {}: {e}", path.display()))?;
        return AuditPublicKey::from_pem_or_base64(&text).map_err(|e| format!("{}: {}", path.display(), e.message()));
    }
    match store_public_key(store) {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(format!("The store at {} has no audit key yet (nothing was audited)", store.display())),
        Err(e) => Err(format!(
            "Cannot read the audit public key of the store at {}: {} (give it with --public-key FILE)",
            store.display(),
            e.message()
        )),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn emit(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Opens the store with its root key (for `prune`), or says why it cannot.
pub(crate) type OpenStore<'a> = &'a dyn Fn() -> Result<keystead_core::Keystead, String>;

/// Runs an audit subcommand; `store` is the folder named by `--store` / `KEYSTEAD_STORE`.
pub(crate) fn main(command: &AuditCommand, store: &Path, open: OpenStore<'_>) -> ExitCode {
    match run(command, store, open) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("\nkeystead audit: {message}");
            ExitCode::from(EXIT_OTHER)
        }
    }
}

fn prune(before: &str, json: bool, open: OpenStore<'_>) -> Result<(), String> {
    let before_ms = parse_iso8601(before).ok_or_else(|| format!("--before: not an ISO 8601 time: {before}"))?;
    let store = open()?;
    let report = store.prune_audit_log(before_ms).map_err(|e| e.message().to_owned())?;
    if json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        emit(&format!("{text}\n"));
        return Ok(());
    }
    let mut text = format!("Pruned {} segment(s) sealed before {before}\n", report.pruned.len());
    for p in &report.pruned {
        let name = p.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let _ = writeln!(
            text,
            "  {name}  writers {:?}, {} records, sealed {} (last hash {})",
            p.numbers, p.records, p.sealed_at, p.last_hash
        );
    }
    for kept in &report.kept {
        let _ = writeln!(text, "  kept (a writer holds it): {}", kept.display());
    }
    emit(&text);
    Ok(())
}

fn run(command: &AuditCommand, default_store: &Path, open: OpenStore<'_>) -> Result<ExitCode, String> {
    match command {
        AuditCommand::Prune { before, json } => prune(before, *json, open).map(|()| ExitCode::SUCCESS),
        AuditCommand::Verify { data_dir, public_key, json } => {
            let (store, audit) = folders(data_dir.as_ref(), default_store);
            let key = trusted_key(public_key.as_ref(), &store)?;
            let report = verify(&audit, &key).map_err(|e| e.message().to_owned())?;
            if *json {
                let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
                emit(&format!("{text}\n"));
            } else {
                print_report(&audit, &report);
            }
            Ok(if report.is_valid() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_INVALID) })
        }
        AuditCommand::Show { data_dir, key, event, since, errors, jsonl } => {
            let (_, audit) = folders(data_dir.as_ref(), default_store);
            let since = since
                .as_deref()
                .map(|text| parse_iso8601(text).ok_or_else(|| format!("--since: not an ISO 8601 time: {text}")))
                .transpose()?;
            // Streamed: memory stays bounded however large the log is.
            let events = EventReader::open(&audit).map_err(|e| e.message().to_owned())?;
            let mut shown = 0usize;
            for logged in events {
                let logged = logged.map_err(|e| e.message().to_owned())?;
                if !matches_filters(&logged.event, key.as_deref(), event.as_deref(), since, *errors) {
                    continue;
                }
                if *jsonl {
                    emit(&format!("{}\n", logged.event));
                } else {
                    // The same bytes as `to_string_pretty` of the whole array, one element at a time.
                    let pretty = serde_json::to_string_pretty(&logged.event).map_err(|e| e.to_string())?;
                    let indented = pretty.lines().map(|line| format!("  {line}")).collect::<Vec<_>>().join("\n");
                    emit(&format!("{}{indented}", if shown == 0 { "[\n" } else { ",\n" }));
                }
                shown += 1;
            }
            if !*jsonl {
                emit(if shown == 0 { "[]\n" } else { "\n]\n" });
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::PublicKey { data_dir } => {
            let (store, _) = folders(data_dir.as_ref(), default_store);
            let key = trusted_key(None, &store)?;
            emit(&key.to_pem().map_err(|e| e.message().to_owned())?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn matches_filters(
    event: &serde_json::Value,
    key: Option<&str>,
    name: Option<&str>,
    since: Option<i64>,
    errors_only: bool,
) -> bool {
    if let Some(key) = key {
        let names_key = |arn: &str| arn == key || arn.rsplit_once('/').is_some_and(|(_, id)| id == key);
        let in_resources = event["resources"]
            .as_array()
            .is_some_and(|list| list.iter().any(|r| r["ARN"].as_str().is_some_and(names_key)));
        if !in_resources {
            return false;
        }
    }
    if name.is_some_and(|name| event["eventName"] != name) {
        return false;
    }
    if let Some(since) = since {
        if event["eventTime"].as_str().and_then(parse_iso8601).is_none_or(|t| t < since) {
            return false;
        }
    }
    !errors_only || event.get("errorCode").is_some()
}

fn print_report(audit: &Path, report: &VerifyReport) {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Audit log {}: {} segments, {} records, {} events, {} checkpoints",
        audit.display(),
        report.segments.len(),
        report.records,
        report.events,
        report.checkpoints
    );
    for s in &report.segments {
        let number = s.number.map_or_else(|| "?".to_owned(), |n| n.to_string());
        let name = s.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let _ = writeln!(
            text,
            "  #{number:<4} {name}  {:?}, {} records ({} events), {} unsealed",
            s.state, s.records, s.events, s.unsealed_tail
        );
    }
    for note in &report.notes {
        let _ = writeln!(text, "  note: {note}");
    }
    if report.is_valid() {
        let _ = writeln!(text, "OK: every record is chained, and every sealed record is covered by a valid signature");
    } else {
        let _ = writeln!(text, "FAILED: {} problem(s)", report.problems.len());
        for p in &report.problems {
            let at = match (p.line, p.seq) {
                (Some(line), Some(seq)) => format!(":{line} (seq {seq})"),
                (Some(line), None) => format!(":{line}"),
                _ => String::new(),
            };
            let _ = writeln!(text, "  {:?} at {}{at}: {}", p.kind, p.file.display(), p.message);
        }
    }
    emit(&text);
}
