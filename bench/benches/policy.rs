//! Key policy evaluation time: a typical two-statement policy (the default statement plus a
//! "use of the key" statement with an encryption-context condition) and a policy at the 32 KB
//! size limit (about 90 statements with conditions, none of which applies, so every statement is
//! examined). `decide` is the allocation-free hot path the cryptographic operations call;
//! `evaluate` also names the deciding statements. Parsing the 32 KB policy is measured too.
//!
//! On a shared machine wall-clock figures include the time the thread waits for a CPU, so the
//! setup also prints on-CPU time per operation (from `/proc/thread-self/schedstat`, Linux only)
//! over about a second of calls per case.
#![allow(clippy::unwrap_used)] // Benchmarks fail loudly on purpose.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use keystead_core::policy::condition::ConditionValues;
use keystead_core::policy::document::{PolicyDocument, MAX_POLICY_BYTES};
use keystead_core::policy::evaluate::{decide, evaluate, Decision, RequestContext};

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const TYPICAL: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Allow use of the key", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::444455556666:role/checkout"},
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
     "Resource": "*",
     "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "acme"},
                   "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant", "order"]}}}
  ]
}"#;

/// A policy just under 32,768 bytes: one statement per application role, each with actions and
/// conditions; the benchmark's caller is none of them.
fn large_policy() -> String {
    let mut statements = Vec::new();
    let mut n = 0;
    loop {
        let statement = format!(
            r#"{{"Sid":"app{n}","Effect":"{}","Principal":{{"AWS":["arn:aws:iam::111122223333:role/app-{n}","arn:aws:iam::444455556666:role/app-{n}"]}},"Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*","Condition":{{"StringEquals":{{"kms:EncryptionContext:tenant":"tenant-{n}"}},"StringLike":{{"kms:ViaService":"s3.*.amazonaws.com"}}}}}}"#,
            if n % 10 == 9 { "Deny" } else { "Allow" }
        );
        let candidate = statements.iter().map(String::len).sum::<usize>() + statements.len() + statement.len() + 64;
        if candidate > MAX_POLICY_BYTES {
            break;
        }
        statements.push(statement);
        n += 1;
    }
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

/// Nanoseconds this thread has spent on a CPU (Linux; `None` elsewhere).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

/// Runs `f` for about a second of wall-clock time and prints its on-CPU time per call.
fn print_cpu_time(name: &str, mut f: impl FnMut()) {
    let Some(start_cpu) = thread_cpu_ns() else { return };
    let start = std::time::Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        for _ in 0..100 {
            f();
        }
        calls += 100;
    }
    let cpu = thread_cpu_ns().unwrap_or(start_cpu) - start_cpu;
    let wall = start.elapsed().as_nanos();
    println!(
        "on-CPU {name}: {:.0} ns/call ({calls} calls, {:.0}% of wall time on CPU)",
        cpu as f64 / calls as f64,
        100.0 * cpu as f64 / wall as f64
    );
}

fn policy(c: &mut Criterion) {
    let mut values = ConditionValues::new();
    values
        .set("kms:EncryptionContext:tenant", "acme")
        .set_multi("kms:EncryptionContextKeys", ["tenant", "order"])
        .set("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
        .set("kms:ViaService", "s3.us-east-1.amazonaws.com");
    let caller = "arn:aws:sts::444455556666:assumed-role/checkout/session-1";
    let request =
        RequestContext { principal_arn: caller, action: "kms:Decrypt", resource_arn: KEY, conditions: &values };

    let typical = PolicyDocument::parse(TYPICAL).unwrap();
    assert_eq!(decide(&typical, &request), Decision::Allow);
    let large_text = large_policy();
    let large = PolicyDocument::parse(&large_text).unwrap();
    assert_eq!(decide(&large, &request), Decision::ImplicitDeny);
    println!("large policy: {} bytes, {} statements", large_text.len(), large.statement_labels().count());

    print_cpu_time("decide typical", || {
        black_box(decide(black_box(&typical), &request));
    });
    print_cpu_time("evaluate typical", || {
        black_box(evaluate(black_box(&typical), &request));
    });
    print_cpu_time("decide 32 KB", || {
        black_box(decide(black_box(&large), &request));
    });
    print_cpu_time("evaluate 32 KB", || {
        black_box(evaluate(black_box(&large), &request));
    });
    print_cpu_time("parse 32 KB", || {
        black_box(PolicyDocument::parse(black_box(&large_text)).unwrap());
    });

    let mut group = c.benchmark_group("policy");
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("decide typical 2 statements (Allow)", |b| b.iter(|| decide(black_box(&typical), &request)));
    group.bench_function("evaluate typical 2 statements (Allow)", |b| {
        b.iter(|| evaluate(black_box(&typical), &request))
    });
    group.bench_function("decide 32 KB policy (no statement applies)", |b| {
        b.iter(|| decide(black_box(&large), &request))
    });
    group.bench_function("evaluate 32 KB policy (no statement applies)", |b| {
        b.iter(|| evaluate(black_box(&large), &request))
    });
    group.bench_function("parse 32 KB policy", |b| b.iter(|| PolicyDocument::parse(black_box(&large_text)).unwrap()));
    group.finish();
}

criterion_group!(benches, policy);
criterion_main!(benches);
