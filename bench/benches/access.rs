//! Costs of access control and auditing, measured side by side in one run (issue 8's figures):
//!
//! 1. Encrypt (1 KiB) throughput on an on-disk store with the audit log on (batched group commit,
//!    the default; and per-record fsync) against the audit log off. The modes run in alternating
//!    rounds so that machine load hits each alike; medians of the rounds and their ratio are
//!    printed.
//! 2. Encrypt latency (p50, p99) on an in-memory store for a caller allowed by one of 1,000
//!    grants on a key whose policy is 32 KB (96 statements, none applies), against a caller
//!    allowed by the default policy: the difference is the price of the policy evaluation plus
//!    the grant lookup.
//!
//! `cargo bench -p keystead-bench --bench access` (about a minute after the build).
#![allow(clippy::unwrap_used, missing_docs)] // A measurement program: failures are loud on purpose.

use std::time::{Duration, Instant};

use keystead_core::{
    AuditOptions, CreateGrantRequest, CreateKeyRequest, Durability, EncryptRequest, GrantOperation, Keystead,
};

const ROUNDS: usize = 9;
const CALLS_PER_ROUND: usize = 2_000;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// CPU time this thread has run (ns), from `/proc/thread-self/schedstat` (Linux); 0 elsewhere.
/// Unlike wall time it does not grow when other processes take the cores, so on a loaded
/// machine it is the steadier measure of what a call costs.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// (calls per second of wall time, CPU µs per call on the calling thread).
fn encrypt_round(store: &Keystead, key_id: &str, plaintext: &[u8]) -> (f64, f64) {
    let cpu = thread_cpu_ns();
    let started = Instant::now();
    for _ in 0..CALLS_PER_ROUND {
        store.encrypt(EncryptRequest { key_id, plaintext, ..Default::default() }).unwrap();
    }
    let rate = CALLS_PER_ROUND as f64 / started.elapsed().as_secs_f64();
    (rate, (thread_cpu_ns() - cpu) as f64 / 1e3 / CALLS_PER_ROUND as f64)
}

fn encrypt_rate(store: &Keystead, key_id: &str, plaintext: &[u8]) -> f64 {
    encrypt_round(store, key_id, plaintext).0
}

fn audit_throughput() {
    let plaintext = vec![0x42u8; 1024];
    let open = |builder: keystead_core::KeysteadBuilder| {
        let dir = tempfile::tempdir().unwrap();
        let store = builder.open(dir.path()).unwrap();
        let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
        (dir, store, key)
    };
    let modes = [
        ("audit off", open(Keystead::builder().without_audit())),
        ("audit batched (default)", open(Keystead::builder())),
        (
            "audit per-record fsync",
            open(Keystead::builder().audit(AuditOptions { durability: Durability::PerRecord, ..Default::default() })),
        ),
        (
            "audit durability off",
            open(Keystead::builder().audit(AuditOptions { durability: Durability::Off, ..Default::default() })),
        ),
    ];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    let mut cpus: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    for _ in 0..ROUNDS {
        for (i, (_, (_, store, key))) in modes.iter().enumerate() {
            let (rate, cpu) = encrypt_round(store, key, &plaintext);
            rates[i].push(rate);
            cpus[i].push(cpu);
        }
    }
    let off = median(rates[0].clone());
    let off_cpu = median(cpus[0].clone());
    println!("Encrypt 1 KiB on disk, {ROUNDS} alternating rounds of {CALLS_PER_ROUND} calls, one thread:");
    for (((name, _), rate), cpu) in modes.iter().zip(&rates).zip(&cpus) {
        let (m, c) = (median(rate.clone()), median(cpu.clone()));
        println!(
            "  {name:<26} median {m:>8.0} ops/s ratio {:.2} | caller CPU {c:>6.1} µs/call ratio {:.2}",
            m / off,
            off_cpu / c
        );
    }
}

fn big_policy(account: &str) -> String {
    let mut statements = vec![format!(
        r#"{{"Sid": "Admin", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{account}:root"}}, "Action": "kms:*", "Resource": "*", "Condition": {{"StringEquals": {{"aws:PrincipalArn": "arn:aws:iam::{account}:user/admin"}}}}}}"#
    )];
    let mut i = 0;
    while statements.iter().map(String::len).sum::<usize>() < 32_000 {
        statements.push(format!(
            r#"{{"Sid": "Team{i}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{account}:role/team-{i}"}}, "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*", "Condition": {{"StringEquals": {{"kms:EncryptionContext:team": "team-{i}"}}, "Bool": {{"aws:SecureTransport": "true"}}}}}}"#
        ));
        i += 1;
    }
    statements.pop();
    format!(r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#, statements.join(","))
}

fn latencies(store: &Keystead, key_id: &str, calls: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        store.encrypt(EncryptRequest { key_id, plaintext: b"order 42", ..Default::default() }).unwrap();
        out.push(started.elapsed());
    }
    out.sort();
    out
}

fn policy_and_grants() {
    let store = Keystead::builder().open_in_memory().unwrap();
    let account = store.identity().account_id.clone();
    let admin = store.as_principal(&format!("arn:aws:iam::{account}:user/admin")).unwrap();
    let policy = big_policy(&account);
    let key = admin.create_key(CreateKeyRequest { policy: Some(policy.clone()), ..Default::default() }).unwrap().key_id;
    for i in 0..1_000 {
        admin
            .create_grant(CreateGrantRequest {
                key_id: &key,
                grantee_principal: &format!("arn:aws:iam::{account}:role/service-{i}"),
                operations: &[GrantOperation::Encrypt, GrantOperation::Decrypt],
                ..Default::default()
            })
            .unwrap();
    }
    let plain_key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let grantee = store.as_principal(&format!("arn:aws:iam::{account}:role/service-777")).unwrap();
    let mut with = Vec::new();
    let mut without = Vec::new();
    for _ in 0..5 {
        with.extend(latencies(&grantee, &key, 2_000));
        without.extend(latencies(&store, &plain_key, 2_000));
    }
    with.sort();
    without.sort();
    println!(
        "Encrypt (in-memory store) by a grantee of 1 of 1,000 grants, key policy of {} bytes ({} statements, none applies):",
        policy.len(),
        policy.matches("\"Sid\"").count()
    );
    println!("  p50 {:?}  p99 {:?}", percentile(&with, 0.5), percentile(&with, 0.99));
    println!("Encrypt (same store), default policy, no grants:");
    println!("  p50 {:?}  p99 {:?}", percentile(&without, 0.5), percentile(&without, 0.99));
    println!(
        "  => policy evaluation + grant lookup: p50 {:?}, p99 {:?}",
        percentile(&with, 0.5).saturating_sub(percentile(&without, 0.5)),
        percentile(&with, 0.99).saturating_sub(percentile(&without, 0.99))
    );
}

/// `Metrics::record` on the hot path: an existing (operation, key, outcome) series, one thread
/// and two threads on two keys; ns per record.
fn metrics_record() {
    use keystead_core::metrics::{Metrics, Outcome};
    let metrics = Metrics::new();
    let keys = ["1234abcd-12ab-34cd-56ef-1234567890ab", "0987dcba-09ba-87dc-65fe-0987654321ba"];
    // Realistic population: 1,000 keys already counted.
    for i in 0..1_000 {
        metrics.record("Encrypt", Some(&format!("{i:08}-0000-4000-8000-000000000000")), Outcome::Ok, Duration::ZERO);
    }
    let calls = 2_000_000u32;
    let mut single = Vec::new();
    let mut parallel = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        for i in 0..calls {
            metrics.record("Encrypt", Some(keys[0]), Outcome::Ok, Duration::from_nanos(u64::from(i & 0xffff)));
        }
        single.push(started.elapsed().as_nanos() as f64 / f64::from(calls));
        let started = Instant::now();
        std::thread::scope(|scope| {
            for key in keys {
                let metrics = &metrics;
                scope.spawn(move || {
                    for i in 0..calls / 2 {
                        metrics.record("Decrypt", Some(key), Outcome::Ok, Duration::from_nanos(u64::from(i & 0xffff)));
                    }
                });
            }
        });
        parallel.push(started.elapsed().as_nanos() as f64 / f64::from(calls));
    }
    println!("Metrics::record, existing series, 1,000 keys counted, median of 5 runs of {calls} records:");
    println!(
        "  one thread {:.0} ns per record; two threads (two keys) {:.0} ns per record (wall)",
        median(single),
        median(parallel)
    );
}

/// Profiling aid: `KEYSTEAD_PROFILE=batched|off|none` runs only that mode's Encrypt loop for
/// 10 s, e.g. under `perf record -g` (`KEYSTEAD_PROFILE=metrics`: only [`metrics_record`]).
fn profile(mode: &str) {
    let builder = match mode {
        "none" => Keystead::builder().without_audit(),
        "off" => Keystead::builder().audit(AuditOptions { durability: Durability::Off, ..Default::default() }),
        _ => Keystead::builder(),
    };
    let dir = tempfile::tempdir().unwrap();
    let store = builder.open(dir.path()).unwrap();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let plaintext = vec![0x42u8; 1024];
    let started = Instant::now();
    let mut rounds = 0;
    while started.elapsed() < Duration::from_secs(10) {
        encrypt_rate(&store, &key, &plaintext);
        rounds += 1;
    }
    let rate = (rounds * CALLS_PER_ROUND) as f64 / started.elapsed().as_secs_f64();
    println!("profile {mode}: {rate:.0} Encrypt/s");
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    if let Ok(mode) = std::env::var("KEYSTEAD_PROFILE") {
        if mode == "metrics" {
            metrics_record();
        } else {
            profile(&mode);
        }
        return;
    }
    audit_throughput();
    metrics_record();
    policy_and_grants();
}
