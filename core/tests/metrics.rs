//! Metrics: exact counts and buckets, the Prometheus text format checked by a strict grammar,
//! snapshots, last usage, the usage report, concurrency and the cost of one `record`.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use keystead_core::metrics::{MetricsSnapshot, Pricing};
use keystead_core::{ErrorKind, ManualClock, Metrics, Outcome};

const KEY_A: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_B: &str = "0987dcba-09fe-87dc-65ba-ab0987654321";

fn sample() -> Metrics {
    let metrics = Metrics::new();
    for micros in [1, 3, 10, 100, 1000] {
        metrics.record("Encrypt", Some(KEY_A), Outcome::Ok, Duration::from_micros(micros));
    }
    metrics.record(
        "Decrypt",
        Some(KEY_A),
        Outcome::ClientError(ErrorKind::InvalidCiphertext),
        Duration::from_micros(2),
    );
    metrics.record("Decrypt", Some(KEY_B), Outcome::Denied, Duration::from_micros(2));
    metrics.record("GenerateRandom", None, Outcome::Ok, Duration::from_micros(5));
    metrics.record("CreateKey", None, Outcome::ServerError(ErrorKind::Internal), Duration::from_secs(30));
    metrics
}

#[test]
fn counts_sums_and_buckets_are_exact() {
    let snapshot = sample().snapshot();
    assert_eq!(snapshot.series.len(), 5);
    let encrypt = snapshot.series.iter().find(|s| s.operation == "Encrypt").unwrap();
    assert_eq!((encrypt.count, encrypt.outcome.as_str(), encrypt.error_code.as_str()), (5, "ok", ""));
    assert!((encrypt.sum_seconds - 0.001_114).abs() < 1e-9, "{}", encrypt.sum_seconds);
    // Bounds: 1.024 µs, 4.096 µs, 16.4 µs, 65.5 µs, 262 µs, 1.05 ms, ...
    assert_eq!(&encrypt.cumulative_buckets[..6], &[1, 2, 3, 3, 4, 5]);
    assert_eq!(*encrypt.cumulative_buckets.last().unwrap(), 5);
    assert_eq!(encrypt.cumulative_buckets.len(), snapshot.bucket_bounds_seconds.len() + 1);
    let denied = snapshot.series.iter().find(|s| s.outcome == "denied").unwrap();
    assert_eq!((denied.key_id.as_deref(), denied.error_code.as_str()), (Some(KEY_B), "AccessDeniedException"));
    let slow = snapshot.series.iter().find(|s| s.operation == "CreateKey").unwrap();
    assert_eq!((slow.outcome.as_str(), slow.key_id.as_deref()), ("server_error", None));
    // 30 s is past the last bound (17.2 s): only the +Inf bucket counts it.
    assert_eq!(slow.cumulative_buckets[snapshot.bucket_bounds_seconds.len() - 1], 0);
    assert_eq!(*slow.cumulative_buckets.last().unwrap(), 1);
}

#[test]
fn snapshot_is_serializable() {
    let snapshot = sample().snapshot();
    let text = serde_json::to_string(&snapshot).unwrap();
    let back: MetricsSnapshot = serde_json::from_str(&text).unwrap();
    assert_eq!(back, snapshot);
}

/// One sample line: metric name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// `assert!` for the exposition reader: returns the message as an error instead of panicking.
macro_rules! check {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(format!($($message)+));
        }
    };
}

/// A strict reader of the Prometheus text exposition format 0.0.4: every line is a `# HELP`,
/// a `# TYPE` or a sample `name{label="value",...} value`; names and label names follow the
/// data model's grammar; label values use only the three escapes; each metric family is
/// declared once, before its samples, and its samples are contiguous. Returns the samples as
/// (name, labels, value).
fn parse_exposition(text: &str) -> Result<Vec<Sample>, String> {
    fn metric_name_ok(name: &str) -> bool {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    fn label_name_ok(name: &str) -> bool {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }
    check!(text.ends_with('\n'), "the exposition must end with a line feed");
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps: HashMap<String, String> = HashMap::new();
    let mut finished_families: Vec<String> = Vec::new();
    let mut current_family: Option<String> = None;
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (keyword, name, body) = (
                parts.next().ok_or_else(|| format!("truncated input {text:?}"))?,
                parts.next().ok_or_else(|| format!("truncated input {text:?}"))?,
                parts.next().unwrap_or(""),
            );
            check!(metric_name_ok(name), "bad metric name in {line:?}");
            match keyword {
                "HELP" => check!(helps.insert(name.into(), body.into()).is_none(), "HELP twice: {line:?}"),
                "TYPE" => {
                    check!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&body), "{line:?}");
                    check!(types.insert(name.into(), body.into()).is_none(), "TYPE twice: {line:?}");
                    check!(!finished_families.contains(&name.to_owned()), "TYPE after samples: {line:?}");
                }
                other => return Err(format!("unknown comment keyword {other} in {line:?}")),
            }
            continue;
        }
        check!(!line.is_empty() && !line.starts_with('#'), "stray line {line:?}");
        let name_end = line.find(['{', ' ']).ok_or_else(|| format!("truncated input {text:?}"))?;
        let name = &line[..name_end];
        check!(metric_name_ok(name), "bad metric name in {line:?}");
        let mut labels = BTreeMap::new();
        let mut rest = &line[name_end..];
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices().peekable();
            loop {
                let start = chars.peek().ok_or_else(|| format!("truncated input {text:?}"))?.0;
                let mut eq = None;
                for (i, c) in chars.by_ref() {
                    if c == '=' {
                        eq = Some(i);
                        break;
                    }
                }
                let label = &body[start..eq.ok_or_else(|| format!("truncated input {text:?}"))?];
                check!(label_name_ok(label), "bad label name {label:?} in {line:?}");
                check!(chars.next().map(|(_, c)| c) == Some('"'), "label value must be quoted: {line:?}");
                let mut value = String::new();
                loop {
                    match chars.next().ok_or_else(|| format!("truncated input {text:?}"))?.1 {
                        '\\' => match chars.next().ok_or_else(|| format!("truncated input {text:?}"))?.1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            other => return Err(format!("bad escape \\{other} in {line:?}")),
                        },
                        '"' => break,
                        '\n' => return Err("raw line feed in a label value".into()),
                        c => value.push(c),
                    }
                }
                check!(labels.insert(label.to_owned(), value).is_none(), "label twice in {line:?}");
                match chars.next().ok_or_else(|| format!("truncated input {text:?}"))? {
                    (_, ',') => continue,
                    (i, '}') => {
                        rest = &body[i + 1..];
                        break;
                    }
                    (_, c) => return Err(format!("unexpected {c:?} in {line:?}")),
                }
            }
        }
        let value_text = rest.strip_prefix(' ').ok_or_else(|| format!("no space before the value: {line:?}"))?;
        check!(!value_text.contains(' '), "timestamps are not written: {line:?}");
        let value = match value_text {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse::<f64>().map_err(|_| format!("bad value in {line:?}"))?,
        };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix).filter(|base| types.get(*base).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name)
            .to_owned();
        check!(types.contains_key(&family), "sample before its TYPE: {line:?}");
        if current_family.as_ref() != Some(&family) {
            check!(!finished_families.contains(&family), "family {family} is not contiguous");
            if let Some(previous) = current_family.replace(family.clone()) {
                finished_families.push(previous);
            }
        }
        samples.push((name.to_owned(), labels, value));
    }
    Ok(samples)
}

#[test]
fn prometheus_exposition_is_valid_and_consistent() {
    let metrics = sample();
    // Label values that need every escape.
    metrics.record("Odd\"Op\\\nName", Some("key\"with\\odd\nchars"), Outcome::Ok, Duration::from_micros(1));
    let snapshot = metrics.snapshot();
    let text = snapshot.to_prometheus();
    let samples = parse_exposition(&text).unwrap();
    let total: f64 = samples.iter().filter(|(n, _, _)| n == "keystead_requests_total").map(|(_, _, v)| v).sum();
    assert_eq!(total, 10.0);
    let (_, labels, value) = samples
        .iter()
        .find(|(n, l, _)| n == "keystead_requests_total" && l.get("operation").map(String::as_str) == Some("Encrypt"))
        .unwrap();
    assert_eq!(labels.get("key_id").map(String::as_str), Some(KEY_A));
    assert_eq!(labels.get("outcome").map(String::as_str), Some("ok"));
    assert_eq!(*value, 5.0);
    // The odd names come back unescaped, exactly.
    assert!(samples.iter().any(|(_, l, _)| l.get("key_id").map(String::as_str) == Some("key\"with\\odd\nchars")));
    // Histogram buckets: cumulative, ending with +Inf equal to _count.
    for series in &snapshot.series {
        let matches = |l: &BTreeMap<String, String>| {
            l.get("operation") == Some(&series.operation)
                && l.get("key_id").map(String::as_str) == Some(series.key_id.as_deref().unwrap_or(""))
                && l.get("outcome") == Some(&series.outcome)
        };
        let buckets: Vec<(String, f64)> = samples
            .iter()
            .filter(|(n, l, _)| n == "keystead_request_duration_seconds_bucket" && matches(l))
            .map(|(_, l, v)| (l["le"].clone(), *v))
            .collect();
        assert_eq!(buckets.len(), snapshot.bucket_bounds_seconds.len() + 1);
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "buckets must be cumulative");
        let les: Vec<f64> =
            buckets.iter().map(|(le, _)| if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap() }).collect();
        assert!(les.windows(2).all(|w| w[0] < w[1]), "le must increase");
        assert_eq!(buckets.last().unwrap().0, "+Inf");
        let count = samples
            .iter()
            .find(|(n, l, _)| n == "keystead_request_duration_seconds_count" && matches(l))
            .map(|(_, _, v)| *v)
            .unwrap();
        assert_eq!(buckets.last().unwrap().1, count);
        assert_eq!(count, series.count as f64);
    }
    let last_used: Vec<_> =
        samples.iter().filter(|(n, _, _)| n == "keystead_key_last_used_timestamp_seconds").collect();
    assert_eq!(last_used.len(), 2, "KEY_A and the odd key were used successfully");
}

#[test]
fn the_grammar_check_rejects_broken_text() {
    for broken in [
        "keystead_x{a=\"1\"} 1\n",                              // no TYPE
        "# TYPE keystead_x counter\nkeystead_x{a=1} 1\n",       // unquoted value
        "# TYPE keystead_x counter\nkeystead_x{a=\"\\t\"} 1\n", // bad escape
        "# TYPE keystead_x counter\nkeystead_x{1a=\"x\"} 1\n",  // bad label name
        "# TYPE keystead_x counter\nkeystead_x one\n",          // bad value
        "# TYPE keystead_x counter\nkeystead_x 1",              // no final line feed
    ] {
        assert!(parse_exposition(broken).is_err(), "accepted {broken:?}");
    }
}

#[test]
fn last_usage_and_usage_report() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let metrics = Metrics::with_clock(clock.clone());
    for _ in 0..30_000 {
        metrics.record("Encrypt", Some(KEY_A), Outcome::Ok, Duration::from_micros(3));
    }
    clock.advance_ms(15 * 86_400_000);
    metrics.record("Sign", Some(KEY_B), Outcome::Ok, Duration::from_micros(300));
    metrics.record("Sign", Some(KEY_B), Outcome::ClientError(ErrorKind::Validation), Duration::from_micros(3));
    let last = metrics.key_last_usage(KEY_B).unwrap();
    assert_eq!((last.operation.as_str(), last.timestamp_ms), ("Sign", 1_700_000_000_000 + 15 * 86_400_000));
    assert_eq!(metrics.key_last_usage(KEY_A).unwrap().operation, "Encrypt");
    assert!(metrics.key_last_usage("never-used").is_none());

    let pricing = Pricing::default().with_rate("Sign", 0.15);
    let report = metrics.snapshot().usage_report(&pricing);
    assert_eq!(report.requests, 30_002);
    assert_eq!(report.keys_used, 2);
    let sign = report.lines.iter().find(|l| l.operation == "Sign").unwrap();
    assert_eq!(sign.requests, 2);
    assert!((sign.request_cost_usd - 2.0 * 0.15 / 10_000.0).abs() < 1e-12);
    let encrypt = report.lines.iter().find(|l| l.operation == "Encrypt").unwrap();
    assert!((encrypt.request_cost_usd - 30_000.0 * 0.03 / 10_000.0).abs() < 1e-12);
    // 20,000 free requests; the remaining 10,002 at the average rate of the period.
    let average = (encrypt.request_cost_usd + sign.request_cost_usd) / 30_002.0;
    assert!((report.request_cost_usd - 10_002.0 * average).abs() < 1e-9, "{report:?}");
    // Two keys for half a month at $1 a month.
    assert!((report.key_storage_cost_usd - 1.0).abs() < 1e-9, "{}", report.key_storage_cost_usd);
}

#[test]
fn eight_threads_lose_no_count() {
    let metrics = Arc::new(Metrics::new());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let metrics = Arc::clone(&metrics);
            std::thread::spawn(move || {
                let key = format!("key-{}", t % 3);
                for i in 0..10_000u64 {
                    let outcome = if i % 10 == 0 { Outcome::Denied } else { Outcome::Ok };
                    metrics.record("Encrypt", Some(&key), outcome, Duration::from_nanos(i));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let snapshot = metrics.snapshot();
    assert_eq!(snapshot.series.iter().map(|s| s.count).sum::<u64>(), 80_000);
    let denied: u64 = snapshot.series.iter().filter(|s| s.outcome == "denied").map(|s| s.count).sum();
    assert_eq!(denied, 8_000);
    let sum: f64 = snapshot.series.iter().map(|s| s.sum_seconds).sum();
    assert!((sum - 8.0 * (0..10_000u64).sum::<u64>() as f64 / 1e9).abs() < 1e-9);
}

/// The cost of one `record` on an existing series, single-threaded and from 8 threads.
/// Figures: `cargo test --release -p keystead-core --test metrics -- --nocapture record_cost`.
#[test]
fn record_cost() {
    let metrics = Arc::new(Metrics::new());
    let calls: u32 = if cfg!(debug_assertions) { 16_000 } else { 1_600_000 };
    metrics.record("Encrypt", Some(KEY_A), Outcome::Ok, Duration::from_micros(3));
    let started = Instant::now();
    for i in 0..calls {
        metrics.record("Encrypt", Some(KEY_A), Outcome::Ok, Duration::from_nanos(u64::from(i)));
    }
    let single = started.elapsed().as_nanos() as f64 / f64::from(calls);
    let started = Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let metrics = Arc::clone(&metrics);
            std::thread::spawn(move || {
                let key = if t % 2 == 0 { KEY_A } else { KEY_B };
                for i in 0..calls / 8 {
                    metrics.record("Decrypt", Some(key), Outcome::Ok, Duration::from_nanos(u64::from(i)));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let parallel = started.elapsed().as_nanos() as f64 / f64::from(calls);
    println!("Metrics::record: {single:.0} ns per call on one thread; {parallel:.0} ns per call (wall) from 8 threads");
    assert_eq!(metrics.snapshot().series.iter().map(|s| s.count).sum::<u64>(), u64::from(calls) * 2 + 1);
    // A loose bound that still catches a lock held across something slow (debug builds too).
    if !cfg!(debug_assertions) {
        assert!(single < 5_000.0, "{single} ns per record");
    }
}
