//! Bad input through the Rust door (issue 11): every public method of `Keystead`, and every
//! public function of `keystead_core::envelope`, gets empty,
//! oversize and malformed values for its string, byte and number parameters, one at a time, the
//! others valid. (Wrong types cannot be written in Rust: the compiler refuses them, so that
//! column of the table is 0 here.)
//!
//! The list is read from the source (`pub fn` inside `impl Keystead` blocks of `core/src`, and
//! top-level `pub fn` of `core/src/envelope/{mod,fields,secrets,stream}.rs`), so a new function
//! without a row here fails `every_public_method_has_a_row`.
//!
//! Each case must fail with a client-side kind (not `KMSInternalException`,
//! `CorruptStoreException` or another server fault), and the store's observable state (keys,
//! metadata, tags, policies, grants, rotations, aliases, access keys) must equal the state
//! before it. A value that is valid under AWS's rules may succeed only if `ACCEPTED` lists it.
//! With `KEYSTEAD_BAD_INPUT_OUT` set, one JSON line per method is appended there.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use keystead_core::envelope;
use keystead_core::{
    CreateGrantRequest, CreateKeyRequest, DecryptRequest, DeriveSharedSecretRequest, EncryptRequest, EncryptionContext,
    Error, ErrorKind, GenerateDataKeyPairRequest, GenerateDataKeyRequest, GenerateMacRequest, GetPublicKeyRequest,
    GrantOperation, GrantRef, ImportKeyMaterialRequest, KeySpec, KeyUsage, Keystead, Origin, ReEncryptRequest,
    RootKeySource, SignRequest, SigningAlgorithm, Tag, VerifyMacRequest, VerifyRequest, WrappingAlgorithm,
    WrappingKeySpec,
};

type Outcome = keystead_core::Result<()>;
type Case<'a> = (&'static str, &'static str, Box<dyn Fn(&Keystead) -> Outcome + 'a>);

/// Methods with no input to make bad (they are rows with 0 cases).
const NO_INPUT: &[&str] = &[
    "audit_public_key",
    "audit_log",
    "metrics",
    "metrics_snapshot",
    "builder",
    "identity",
    "sweep",
    "list_access_keys",
    "principal",
];

/// (method, parameter, case) whose value is valid under AWS's rules.
const ACCEPTED: &[(&str, &str, &str)] = &[
    ("update_key_description", "description", "empty"),
    ("update_key_description", "description", "malformed"),
    ("encrypt", "plaintext", "malformed"),
    ("sign", "message", "malformed"),
    ("verify", "message", "malformed"),
    ("generate_mac", "message", "malformed"),
    ("verify_mac", "message", "malformed"),
    ("untag_resource", "tag_keys", "empty"),
    ("tag_resource", "tags", "empty"),
    ("list_grants", "grant_id", "malformed"),
    ("explain", "extra_conditions", "oversize"),
    ("explain", "extra_conditions", "malformed"),
    // An envelope, a field or a secret holds any bytes, of any size.
    ("envelope::seal", "plaintext", "empty"),
    ("envelope::seal", "plaintext", "oversize"),
    ("envelope::seal", "plaintext", "malformed"),
    ("envelope::encrypt_secret", "value", "empty"),
    ("envelope::encrypt_secret", "value", "malformed"),
];

/// Public envelope functions without an error path (a predicate, arithmetic, a conversion).
const NO_ERROR_PATH: &[&str] = &["envelope::is_secret", "envelope::overhead", "envelope::error_from_io"];

/// Findings of this test in the core, reported to their owners (rows of docs/bad-input.md). A
/// new problem fails the test; one of these that goes away is printed.
const KNOWN_FINDINGS: &[(&str, &str, &str)] = &[];

fn empty_oversize_malformed_str() -> [(&'static str, String); 3] {
    [("empty", String::new()), ("oversize", "k".repeat(70_000)), ("malformed", "\0not/a:valid id\n".into())]
}

fn bad_bytes() -> [(&'static str, Vec<u8>); 3] {
    [("empty", Vec::new()), ("oversize", vec![0u8; 300_000]), ("malformed", b"\xff\x00garbage".repeat(5))]
}

/// The three string cases of `param`, calling `f` with each.
fn str_cases<'a>(param: &'static str, f: impl Fn(&Keystead, &str) -> Outcome + Clone + 'a) -> Vec<Case<'a>> {
    empty_oversize_malformed_str()
        .into_iter()
        .map(|(case, value)| {
            let f = f.clone();
            (param, case, Box::new(move |s: &Keystead| f(s, &value)) as Box<dyn Fn(&Keystead) -> Outcome>)
        })
        .collect()
}

fn bytes_cases<'a>(param: &'static str, f: impl Fn(&Keystead, &[u8]) -> Outcome + Clone + 'a) -> Vec<Case<'a>> {
    bad_bytes()
        .into_iter()
        .map(|(case, value)| {
            let f = f.clone();
            (param, case, Box::new(move |s: &Keystead| f(s, &value)) as Box<dyn Fn(&Keystead) -> Outcome>)
        })
        .collect()
}

fn num_cases<'a>(param: &'static str, f: impl Fn(&Keystead, u32) -> Outcome + Clone + 'a) -> Vec<Case<'a>> {
    [("empty", 0u32), ("oversize", u32::MAX)]
        .into_iter()
        .map(|(case, value)| {
            let f = f.clone();
            (param, case, Box::new(move |s: &Keystead| f(s, value)) as Box<dyn Fn(&Keystead) -> Outcome>)
        })
        .collect()
}

fn one<'a>(param: &'static str, case: &'static str, f: impl Fn(&Keystead) -> Outcome + 'a) -> Vec<Case<'a>> {
    vec![(param, case, Box::new(f))]
}

/// The keys and values every row needs.
struct Fixture {
    sym: String,
    hmac: String,
    sign: String,
    agree: String,
    external: String,
    blob: Vec<u8>,
    mac: Vec<u8>,
    signature: Vec<u8>,
    public: Vec<u8>,
    grant_id: String,
    access_key_id: String,
    folder: std::path::PathBuf,
}

const GRANTEE: &str = "arn:aws:iam::111122223333:role/g";
const USER: &str = "arn:aws:iam::111122223333:user/u";

fn fixture(store: &Keystead, folder: &Path) -> Fixture {
    let key = |usage: Option<KeyUsage>, spec: Option<KeySpec>, origin: Option<Origin>| {
        store
            .create_key(CreateKeyRequest { key_usage: usage, key_spec: spec, origin, ..Default::default() })
            .unwrap()
            .key_id
    };
    let sym = key(None, None, None);
    let hmac = key(Some(KeyUsage::GenerateVerifyMac), Some(KeySpec::Hmac256), None);
    let sign = key(Some(KeyUsage::SignVerify), Some(KeySpec::EccNistP256), None);
    let agree = key(Some(KeyUsage::KeyAgreement), Some(KeySpec::EccNistP256), None);
    let external = key(None, None, Some(Origin::External));
    store.create_alias("alias/bad-input", &sym).unwrap();
    let grant_id = store
        .create_grant(CreateGrantRequest {
            key_id: &sym,
            grantee_principal: GRANTEE,
            operations: &[GrantOperation::Encrypt],
            ..Default::default()
        })
        .unwrap()
        .grant_id;
    let blob = store.encrypt(EncryptRequest { key_id: &sym, plaintext: b"hello", ..Default::default() }).unwrap();
    let mac = store
        .generate_mac(GenerateMacRequest {
            key_id: &hmac,
            message: b"m",
            mac_algorithm: Some(keystead_core::MacAlgorithm::HmacSha256),
            ..Default::default()
        })
        .unwrap()
        .mac;
    let signature = store
        .sign(SignRequest {
            key_id: &sign,
            message: b"m",
            signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
            ..Default::default()
        })
        .unwrap()
        .signature;
    let public = store.get_public_key(&agree).unwrap().public_key;
    let access_key_id = store.create_access_key(USER).unwrap().access_key_id;
    Fixture {
        sym,
        hmac,
        sign,
        agree,
        external,
        blob: blob.ciphertext_blob,
        mac,
        signature,
        public,
        grant_id,
        access_key_id,
        folder: folder.to_owned(),
    }
}

const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}"#;

/// The rows: method name and its cases.
#[allow(clippy::too_many_lines)]
fn rows(fx: &Fixture) -> Vec<(&'static str, Vec<Case<'_>>)> {
    let (sym, hmac, sign, agree, external) = (&fx.sym, &fx.hmac, &fx.sign, &fx.agree, &fx.external);
    let ok = |_: Keystead| ();
    let mut rows: Vec<(&'static str, Vec<Case<'_>>)> = Vec::new();
    // Methods taking one key id.
    macro_rules! by_key {
        ($name:literal, $call:expr) => {
            rows.push(($name, str_cases("key_id", move |s: &Keystead, k: &str| $call(s, k).map(drop))));
        };
    }
    by_key!("describe_key", |s: &Keystead, k: &str| s.describe_key(k));
    by_key!("enable_key", |s: &Keystead, k: &str| s.enable_key(k));
    by_key!("disable_key", |s: &Keystead, k: &str| s.disable_key(k));
    by_key!("cancel_key_deletion", |s: &Keystead, k: &str| s.cancel_key_deletion(k));
    by_key!("disable_key_rotation", |s: &Keystead, k: &str| s.disable_key_rotation(k));
    by_key!("get_key_rotation_status", |s: &Keystead, k: &str| s.get_key_rotation_status(k));
    by_key!("rotate_key_on_demand", |s: &Keystead, k: &str| s.rotate_key_on_demand(k));
    by_key!("get_public_key", |s: &Keystead, k: &str| s.get_public_key(k));
    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| {
        s.get_public_key_with(GetPublicKeyRequest { key_id: k, grant_tokens: &[] }).map(drop)
    });
    cases.extend(one("grant_tokens", "malformed", move |s| {
        s.get_public_key_with(GetPublicKeyRequest { key_id: sign, grant_tokens: &["not a token".to_owned()] }).map(drop)
    }));
    cases.extend(one("grant_tokens", "oversize", move |s| {
        let tokens = vec!["x".repeat(8193)];
        s.get_public_key_with(GetPublicKeyRequest { key_id: sign, grant_tokens: &tokens }).map(drop)
    }));
    rows.push(("get_public_key_with", cases));
    by_key!("delete_imported_key_material", |s: &Keystead, k: &str| s.delete_imported_key_material(k));
    by_key!("list_key_policies", |s: &Keystead, k: &str| s.list_key_policies(k));
    by_key!("delete_alias", |s: &Keystead, k: &str| s.delete_alias(k));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.update_key_description(k, "d"));
    cases.extend(str_cases("description", move |s: &Keystead, d: &str| s.update_key_description(sym, d)));
    cases.extend(one("description", "oversize", move |s| s.update_key_description(sym, &"d".repeat(8193))));
    rows.push(("update_key_description", cases));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.tag_resource(k, &[Tag::new("a", "b")]));
    cases.extend(one("tags", "empty", move |s| s.tag_resource(sym, &[])));
    cases.extend(one("tags", "oversize", move |s| {
        s.tag_resource(sym, &(0..100).map(|i| Tag::new(format!("t{i}"), "v")).collect::<Vec<_>>())
    }));
    cases.extend(one("tags", "malformed", move |s| s.tag_resource(sym, &[Tag::new("", "v")])));
    rows.push(("tag_resource", cases));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.untag_resource(k, &["a".into()]));
    cases.extend(one("tag_keys", "empty", move |s| s.untag_resource(sym, &[])));
    cases.extend(one("tag_keys", "malformed", move |s| s.untag_resource(sym, &[String::new()])));
    rows.push(("untag_resource", cases));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.list_resource_tags(k, None, None).map(drop));
    cases.extend(num_cases("limit", move |s: &Keystead, n| s.list_resource_tags(sym, Some(n), None).map(drop)));
    cases.extend(str_cases("marker", move |s: &Keystead, m: &str| s.list_resource_tags(sym, None, Some(m)).map(drop)));
    rows.push(("list_resource_tags", cases));

    // A time before 1970 (the only malformed value of an epoch-milliseconds argument).
    rows.push(("prune_audit_log", one("before_ms", "malformed", |s: &Keystead| s.prune_audit_log(-1).map(drop))));

    let mut cases = num_cases("limit", |s: &Keystead, n| s.list_keys(Some(n), None).map(drop));
    cases.extend(str_cases("marker", |s: &Keystead, m: &str| s.list_keys(None, Some(m)).map(drop)));
    rows.push(("list_keys", cases));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.list_aliases(Some(k), None, None).map(drop));
    cases.extend(num_cases("limit", |s: &Keystead, n| s.list_aliases(None, Some(n), None).map(drop)));
    cases.extend(str_cases("marker", |s: &Keystead, m: &str| s.list_aliases(None, None, Some(m)).map(drop)));
    rows.push(("list_aliases", cases));

    let mut cases = str_cases("alias_name", move |s: &Keystead, a: &str| s.create_alias(a, sym));
    cases.extend(str_cases("target_key_id", |s: &Keystead, k: &str| s.create_alias("alias/new-one", k)));
    rows.push(("create_alias", cases));
    let mut cases = str_cases("alias_name", move |s: &Keystead, a: &str| s.update_alias(a, sym));
    cases.extend(str_cases("target_key_id", |s: &Keystead, k: &str| s.update_alias("alias/bad-input", k)));
    rows.push(("update_alias", cases));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.schedule_key_deletion(k, Some(7)).map(drop));
    cases.extend(num_cases("pending_window_in_days", move |s: &Keystead, n| {
        s.schedule_key_deletion(sym, Some(n)).map(drop)
    }));
    rows.push(("schedule_key_deletion", cases));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.enable_key_rotation(k, None));
    cases.extend(num_cases("rotation_period_in_days", move |s: &Keystead, n| s.enable_key_rotation(sym, Some(n))));
    rows.push(("enable_key_rotation", cases));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.list_key_rotations(k, None, None, None).map(drop));
    cases.extend(num_cases("limit", move |s: &Keystead, n| s.list_key_rotations(sym, None, Some(n), None).map(drop)));
    cases.extend(str_cases("marker", move |s: &Keystead, m: &str| {
        s.list_key_rotations(sym, None, None, Some(m)).map(drop)
    }));
    rows.push(("list_key_rotations", cases));

    let mut cases = str_cases("description", |s: &Keystead, d: &str| {
        let d = if d.is_empty() { "x".repeat(8193) } else { d.to_owned() };
        s.create_key(CreateKeyRequest { description: Some(d), ..Default::default() }).map(drop)
    });
    // Only the oversize description is invalid; the loop above turned "empty" into a second
    // oversize one and "malformed" (free text) must succeed: keep just the invalid ones.
    cases.retain(|(_, case, _)| *case != "malformed");
    cases.extend(one("policy", "empty", |s| {
        s.create_key(CreateKeyRequest { policy: Some(String::new()), ..Default::default() }).map(drop)
    }));
    cases.extend(one("policy", "malformed", |s| {
        s.create_key(CreateKeyRequest { policy: Some(r#"{"Statement": 5}"#.into()), ..Default::default() }).map(drop)
    }));
    cases.extend(one("policy", "oversize", |s| {
        s.create_key(CreateKeyRequest { policy: Some("{".repeat(40_000)), ..Default::default() }).map(drop)
    }));
    cases.extend(one("tags", "malformed", |s| {
        s.create_key(CreateKeyRequest { tags: vec![Tag::new("aws:x", "v")], ..Default::default() }).map(drop)
    }));
    cases.extend(one("key_usage", "malformed", |s| {
        s.create_key(CreateKeyRequest {
            key_usage: Some(KeyUsage::GenerateVerifyMac),
            key_spec: Some(KeySpec::EccNistP256),
            ..Default::default()
        })
        .map(drop)
    }));
    rows.push(("create_key", cases));

    // Cryptographic calls.
    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| {
        s.encrypt(EncryptRequest { key_id: k, plaintext: b"x", ..Default::default() }).map(drop)
    });
    cases.extend(bytes_cases("plaintext", move |s: &Keystead, p: &[u8]| {
        s.encrypt(EncryptRequest { key_id: sym, plaintext: p, ..Default::default() }).map(drop)
    }));
    rows.push(("encrypt", cases));

    let mut cases = bytes_cases("ciphertext_blob", |s: &Keystead, b: &[u8]| {
        s.decrypt(DecryptRequest { ciphertext_blob: b, ..Default::default() }).map(drop)
    });
    cases.extend(str_cases("key_id", |s: &Keystead, k: &str| {
        s.decrypt(DecryptRequest { ciphertext_blob: &fx.blob, key_id: Some(k), ..Default::default() }).map(drop)
    }));
    rows.push(("decrypt", cases));

    let mut cases = bytes_cases("ciphertext_blob", move |s: &Keystead, b: &[u8]| {
        s.re_encrypt(ReEncryptRequest { ciphertext_blob: b, destination_key_id: sym, ..Default::default() }).map(drop)
    });
    cases.extend(str_cases("destination_key_id", |s: &Keystead, k: &str| {
        s.re_encrypt(ReEncryptRequest { ciphertext_blob: &fx.blob, destination_key_id: k, ..Default::default() })
            .map(drop)
    }));
    rows.push(("re_encrypt", cases));

    for (name, without) in [("generate_data_key", false), ("generate_data_key_without_plaintext", true)] {
        let call = move |s: &Keystead, k: &str, n: Option<u32>| {
            let r = GenerateDataKeyRequest { key_id: k, number_of_bytes: n, ..Default::default() };
            if without {
                s.generate_data_key_without_plaintext(r).map(drop)
            } else {
                s.generate_data_key(r).map(drop)
            }
        };
        let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| call(s, k, Some(32)));
        cases.extend(num_cases("number_of_bytes", move |s: &Keystead, n| call(s, sym, Some(n))));
        rows.push((name, cases));
    }
    for (name, without) in [("generate_data_key_pair", false), ("generate_data_key_pair_without_plaintext", true)] {
        let call = move |s: &Keystead, k: &str| {
            let r = GenerateDataKeyPairRequest {
                key_id: k,
                key_pair_spec: Some(keystead_core::DataKeyPairSpec::EccNistP256),
                ..Default::default()
            };
            if without {
                s.generate_data_key_pair_without_plaintext(r).map(drop)
            } else {
                s.generate_data_key_pair(r).map(drop)
            }
        };
        let mut cases = str_cases("key_id", call);
        cases.extend(one("key_pair_spec", "empty", move |s| {
            s.generate_data_key_pair(GenerateDataKeyPairRequest { key_id: sym, ..Default::default() }).map(drop)
        }));
        rows.push((name, cases));
    }
    rows.push(("generate_random", num_cases("number_of_bytes", |s: &Keystead, n| s.generate_random(n).map(drop))));

    let sign_call = move |s: &Keystead, k: &str, m: &[u8]| {
        s.sign(SignRequest {
            key_id: k,
            message: m,
            signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
            ..Default::default()
        })
        .map(drop)
    };
    let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| sign_call(s, k, b"m"));
    cases.extend(bytes_cases("message", move |s: &Keystead, m: &[u8]| sign_call(s, sign, m)));
    cases.extend(one("signing_algorithm", "empty", move |s| {
        s.sign(SignRequest { key_id: sign, message: b"m", ..Default::default() }).map(drop)
    }));
    rows.push(("sign", cases));

    let verify_call = move |s: &Keystead, k: &str, m: &[u8], sig: &[u8]| {
        s.verify(VerifyRequest {
            key_id: k,
            message: m,
            signature: sig,
            signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
            ..Default::default()
        })
        .map(drop)
    };
    let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| verify_call(s, k, b"m", &fx.signature));
    cases.extend(bytes_cases("message", move |s: &Keystead, m: &[u8]| verify_call(s, sign, m, &fx.signature)));
    cases.extend(bytes_cases("signature", move |s: &Keystead, sig: &[u8]| verify_call(s, sign, b"m", sig)));
    rows.push(("verify", cases));

    let mac_alg = Some(keystead_core::MacAlgorithm::HmacSha256);
    let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| {
        s.generate_mac(GenerateMacRequest { key_id: k, message: b"m", mac_algorithm: mac_alg, ..Default::default() })
            .map(drop)
    });
    cases.extend(bytes_cases("message", move |s: &Keystead, m: &[u8]| {
        s.generate_mac(GenerateMacRequest { key_id: hmac, message: m, mac_algorithm: mac_alg, ..Default::default() })
            .map(drop)
    }));
    rows.push(("generate_mac", cases));
    let vm = move |s: &Keystead, k: &str, m: &[u8], mac: &[u8]| {
        s.verify_mac(VerifyMacRequest { key_id: k, message: m, mac, mac_algorithm: mac_alg, ..Default::default() })
            .map(drop)
    };
    let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| vm(s, k, b"m", &fx.mac));
    cases.extend(bytes_cases("message", move |s: &Keystead, m: &[u8]| vm(s, hmac, m, &fx.mac)));
    cases.extend(bytes_cases("mac", move |s: &Keystead, mac: &[u8]| vm(s, hmac, b"m", mac)));
    rows.push(("verify_mac", cases));

    let dss = move |s: &Keystead, k: &str, p: &[u8]| {
        s.derive_shared_secret(DeriveSharedSecretRequest { key_id: k, public_key: p, ..Default::default() }).map(drop)
    };
    let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| dss(s, k, &fx.public));
    cases.extend(bytes_cases("public_key", move |s: &Keystead, p: &[u8]| dss(s, agree, p)));
    rows.push(("derive_shared_secret", cases));

    // Import.
    rows.push((
        "get_parameters_for_import",
        str_cases("key_id", |s: &Keystead, k: &str| {
            s.get_parameters_for_import(k, WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa2048).map(drop)
        }),
    ));
    let import = move |s: &Keystead, k: &str, t: &[u8], m: &[u8]| {
        s.import_key_material(ImportKeyMaterialRequest {
            key_id: k,
            import_token: t,
            encrypted_key_material: m,
            ..Default::default()
        })
        .map(drop)
    };
    let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| import(s, k, &[1; 64], &[2; 256]));
    cases.extend(bytes_cases("import_token", move |s: &Keystead, t: &[u8]| import(s, external, t, &[2; 256])));
    cases.extend(bytes_cases("encrypted_key_material", move |s: &Keystead, m: &[u8]| import(s, external, &[1; 64], m)));
    let import_with = move |s: &Keystead, description: Option<&str>, id: Option<&str>| {
        s.import_key_material(ImportKeyMaterialRequest {
            key_id: external,
            import_token: &[1; 64],
            encrypted_key_material: &[2; 256],
            key_material_description: description,
            key_material_id: id,
            ..Default::default()
        })
        .map(drop)
    };
    cases.extend(str_cases("key_material_description", move |s: &Keystead, d: &str| import_with(s, Some(d), None)));
    cases.extend(str_cases("key_material_id", move |s: &Keystead, id: &str| import_with(s, None, Some(id))));
    rows.push(("import_key_material", cases));
    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.delete_imported_key_material_with(k, None).map(drop));
    cases.extend(str_cases("key_material_id", move |s: &Keystead, id: &str| {
        s.delete_imported_key_material_with(external, Some(id)).map(drop)
    }));
    rows.push(("delete_imported_key_material_with", cases));

    // Policies and grants.
    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.put_key_policy(k, POLICY, None, false));
    cases.extend(str_cases("policy", move |s: &Keystead, p: &str| s.put_key_policy(sym, p, None, false)));
    cases.extend(str_cases("policy_name", move |s: &Keystead, n: &str| s.put_key_policy(sym, POLICY, Some(n), false)));
    rows.push(("put_key_policy", cases));
    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.get_key_policy(k, None).map(drop));
    cases.extend(str_cases("policy_name", move |s: &Keystead, n: &str| s.get_key_policy(sym, Some(n)).map(drop)));
    rows.push(("get_key_policy", cases));

    let grant = move |s: &Keystead, k: &str, g: &str, ops: &[GrantOperation]| {
        s.create_grant(CreateGrantRequest { key_id: k, grantee_principal: g, operations: ops, ..Default::default() })
            .map(drop)
    };
    let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| grant(s, k, GRANTEE, &[GrantOperation::Encrypt]));
    cases.extend(str_cases("grantee_principal", move |s: &Keystead, g: &str| {
        grant(s, sym, g, &[GrantOperation::Encrypt])
    }));
    cases.extend(one("operations", "empty", move |s| grant(s, sym, GRANTEE, &[])));
    cases.extend(str_cases("name", move |s: &Keystead, n: &str| {
        s.create_grant(CreateGrantRequest {
            key_id: sym,
            grantee_principal: GRANTEE,
            operations: &[GrantOperation::Encrypt],
            name: Some(n),
            ..Default::default()
        })
        .map(drop)
    }));
    rows.push(("create_grant", cases));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.list_grants(k, None, None, None, None).map(drop));
    cases.extend(str_cases("grant_id", move |s: &Keystead, g: &str| {
        s.list_grants(sym, Some(g), None, None, None).map(drop)
    }));
    cases.extend(str_cases("grantee_principal", move |s: &Keystead, g: &str| {
        s.list_grants(sym, None, Some(g), None, None).map(drop)
    }));
    cases.extend(num_cases("limit", move |s: &Keystead, n| s.list_grants(sym, None, None, Some(n), None).map(drop)));
    cases.extend(str_cases("marker", move |s: &Keystead, m: &str| {
        s.list_grants(sym, None, None, None, Some(m)).map(drop)
    }));
    rows.push(("list_grants", cases));
    let mut cases =
        str_cases("retiring_principal", |s: &Keystead, p: &str| s.list_retirable_grants(p, None, None).map(drop));
    cases.extend(num_cases("limit", |s: &Keystead, n| s.list_retirable_grants(GRANTEE, Some(n), None).map(drop)));
    rows.push(("list_retirable_grants", cases));
    let mut cases = str_cases("grant_token", |s: &Keystead, t: &str| s.retire_grant(GrantRef::Token(t), false));
    cases.extend(str_cases("grant_id", move |s: &Keystead, g: &str| {
        s.retire_grant(GrantRef::Id { key_id: sym, grant_id: g }, false)
    }));
    rows.push(("retire_grant", cases));
    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.revoke_grant(k, &fx.grant_id, false));
    cases.extend(str_cases("grant_id", move |s: &Keystead, g: &str| s.revoke_grant(sym, g, false)));
    rows.push(("revoke_grant", cases));

    let mut cases = str_cases("key_id", |s: &Keystead, k: &str| s.explain(k, "kms:Encrypt", None, &[]).map(drop));
    cases.extend(str_cases("action", move |s: &Keystead, a: &str| s.explain(sym, a, None, &[]).map(drop)));
    cases.extend(str_cases("extra_conditions", move |s: &Keystead, c: &str| {
        s.explain(sym, "kms:Encrypt", None, &[("kms:ViaService", c)]).map(drop)
    }));
    cases.retain(|(p, c, _)| !(*p == "extra_conditions" && *c == "empty"));
    rows.push(("explain", cases));

    // Principals and access keys.
    rows.push(("as_principal", str_cases("principal_arn", move |s: &Keystead, p: &str| s.as_principal(p).map(ok))));
    let mut cases = str_cases("principal_arn", move |s: &Keystead, p: &str| {
        s.as_principal_with_access_key(p, &fx.access_key_id).map(ok)
    });
    cases.extend(str_cases("access_key_id", move |s: &Keystead, a: &str| {
        s.as_principal_with_access_key(USER, a).map(ok)
    }));
    rows.push(("as_principal_with_access_key", cases));
    rows.push(("create_access_key", str_cases("principal", |s: &Keystead, p: &str| s.create_access_key(p).map(drop))));
    let mut cases = str_cases("access_key_id", |s: &Keystead, a: &str| s.add_access_key(a, &[7; 40], USER).map(drop));
    cases.extend(bytes_cases("secret_access_key", |s: &Keystead, k: &[u8]| {
        s.add_access_key("AKIAEXAMPLEBADINPUT1", k, USER).map(drop)
    }));
    cases.retain(|(p, c, _)| !(*p == "secret_access_key" && *c == "malformed"));
    cases.extend(str_cases("principal", |s: &Keystead, p: &str| {
        s.add_access_key("AKIAEXAMPLEBADINPUT2", &[7; 40], p).map(drop)
    }));
    rows.push(("add_access_key", cases));
    rows.push(("delete_access_key", str_cases("access_key_id", |s: &Keystead, a: &str| s.delete_access_key(a))));
    rows.push((
        "access_key_secret",
        str_cases("access_key_id", |s: &Keystead, a: &str| s.access_key_secret(a).map(drop)),
    ));

    rows.extend(envelope_rows(fx));

    // The store itself.
    rows.push((
        "rotate_root_key",
        one("new_source", "malformed", |s| {
            s.rotate_root_key(RootKeySource::EnvVar("KEYSTEAD_BAD_INPUT_NO_SUCH_VARIABLE".into()))
        }),
    ));
    let folder = fx.folder.clone();
    rows.push((
        "open",
        vec![
            ("dir", "malformed", Box::new(|_: &Keystead| Keystead::open("\0nul in a path").map(drop))),
            ("dir", "oversize", Box::new(move |_: &Keystead| Keystead::open(folder.join("d".repeat(5000))).map(drop))),
        ],
    ));
    rows
}

/// The empty encryption context.
fn ctx() -> EncryptionContext {
    EncryptionContext::new()
}

/// Rows of the public functions of `keystead_core::envelope`.
fn envelope_rows(fx: &Fixture) -> Vec<(&'static str, Vec<Case<'_>>)> {
    let sym = &fx.sym;
    let seal = move |s: &Keystead, k: &str, p: &[u8]| {
        envelope::seal(s, k, p, &ctx(), &envelope::SealOptions::default()).map(drop)
    };
    let open = |s: &Keystead, m: &[u8]| envelope::open(s, m, &ctx(), &envelope::OpenOptions::default()).map(drop);
    let mut rows: Vec<(&'static str, Vec<Case<'_>>)> = Vec::new();

    let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| seal(s, k, b"x"));
    cases.extend(bytes_cases("plaintext", move |s: &Keystead, p: &[u8]| seal(s, sym, p)));
    rows.push(("envelope::seal", cases));
    rows.push(("envelope::open", bytes_cases("message", open)));
    rows.push((
        "envelope::inspect",
        bytes_cases("reader", |_: &Keystead, m: &[u8]| envelope::inspect(&mut &m[..], 10).map(drop)),
    ));

    let key = [7u8; 32];
    let mut cases = bytes_cases("data_key", |_: &Keystead, k: &[u8]| {
        envelope::seal_with_data_key(k, std::slice::from_ref(&fx.blob), &ctx(), 4096, b"x").map(drop)
    });
    cases.extend(bytes_cases("encrypted_data_key", move |_: &Keystead, e: &[u8]| {
        envelope::seal_with_data_key(&key, &[e.to_vec()], &ctx(), 4096, b"x").map(drop)
    }));
    cases.retain(|(p, c, _)| !(*p == "encrypted_data_key" && *c == "malformed"));
    cases.extend(one("segment_size", "empty", move |_| {
        envelope::seal_with_data_key(&key, std::slice::from_ref(&fx.blob), &ctx(), 0, b"x").map(drop)
    }));
    cases.extend(one("segment_size", "oversize", move |_| {
        envelope::seal_with_data_key(&key, std::slice::from_ref(&fx.blob), &ctx(), usize::MAX, b"x").map(drop)
    }));
    rows.push(("envelope::seal_with_data_key", cases));
    let sealed = envelope::seal_with_data_key(&key, std::slice::from_ref(&fx.blob), &ctx(), 4096, b"x").unwrap();
    let mut cases =
        bytes_cases("message", move |_: &Keystead, m: &[u8]| envelope::open_with_data_key(m, &key, &ctx()).map(drop));
    cases.extend(bytes_cases("data_key", move |_: &Keystead, k: &[u8]| {
        envelope::open_with_data_key(&sealed, k, &ctx()).map(drop)
    }));
    rows.push(("envelope::open_with_data_key", cases));

    let record = serde_json::json!({"a": "b"});
    let fields_call = move |s: &Keystead, k: &str, r: &serde_json::Value, f: &[&str]| {
        envelope::encrypt_fields(s, k, r, f, &ctx(), &envelope::SealOptions::default()).map(drop)
    };
    let r2 = record.clone();
    let mut cases = str_cases("key_id", move |s: &Keystead, k: &str| fields_call(s, k, &r2, &["a"]));
    let r3 = record;
    cases.extend(str_cases("fields", move |s: &Keystead, f: &str| fields_call(s, sym, &r3, &[f])));
    cases.extend(one("record", "malformed", move |s| fields_call(s, sym, &serde_json::json!([1, 2]), &["a"])));
    rows.push(("envelope::encrypt_fields", cases));
    let decrypt_fields =
        |s: &Keystead, r: &serde_json::Value| envelope::decrypt_fields(s, r, &ctx(), &envelope::OpenOptions::default());
    let mut cases = one("record", "malformed", move |s| decrypt_fields(s, &serde_json::json!([1, 2])).map(drop));
    cases.extend(one("record", "empty", move |s| decrypt_fields(s, &serde_json::json!({})).map(drop)));
    rows.push(("envelope::decrypt_fields", cases));

    let mut cases =
        str_cases("key_id", |s: &Keystead, k: &str| envelope::encrypt_secret(s, k, "NAME", b"v", &ctx()).map(drop));
    cases.extend(str_cases("name", move |s: &Keystead, n: &str| {
        envelope::encrypt_secret(s, sym, n, b"v", &ctx()).map(drop)
    }));
    cases.retain(|(p, c, _)| !(*p == "name" && *c == "malformed"));
    cases.extend(bytes_cases("value", move |s: &Keystead, v: &[u8]| {
        envelope::encrypt_secret(s, sym, "NAME", v, &ctx()).map(drop)
    }));
    rows.push(("envelope::encrypt_secret", cases));
    rows.push((
        "envelope::decrypt_secret",
        str_cases("text", |s: &Keystead, t: &str| {
            envelope::decrypt_secret(s, "NAME", t, &ctx(), &envelope::OpenOptions::default()).map(drop)
        }),
    ));
    rows.push((
        "envelope::decrypt_env",
        str_cases("value", |s: &Keystead, v: &str| {
            let value = format!("keystead:v1:{v}");
            envelope::decrypt_env(s, [("NAME", value.as_str())], &ctx(), &envelope::OpenOptions::default()).map(drop)
        }),
    ));
    rows.push((
        "envelope::open_range",
        bytes_cases("reader", |s: &Keystead, m: &[u8]| {
            envelope::open_range(s, std::io::Cursor::new(m), &ctx(), &envelope::OpenOptions::default(), 0..1).map(drop)
        }),
    ));
    rows.push((
        "envelope::open_range_parts",
        bytes_cases("header", |s: &Keystead, h: &[u8]| {
            envelope::open_range_parts(s, h, 100, 0, &[], &ctx(), &envelope::OpenOptions::default(), 0..1).map(drop)
        }),
    ));
    rows.push((
        "envelope::range_span",
        one("range", "malformed", |s| {
            let message = envelope::seal(s, &fx.sym, b"0123456789", &ctx(), &envelope::SealOptions::default())?;
            let info = envelope::inspect(&mut &message[..], 10)?;
            #[allow(clippy::reversed_empty_ranges)]
            envelope::range_span(&info, message.len() as u64, 5..2).map(drop)
        }),
    ));
    rows
}

/// Everything a bad call could have changed.
fn snapshot(store: &Keystead) -> String {
    let mut out = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let page = store.list_keys(Some(1000), marker.as_deref()).unwrap();
        for entry in page.items {
            let id = entry.key_id;
            let meta = store.describe_key(&id).unwrap();
            let tags = store.list_resource_tags(&id, Some(50), None).unwrap().items;
            let policy = store.get_key_policy(&id, None).unwrap();
            let grants: Vec<String> = store
                .list_grants(&id, None, None, Some(100), None)
                .unwrap()
                .items
                .into_iter()
                .map(|g| g.grant_id)
                .collect();
            let rotations = store.list_key_rotations(&id, None, Some(1000), None).map(|p| p.items.len()).unwrap_or(0);
            out.insert(id, format!("{meta:?}|{tags:?}|{policy}|{grants:?}|{rotations}"));
        }
        marker = page.next_marker;
        if marker.is_none() {
            break;
        }
    }
    let aliases = store.list_aliases(None, Some(100), None).unwrap().items;
    let access: Vec<String> = store.list_access_keys().unwrap().into_iter().map(|a| a.access_key_id).collect();
    format!("{out:?}|{aliases:?}|{access:?}")
}

/// The public methods of `Keystead`, read from `core/src`.
fn public_methods() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut depth = 0i32;
                let mut inside = false;
                for line in text.lines() {
                    if line.starts_with("impl Keystead {") {
                        inside = true;
                        depth = 0;
                    }
                    if inside {
                        if let Some(rest) = line.strip_prefix("    pub fn ") {
                            out.push(rest.split(['(', '<']).next().unwrap().to_owned());
                        }
                        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
                        if depth == 0 && line.contains('}') {
                            inside = false;
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    walk(&src, &mut out);
    // The free functions of the envelope module (re-exported from its files).
    for file in ["mod.rs", "fields.rs", "secrets.rs", "stream.rs"] {
        for line in std::fs::read_to_string(src.join("envelope").join(file)).unwrap().lines() {
            if let Some(rest) = line.strip_prefix("pub fn ") {
                out.push(format!("envelope::{}", rest.split(['(', '<']).next().unwrap()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `Keystead::name` for a method, `envelope::name` as it is for a free function.
fn display_name(method: &str) -> String {
    if method.contains("::") {
        method.to_owned()
    } else {
        format!("Keystead::{method}")
    }
}

/// Server-side kinds: a bad input must never produce one of these.
fn server_fault(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Internal | ErrorKind::CorruptStore | ErrorKind::KeyUnavailable | ErrorKind::DependencyTimeout
    )
}

#[test]
fn every_public_method_has_a_row() {
    let temp = tempfile::tempdir().unwrap();
    let store = Keystead::builder().without_audit().open(temp.path().join("store")).unwrap();
    let fx = fixture(&store, temp.path());
    let rows = rows(&fx);
    let methods = public_methods();
    assert!(methods.len() > 50, "the source scan found only {} methods", methods.len());
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    let (mut total, mut typed_total, mut accepted_total, mut findings_total) = (0, 0, 0, 0);
    for method in &methods {
        let Some((_, cases)) = rows.iter().find(|(name, _)| name == method) else {
            if !NO_INPUT.contains(&method.as_str()) && !NO_ERROR_PATH.contains(&method.as_str()) {
                problems.push(format!("{method}: no row (add its cases to rows())"));
            }
            lines.push(format!(
                r#"{{"binding": "rust", "function": "{}", "cases": 0, "typed_errors": 0, "accepted": 0, "findings": [], "problems": []}}"#,
                display_name(method)
            ));
            continue;
        };
        let (mut typed, mut accepted, mut findings) = (0, 0, Vec::new());
        for (param, case, call) in cases {
            let before = snapshot(&store);
            let key = (method.as_str(), *param, *case);
            let known = KNOWN_FINDINGS.contains(&key);
            let outcome: Result<(), Error> = call(&store);
            match outcome {
                Err(e) if !server_fault(e.kind()) || (method == "open" && e.kind() == ErrorKind::Internal) => {
                    typed += 1;
                    if snapshot(&store) != before {
                        problems.push(format!("{method} {param}={case}: failed but changed the store"));
                    }
                }
                Err(e) => {
                    let what = format!("{method} {param}={case}: server fault {e}");
                    if known {
                        findings.push(what);
                    } else {
                        problems.push(what);
                    }
                }
                Ok(()) if ACCEPTED.contains(&key) => accepted += 1,
                Ok(()) if known => findings.push(format!("{method} {param}={case}: accepted")),
                Ok(()) => problems.push(format!("{method} {param}={case}: accepted")),
            }
        }
        total += cases.len();
        typed_total += typed;
        accepted_total += accepted;
        findings_total += findings.len();
        lines.push(format!(
            r#"{{"binding": "rust", "function": "{}", "cases": {}, "typed_errors": {typed}, "accepted": {accepted}, "findings": {findings:?}, "problems": []}}"#,
            display_name(method),
            cases.len()
        ));
    }
    for (name, _) in &rows {
        assert!(methods.iter().any(|m| m == name), "row {name} names no public method");
    }
    if let Ok(out) = std::env::var("KEYSTEAD_BAD_INPUT_OUT") {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(out).unwrap();
        for line in &lines {
            writeln!(file, "{line}").unwrap();
        }
    }
    println!(
        "bad-input/rust: {} methods, {total} cases: {typed_total} typed errors, {accepted_total} valid under AWS's \
         rules and accepted, {findings_total} known findings, {} new problems",
        methods.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
