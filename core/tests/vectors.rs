//! Known-answer test vectors for the symmetric ciphertext blob (format 1) and the canonical
//! encryption context encoding (`docs/format.md`).
//!
//! The vectors live in `core/tests/vectors/` and are verified on every test run. They were
//! generated once with `KEYSTEAD_REGENERATE_VECTORS=1 cargo test -p keystead-core --test
//! vectors`; regenerating makes new random salts, hence new blobs, so only do it when the
//! format changes (and then bump the format version).

use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine as _;
use keystead_core::crypto::ciphertext::{self, open, parse_header, seal, OVERHEAD};
use keystead_core::crypto::context::parse_canonical_context;
use keystead_core::{canonical_context, EncryptionContext, ErrorKind};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

const SYMMETRIC_FILE: &str = "symmetric_blob_v1.json";
const CONTEXT_FILE: &str = "encryption_context.json";

/// Context pairs in the order they appear in the JSON object (the order a caller gave them).
#[derive(Clone, Debug, Default)]
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn of(pairs: &[(&str, &str)]) -> Self {
        Self(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// The map a caller would build by inserting the pairs in file order.
    fn to_context(&self) -> EncryptionContext {
        let mut map = EncryptionContext::new();
        for (k, v) in &self.0 {
            map.insert(k.clone(), v.clone());
        }
        map
    }
}

impl Serialize for Pairs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = access.next_entry::<String, String>()? {
                    pairs.push((k, v));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

/// One case of `symmetric_blob_v1.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct BlobCase {
    description: String,
    valid: bool,
    key_id: String,
    key_version: u32,
    /// 32 bytes, hex: the material given to `open`.
    material: String,
    /// The context given to `open`, in the order the caller gives it.
    encryption_context: Pairs,
    /// Hex of the canonical encoding of `encryption_context`.
    canonical_context: String,
    /// Hex; for invalid cases, the plaintext of the blob this case was derived from.
    plaintext: String,
    /// Standard base64 with padding.
    blob: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct BlobFile {
    format: String,
    generated_by: String,
    cases: Vec<BlobCase>,
}

/// One case of `encryption_context.json`.
#[derive(Debug, Serialize, Deserialize)]
struct ContextCase {
    description: String,
    encryption_context: Pairs,
    canonical_context: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct ContextFile {
    format: String,
    generated_by: String,
    cases: Vec<ContextCase>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("vectors")
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd-length hex {text:?}");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit")).collect()
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn canonical_hex(pairs: &Pairs) -> String {
    to_hex(&canonical_context(&pairs.to_context()).expect("canonical context"))
}

const GENERATED_BY: &str = "KEYSTEAD_REGENERATE_VECTORS=1 cargo test -p keystead-core --test vectors (see README.md)";

// ---------------------------------------------------------------------------------------------
// Generation (only with KEYSTEAD_REGENERATE_VECTORS=1)
// ---------------------------------------------------------------------------------------------

fn material(seed: u8) -> Vec<u8> {
    (0u8..32).map(|i| i.wrapping_mul(7).wrapping_add(seed)).collect()
}

fn valid_case(
    description: &str,
    key_id: &str,
    key_version: u32,
    material: &[u8],
    context: Pairs,
    plaintext: &[u8],
) -> BlobCase {
    let uuid = Uuid::parse_str(key_id).expect("uuid");
    let canonical = canonical_context(&context.to_context()).expect("canonical context");
    let blob = seal(uuid, key_version, material, &canonical, plaintext).expect("seal");
    BlobCase {
        description: description.into(),
        valid: true,
        key_id: key_id.into(),
        key_version,
        material: to_hex(material),
        canonical_context: to_hex(&canonical),
        encryption_context: context,
        plaintext: to_hex(plaintext),
        blob: b64().encode(blob),
    }
}

fn invalid_from(base: &BlobCase, description: &str, change: impl FnOnce(&mut BlobCase, &mut Vec<u8>)) -> BlobCase {
    let mut case = base.clone();
    let mut blob = b64().decode(&base.blob).expect("base64");
    case.description = description.into();
    case.valid = false;
    change(&mut case, &mut blob);
    case.blob = b64().encode(&blob);
    case.canonical_context = canonical_hex(&case.encryption_context);
    case
}

fn generate_blob_file() -> BlobFile {
    let id_a = "0b6f1a3e-5c2d-4e8f-9a01-23456789abcd";
    let id_b = "f0e1d2c3-b4a5-4697-8877-665544332211";
    let mat_a = material(0x11);
    let mat_b = material(0xa5);
    let orders = Pairs::of(&[("purpose", "orders"), ("tenant", "42")]);
    let text: Vec<u8> = b"4111 1111 1111 1111".to_vec();
    let kib: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
    let max: Vec<u8> = (0..4096u32).map(|i| (i * 31 % 256) as u8).collect();

    let base = valid_case("context with two pairs, key version 1", id_a, 1, &mat_a, orders, &text);
    let mut cases = vec![
        valid_case("empty encryption context", id_a, 1, &mat_a, Pairs::default(), b"hello, keystead"),
        base.clone(),
        valid_case(
            "unicode context; key version 0x01020304 checks big-endian order",
            id_b,
            0x0102_0304,
            &mat_b,
            Pairs::of(&[("\u{fc}n\u{ef}code", "\u{2713}"), ("\u{65e5}\u{672c}", "\u{8a9e}"), ("Zeta", "")]),
            &kib,
        ),
        valid_case("4096-byte plaintext (largest Encrypt accepts)", id_b, 3, &mat_b, Pairs::default(), &max),
        valid_case(
            "empty plaintext (valid at the format level; Encrypt itself requires 1 byte or more)",
            id_b,
            2,
            &mat_b,
            Pairs::of(&[("k", "v")]),
            b"",
        ),
    ];
    let mut reordered = base.clone();
    reordered.description = "same blob as case 2, context pairs given in a different order: still valid".into();
    reordered.encryption_context = Pairs::of(&[("tenant", "42"), ("purpose", "orders")]);
    reordered.canonical_context = canonical_hex(&reordered.encryption_context);
    cases.push(reordered);

    let flip = |offset: usize| move |_: &mut BlobCase, blob: &mut Vec<u8>| blob[offset] ^= 0x01;
    let tag_offset = b64().decode(&base.blob).expect("base64").len() - 1;
    cases.extend([
        invalid_from(&base, "bit flip in header: key id (offset 2)", flip(2)),
        invalid_from(&base, "bit flip in header: key version (offset 21)", flip(21)),
        invalid_from(&base, "bit flip in header: salt (offset 30)", flip(30)),
        invalid_from(&base, "bit flip in ciphertext (offset 38)", flip(38)),
        invalid_from(&base, "bit flip in tag (last byte)", flip(tag_offset)),
        invalid_from(&base, "truncated by one byte", |_, b| {
            b.pop();
        }),
        invalid_from(&base, "truncated to 53 bytes (below the 54-byte minimum)", |_, b| b.truncate(OVERHEAD - 1)),
        invalid_from(&base, "one byte appended", |_, b| b.push(0)),
        invalid_from(&base, "wrong context: value changed", |c, _| {
            c.encryption_context = Pairs::of(&[("purpose", "orders"), ("tenant", "43")]);
        }),
        invalid_from(&base, "wrong context: key renamed (keys are case-sensitive)", |c, _| {
            c.encryption_context = Pairs::of(&[("purpose", "orders"), ("Tenant", "42")]);
        }),
        invalid_from(&base, "wrong context: pair added", |c, _| {
            c.encryption_context = Pairs::of(&[("purpose", "orders"), ("tenant", "42"), ("x", "y")]);
        }),
        invalid_from(&base, "wrong context: pair removed", |c, _| {
            c.encryption_context = Pairs::of(&[("tenant", "42")]);
        }),
        invalid_from(&base, "wrong context: none given", |c, _| {
            c.encryption_context = Pairs::default();
        }),
        invalid_from(&base, "wrong material (one bit differs)", |c, _| {
            let mut m = from_hex(&c.material);
            m[0] ^= 0x01;
            c.material = to_hex(&m);
        }),
        invalid_from(&base, "format byte 0x02", |_, b| b[0] = 0x02),
        invalid_from(&base, "algorithm suite byte 0x02", |_, b| b[1] = 0x02),
    ]);
    BlobFile { format: "keystead symmetric ciphertext blob, format 1".into(), generated_by: GENERATED_BY.into(), cases }
}

fn generate_context_file() -> ContextFile {
    let case = |description: &str, pairs: &[(&str, &str)]| {
        let pairs = Pairs::of(pairs);
        ContextCase {
            description: description.into(),
            canonical_context: canonical_hex(&pairs),
            encryption_context: pairs,
        }
    };
    let cases = vec![
        case("empty map", &[]),
        case("one pair", &[("tenant", "42")]),
        case("pairs given out of order are sorted", &[("b", "2"), ("a", "1")]),
        case("length prefixes separate key and value: {\"ab\": \"c\"}", &[("ab", "c")]),
        case("length prefixes separate key and value: {\"a\": \"bc\"}", &[("a", "bc")]),
        case("a key that is a prefix of another sorts first", &[("aa", "2"), ("a", "1")]),
        case("empty key and empty value", &[("", "")]),
        case("upper case sorts before lower case (byte order)", &[("a", "lower"), ("B", "upper")]),
        case("UTF-8 byte order: 'Z' < 'z' < 'é'", &[("\u{e9}", "3"), ("z", "2"), ("Z", "1")]),
        case(
            "UTF-8 byte order, not UTF-16: U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80)",
            &[("\u{1f600}", "emoji"), ("\u{ff61}", "halfwidth")],
        ),
        case("unicode keys and values", &[("\u{fc}n\u{ef}code", "\u{2713}"), ("\u{65e5}\u{672c}", "\u{8a9e}")]),
        case("value of 300 bytes (two-byte length 0x012c)", &[("k", &"v".repeat(300))]),
    ];
    ContextFile { format: "keystead canonical encryption context".into(), generated_by: GENERATED_BY.into(), cases }
}

fn write_json<T: Serialize>(name: &str, value: &T) {
    let mut text = serde_json::to_string_pretty(value).expect("serialize");
    text.push('\n');
    std::fs::write(dir().join(name), text).expect("write vector file");
}

/// Regenerates the files once per test process when asked to, before any test reads them.
fn ensure_files() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if std::env::var("KEYSTEAD_REGENERATE_VECTORS").as_deref() == Ok("1") {
            std::fs::create_dir_all(dir()).expect("vector folder");
            write_json(SYMMETRIC_FILE, &generate_blob_file());
            write_json(CONTEXT_FILE, &generate_context_file());
        }
    });
}

fn read_json<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    ensure_files();
    let text = std::fs::read_to_string(dir().join(name)).expect("read vector file");
    serde_json::from_str(&text).expect("parse vector file")
}

// ---------------------------------------------------------------------------------------------
// Verification (always)
// ---------------------------------------------------------------------------------------------

#[test]
fn symmetric_blob_vectors() {
    let file: BlobFile = read_json(SYMMETRIC_FILE);
    assert!(file.cases.iter().filter(|c| c.valid).count() >= 5);
    assert!(file.cases.iter().filter(|c| !c.valid).count() >= 13);
    for case in &file.cases {
        let name = &case.description;
        let blob = b64().decode(&case.blob).expect("blob base64");
        let material = from_hex(&case.material);
        assert_eq!(material.len(), 32, "{name}: material length");
        let context = case.encryption_context.to_context();
        let canonical = canonical_context(&context).expect("canonical context");
        assert_eq!(to_hex(&canonical), case.canonical_context, "{name}: canonical context");
        let outcome = parse_header(&blob)
            .and_then(|header| open(&header, &material, &canonical, &blob).map(|plaintext| (header, plaintext)));
        if case.valid {
            let (header, plaintext) = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(header.key_id, Uuid::parse_str(&case.key_id).expect("uuid"), "{name}: key id");
            assert_eq!(header.key_version, case.key_version, "{name}: key version");
            assert_eq!(to_hex(plaintext.expose()), case.plaintext, "{name}: plaintext");
            // The layout of docs/format.md, byte by byte.
            assert_eq!(blob.len(), plaintext.len() + OVERHEAD, "{name}: overhead");
            assert_eq!(blob[0], ciphertext::FORMAT_VERSION, "{name}: format byte");
            assert_eq!(blob[1], ciphertext::SUITE_AES_256_GCM_HKDF_SHA256, "{name}: suite byte");
            assert_eq!(&blob[2..18], header.key_id.as_bytes(), "{name}: key id bytes");
            assert_eq!(blob[18..22], case.key_version.to_be_bytes(), "{name}: version bytes");
        } else {
            match outcome {
                Ok(_) => panic!("{name}: an invalid blob opened"),
                Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidCiphertext, "{name}: {e}"),
            }
        }
    }
}

#[test]
fn canonical_context_vectors() {
    let file: ContextFile = read_json(CONTEXT_FILE);
    assert!(file.cases.iter().any(|c| c.encryption_context.0.is_empty()));
    for case in &file.cases {
        let name = &case.description;
        let context = case.encryption_context.to_context();
        let expected = from_hex(&case.canonical_context);
        assert_eq!(canonical_context(&context).expect("canonical context"), expected, "{name}");
        assert_eq!(parse_canonical_context(&expected).expect("parse"), context, "{name}: parse back");
    }
}

#[test]
fn vectors_readme_is_present() {
    ensure_files();
    assert!(dir().join("README.md").exists());
}
