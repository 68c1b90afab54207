//! Envelope encryption of files and pipes (`docs/format.md` section 5) and configuration
//! secrets (section 6): `encrypt-file`, `decrypt-file`, `describe-file`, `encrypt-secret`,
//! `decrypt-secret`.
//!
//! These are Keystead's own commands next to the `aws kms` ones: `encrypt` / `decrypt` stop at
//! 4 KiB as in AWS; `encrypt-file` takes any size, streaming in segments with bounded memory.
//! `-` (the default) is stdin / stdout. A file output is written to a temporary file beside it
//! and renamed only once the whole message is written (encrypt) or verified (decrypt), so a
//! failure never leaves a partial or unverified file behind. On stdout, decrypted segments are
//! written as each one verifies, and a later failure ends the command with a non-zero status.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal as _, Read, Seek as _, SeekFrom, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Subcommand;
use keystead_core::envelope::{
    self, decrypt_secret, encrypt_secret, error_from_io, EnvelopeReader, EnvelopeWriter, OpenOptions, SealOptions,
    DEFAULT_MAX_ENCRYPTED_DATA_KEYS, DEFAULT_SEGMENT_SIZE,
};
use keystead_core::{EncryptionContext, Keystead};
use serde::Serialize;
use zeroize::Zeroizing;

use super::{parse_context, CliResult, Failure, Printer};

/// Bytes moved per read while streaming (the segment size does not depend on it).
const CHUNK: usize = 1 << 20;

#[derive(Subcommand, Debug)]
pub(crate) enum FileCommand {
    /// Encrypt a file or pipe of any size into a Keystead envelope message (streaming)
    EncryptFile {
        /// Wrapping key (key id, key ARN, alias name or alias ARN); repeat to let any of several
        /// keys decrypt (the first one generates the data key)
        #[arg(long = "key-id", required = true, value_name = "KEY")]
        key_ids: Vec<String>,
        /// Input file, or - for stdin
        #[arg(long = "in", value_name = "PATH", default_value = "-")]
        in_path: String,
        /// Output file, or - for stdout
        #[arg(long = "out", value_name = "PATH", default_value = "-")]
        out_path: String,
        /// k=v,k2=v2 or a JSON object; decrypting needs the same context
        #[arg(long)]
        encryption_context: Option<String>,
        /// Plaintext bytes per segment: a number with an optional KiB / MiB / GiB suffix
        /// (default 1MiB); match an S3 multipart part size to align segments with parts
        #[arg(long, value_name = "SIZE")]
        segment_size: Option<String>,
        /// Never show the progress bar (it is shown only when stderr is a terminal)
        #[arg(long)]
        no_progress: bool,
    },
    /// Decrypt a Keystead envelope message from a file or pipe; every byte is verified
    DecryptFile {
        /// Input file, or - for stdin
        #[arg(long = "in", value_name = "PATH", default_value = "-")]
        in_path: String,
        /// Output file, or - for stdout
        #[arg(long = "out", value_name = "PATH", default_value = "-")]
        out_path: String,
        /// The encryption context the message was encrypted with (default: empty)
        #[arg(long)]
        encryption_context: Option<String>,
        /// Only unwrap data keys wrapped by this key (repeatable); the others are not tried
        #[arg(long = "allow-key", value_name = "KEY")]
        allow_keys: Vec<String>,
        /// Refuse messages with more encrypted data keys than this (1-255)
        #[arg(long, default_value_t = DEFAULT_MAX_ENCRYPTED_DATA_KEYS)]
        max_encrypted_data_keys: usize,
        /// Decrypt only plaintext bytes START to END inclusive (as an HTTP Range; `START-` to
        /// the end), reading only the segments they need; the input must be seekable
        #[arg(long, value_name = "START-END")]
        range: Option<String>,
        /// Never show the progress bar (it is shown only when stderr is a terminal)
        #[arg(long)]
        no_progress: bool,
    },
    /// Show an envelope message's header (context, wrapping keys, sizes) without decrypting;
    /// nothing shown is authenticated until decrypt-file succeeds
    DescribeFile {
        /// Input file, or - for stdin
        #[arg(long = "in", value_name = "PATH", default_value = "-")]
        in_path: String,
    },
    /// Encrypt a configuration secret for one environment variable; prints keystead:v1:...
    EncryptSecret {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// The environment variable the value is for (it decrypts only there)
        #[arg(long, value_name = "VAR")]
        name: String,
        /// k=v,k2=v2 or a JSON object, also needed to decrypt
        #[arg(long)]
        encryption_context: Option<String>,
        /// Read the secret from this environment variable [default: stdin, one trailing
        /// newline removed]; secrets are never passed as arguments
        #[arg(long, value_name = "VAR")]
        value_env: Option<String>,
    },
    /// Decrypt a keystead:v1:... value for its environment variable and print the plaintext
    DecryptSecret {
        /// The environment variable the value was encrypted for
        #[arg(long, value_name = "VAR")]
        name: String,
        /// k=v,k2=v2 or a JSON object
        #[arg(long)]
        encryption_context: Option<String>,
        /// Read the value from this environment variable [default: stdin]
        #[arg(long, value_name = "VAR")]
        value_env: Option<String>,
    },
}

impl FileCommand {
    /// The operation name used in error lines.
    pub(crate) fn operation(&self) -> &'static str {
        match self {
            Self::EncryptFile { .. } => "EncryptFile",
            Self::DecryptFile { .. } => "DecryptFile",
            Self::DescribeFile { .. } => "DescribeFile",
            Self::EncryptSecret { .. } => "EncryptSecret",
            Self::DecryptSecret { .. } => "DecryptSecret",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeOut {
    encryption_context: EncryptionContext,
    wrapping_key_ids: Vec<String>,
    segment_size: usize,
    header_length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext_length: Option<u64>,
}

/// Runs one of this module's commands.
pub(crate) fn run(command: &FileCommand, store: &Keystead, out: &Printer<'_>) -> CliResult<()> {
    match command {
        FileCommand::EncryptFile {
            key_ids,
            in_path: input,
            out_path: output,
            encryption_context,
            segment_size,
            no_progress,
        } => {
            let context = parse_context("--encryption-context", encryption_context.as_deref())?.unwrap_or_default();
            let segment_size = match segment_size {
                Some(text) => parse_size("--segment-size", text)?,
                None => DEFAULT_SEGMENT_SIZE,
            };
            let (first, rest) = key_ids.split_first().ok_or_else(|| Failure::Usage("--key-id is required".into()))?;
            let options = SealOptions { additional_key_ids: rest.to_vec(), segment_size, ..SealOptions::default() };
            let (reader, total) = open_input(input)?;
            let mut progress = Progress::new("Encrypting", total, !no_progress);
            let sink = Sink::create(output)?;
            let mut writer = EnvelopeWriter::new(store, first, &context, &options, sink)?;
            let mut buffer = Zeroizing::new(vec![0u8; CHUNK]);
            let mut reader = reader;
            loop {
                let n = match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Failure::Other(format!("Cannot read {}: {e}", shown(input)))),
                };
                writer.write_all(&buffer[..n]).map_err(|e| write_failure(output, e))?;
                progress.add(n as u64);
            }
            let sink = writer.finish().map_err(|e| write_failure(output, e))?;
            sink.commit()?;
            progress.finish();
            Ok(())
        }
        FileCommand::DecryptFile {
            in_path: input,
            out_path: output,
            encryption_context,
            allow_keys,
            max_encrypted_data_keys,
            range,
            no_progress,
        } => {
            let context = parse_context("--encryption-context", encryption_context.as_deref())?.unwrap_or_default();
            let options = OpenOptions {
                max_encrypted_data_keys: *max_encrypted_data_keys,
                allowed_wrapping_keys: if allow_keys.is_empty() { None } else { Some(allow_keys.clone()) },
                threads: 0,
            };
            if let Some(range) = range {
                let (start, end) = parse_range(range)?;
                let file = seekable_input(input)?;
                let plaintext = envelope::open_range(store, file, &context, &options, start..end)?;
                let mut sink = Sink::create(output)?;
                sink.write_all(plaintext.expose()).map_err(|e| write_failure(output, e))?;
                return sink.commit();
            }
            let (reader, total) = open_input(input)?;
            let progress = Progress::new("Decrypting", total, !no_progress);
            let counted = Counted { inner: reader, progress };
            let mut reader = EnvelopeReader::new(store, counted, &context, &options)?;
            let mut sink = Sink::create(output)?;
            let mut buffer = Zeroizing::new(vec![0u8; CHUNK]);
            loop {
                let n = match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Failure::Service(error_from_io(e))),
                };
                sink.write_all(&buffer[..n]).map_err(|e| write_failure(output, e))?;
            }
            sink.commit()?;
            reader.into_inner().progress.finish();
            Ok(())
        }
        FileCommand::DescribeFile { in_path: input } => {
            let (mut reader, total) = open_input(input)?;
            let info = envelope::inspect(&mut reader, envelope::MAX_FORMAT_DATA_KEYS)?;
            // The plaintext length follows from the body length (known for a regular file).
            let plaintext_length = total.and_then(|len| {
                let body = len.checked_sub(info.header_len as u64)?;
                let full = (info.segment_size + envelope::SEGMENT_OVERHEAD) as u64;
                let segments = body.div_ceil(full).max(1);
                body.checked_sub(segments * envelope::SEGMENT_OVERHEAD as u64)
            });
            out.print(&DescribeOut {
                encryption_context: info.encryption_context,
                wrapping_key_ids: info.wrapping_key_ids,
                segment_size: info.segment_size,
                header_length: info.header_len,
                plaintext_length,
            })
        }
        FileCommand::EncryptSecret { key_id, name, encryption_context, value_env } => {
            let context = parse_context("--encryption-context", encryption_context.as_deref())?.unwrap_or_default();
            let value = secret_input(value_env.as_deref(), true)?;
            let text = encrypt_secret(store, key_id, name, &value, &context)?;
            print_line(text.as_bytes())
        }
        FileCommand::DecryptSecret { name, encryption_context, value_env } => {
            let context = parse_context("--encryption-context", encryption_context.as_deref())?.unwrap_or_default();
            let value = secret_input(value_env.as_deref(), true)?;
            let text =
                std::str::from_utf8(&value).map_err(|_| Failure::Usage("The value is not UTF-8 text".to_owned()))?;
            let plaintext = decrypt_secret(store, name, text.trim(), &context, &OpenOptions::default())?;
            print_line(plaintext.expose())
        }
    }
}

fn print_line(bytes: &[u8]) -> CliResult<()> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::Other(format!("Cannot write to stdout: {e}")))
}

/// A secret from an environment variable or stdin (one trailing newline removed: `echo` adds it).
fn secret_input(var: Option<&str>, trim_newline: bool) -> CliResult<Zeroizing<Vec<u8>>> {
    let mut value = match var {
        Some(var) => match std::env::var_os(var) {
            Some(v) if !v.is_empty() => Zeroizing::new(v.into_encoded_bytes()),
            _ => return Err(Failure::Usage(format!("The environment variable {var} is not set or empty"))),
        },
        None => {
            let mut bytes = Zeroizing::new(Vec::new());
            io::stdin().read_to_end(&mut bytes).map_err(|e| Failure::Other(format!("Cannot read stdin: {e}")))?;
            bytes
        }
    };
    if trim_newline && var.is_none() {
        if value.last() == Some(&b'\n') {
            value.pop();
        }
        if value.last() == Some(&b'\r') {
            value.pop();
        }
    }
    Ok(value)
}

fn shown(path: &str) -> &str {
    if path == "-" {
        "stdin"
    } else {
        path
    }
}

fn write_failure(output: &str, e: io::Error) -> Failure {
    // A Keystead error inside the writer (sealing) is a service error; the rest is I/O.
    match e.get_ref().and_then(|inner| inner.downcast_ref::<keystead_core::Error>()) {
        Some(inner) => Failure::Service(inner.clone()),
        None => Failure::Other(format!("Cannot write {}: {e}", if output == "-" { "stdout" } else { output })),
    }
}

/// Opens the input and tells its length when it is a regular file (for the progress bar).
fn open_input(path: &str) -> CliResult<(Box<dyn Read>, Option<u64>)> {
    if path == "-" {
        return Ok((Box::new(io::stdin().lock()), None));
    }
    let file = File::open(path).map_err(|e| Failure::Other(format!("Cannot open {path}: {e}")))?;
    let meta = file.metadata().map_err(|e| Failure::Other(format!("Cannot read {path}: {e}")))?;
    let total = meta.is_file().then_some(meta.len());
    Ok((Box::new(io::BufReader::with_capacity(CHUNK, file)), total))
}

/// A seekable input for ranged reads: a file, or stdin when it is redirected from a file.
fn seekable_input(path: &str) -> CliResult<File> {
    let not_seekable = || {
        Failure::Usage(format!("--range needs a seekable input (a file, not a pipe); {} is not seekable", shown(path)))
    };
    let mut file = if path == "-" {
        File::open("/dev/stdin").map_err(|_| not_seekable())?
    } else {
        File::open(path).map_err(|e| Failure::Other(format!("Cannot open {path}: {e}")))?
    };
    file.seek(SeekFrom::End(0)).and_then(|_| file.seek(SeekFrom::Start(0))).map_err(|_| not_seekable())?;
    Ok(file)
}

/// `N`, `NKiB`, `NMiB`, `NGiB` (also `K`, `M`, `G`).
fn parse_size(name: &str, text: &str) -> CliResult<usize> {
    let bad = || Failure::Usage(format!("Error parsing parameter '{name}': expected a size like 65536, 64KiB or 8MiB"));
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: usize = number.parse().map_err(|_| bad())?;
    let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    number.checked_mul(scale).ok_or_else(bad)
}

/// `START-END` (inclusive) or `START-`, as plaintext byte offsets; returns a half-open range.
fn parse_range(text: &str) -> CliResult<(u64, u64)> {
    let bad = || {
        Failure::Usage(format!(
            "Error parsing parameter '--range': expected START-END (inclusive byte offsets) or START-, received: \
             '{text}'"
        ))
    };
    let (start, end) = text.trim().strip_prefix("bytes=").unwrap_or(text.trim()).split_once('-').ok_or_else(bad)?;
    let start: u64 = start.parse().map_err(|_| bad())?;
    let end: u64 = if end.is_empty() { u64::MAX } else { end.parse::<u64>().map_err(|_| bad())?.saturating_add(1) };
    if end <= start {
        return Err(bad());
    }
    Ok((start, end))
}

/// Where output goes: stdout, or a temporary file renamed over the target by `commit`.
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File { writer: BufWriter<File>, temp: PathBuf, target: PathBuf, committed: bool },
}

impl Sink {
    fn create(path: &str) -> CliResult<Self> {
        if path == "-" {
            return Ok(Self::Stdout(BufWriter::with_capacity(CHUNK, io::stdout())));
        }
        let target = PathBuf::from(path);
        let name = target.file_name().ok_or_else(|| Failure::Usage(format!("--out {path} is not a file name")))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".keystead-{}.tmp", std::process::id()));
        let temp = target.with_file_name(temp_name);
        let file = File::create(&temp).map_err(|e| Failure::Other(format!("Cannot create {}: {e}", temp.display())))?;
        Ok(Self::File { writer: BufWriter::with_capacity(CHUNK, file), temp, target, committed: false })
    }

    /// Flushes; a file is synced and renamed over its target.
    fn commit(mut self) -> CliResult<()> {
        match &mut self {
            Self::Stdout(writer) => {
                writer.flush().map_err(|e| Failure::Other(format!("Cannot write stdout: {e}")))?;
            }
            Self::File { writer, temp, target, committed } => {
                let fail = |e: io::Error| Failure::Other(format!("Cannot write {}: {e}", target.display()));
                writer.flush().map_err(fail)?;
                writer.get_ref().sync_all().map_err(fail)?;
                std::fs::rename(temp, &target).map_err(fail)?;
                *committed = true;
            }
        }
        Ok(())
    }
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Self::Stdout(writer) => writer.write(data),
            Self::File { writer, .. } => writer.write(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Stdout(writer) => writer.flush(),
            Self::File { writer, .. } => writer.flush(),
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Self::File { temp, committed: false, .. } = self {
            // Never leave a partial or unverified output behind.
            let _ = std::fs::remove_file(temp.as_path());
        }
    }
}

/// A reader that reports the bytes it reads to a progress bar.
struct Counted<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

/// A one-line progress bar with throughput on stderr, drawn only when stderr is a terminal and
/// the work has lasted over half a second (so short commands and pipes stay quiet).
struct Progress {
    verb: &'static str,
    total: Option<u64>,
    done: u64,
    started: Instant,
    drawn: Option<Instant>,
    enabled: bool,
}

impl Progress {
    const DELAY: Duration = Duration::from_millis(500);
    const EVERY: Duration = Duration::from_millis(200);

    fn new(verb: &'static str, total: Option<u64>, wanted: bool) -> Self {
        let enabled = wanted && io::stderr().is_terminal();
        Self { verb, total, done: 0, started: Instant::now(), drawn: None, enabled }
    }

    fn add(&mut self, n: u64) {
        self.done += n;
        if !self.enabled || self.started.elapsed() < Self::DELAY {
            return;
        }
        if self.drawn.is_some_and(|at| at.elapsed() < Self::EVERY) {
            return;
        }
        self.draw();
    }

    fn draw(&mut self) {
        let seconds = self.started.elapsed().as_secs_f64().max(1e-6);
        let rate = self.done as f64 / seconds;
        let mut line = format!("\r{} {}", self.verb, human(self.done as f64));
        if let Some(total) = self.total.filter(|t| *t > 0) {
            let fraction = (self.done as f64 / total as f64).min(1.0);
            let width = 24;
            let filled = (fraction * width as f64) as usize;
            line = format!(
                "\r{} [{}{}] {:>3.0}% {} / {}",
                self.verb,
                "#".repeat(filled),
                "-".repeat(width - filled),
                fraction * 100.0,
                human(self.done as f64),
                human(total as f64)
            );
        }
        line.push_str(&format!("  {}/s   ", human(rate)));
        let mut stderr = io::stderr().lock();
        let _ = stderr.write_all(line.as_bytes());
        let _ = stderr.flush();
        self.drawn = Some(Instant::now());
    }

    fn finish(mut self) {
        if self.drawn.is_some() {
            self.draw();
            let _ = io::stderr().write_all(b"\n");
        }
    }
}

fn human(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ranges() {
        assert_eq!(parse_size("x", "65536").ok(), Some(65536));
        assert_eq!(parse_size("x", "64KiB").ok(), Some(65536));
        assert_eq!(parse_size("x", "8M").ok(), Some(8 << 20));
        assert!(parse_size("x", "8 parsecs").is_err());
        assert_eq!(parse_range("0-9").ok(), Some((0, 10)));
        assert_eq!(parse_range("bytes=5-").ok(), Some((5, u64::MAX)));
        assert!(parse_range("9-3").is_err());
        assert!(parse_range("x").is_err());
    }
}
