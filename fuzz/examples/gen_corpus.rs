//! Writes the seed corpora `fuzz/corpus/<target>/seed-*`: valid blobs, contexts and messages
//! (sealed with the fixed seed keys of the harnesses) and hand-encoded inputs for the
//! template-driven targets. `make fuzz-corpus` runs it; the output is deterministic in shape
//! (the random parts are nonces and salts).
//!
//! Usage: `cargo run --example gen_corpus -- <corpus dir>`

use std::fs;
use std::path::{Path, PathBuf};

use keystead_core::crypto::ciphertext;
use keystead_core::envelope;
use keystead_core::{canonical_context, EncryptionAlgorithm, EncryptionContext};
use keystead_fuzz::blob::{SEED_CONTEXT, SEED_MATERIAL};
use keystead_fuzz::envelope_header::SEED_DATA_KEY;

fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn write(dir: &Path, target: &str, seeds: &[Vec<u8>]) {
    let folder = dir.join(target);
    fs::create_dir_all(&folder).expect("create corpus folder");
    for old in fs::read_dir(&folder).expect("read corpus folder").flatten() {
        if old.file_name().to_string_lossy().starts_with("seed-") {
            fs::remove_file(old.path()).expect("remove old seed");
        }
    }
    for (i, seed) in seeds.iter().enumerate() {
        fs::write(folder.join(format!("seed-{i:03}")), seed).expect("write seed");
    }
    println!("{target}: {} seeds", seeds.len());
}

fn blobs() -> Vec<Vec<u8>> {
    let id = uuid_bytes();
    let mut out = Vec::new();
    for (i, len) in [0usize, 1, 16, 100, 4096].into_iter().enumerate() {
        let plaintext: Vec<u8> = (0..len).map(|b| b as u8).collect();
        let context = if i % 2 == 0 { SEED_CONTEXT } else { b"\x00\x00".as_slice() };
        out.push(ciphertext::seal(id, i as u32 + 1, &SEED_MATERIAL, context, &plaintext).expect("seal"));
    }
    let mut wrong_version = out[2].clone();
    wrong_version[0] = 0x02;
    out.push(wrong_version);
    out.push(out[2][..53].to_vec());
    out
}

fn uuid_bytes() -> uuid::Uuid {
    uuid::Uuid::from_bytes(*b"keystead-fuzz-id")
}

fn contexts() -> Vec<Vec<u8>> {
    let maps = [
        EncryptionContext::new(),
        context(&[("tenant", "42")]),
        context(&[("a", "1"), ("b", "2"), ("ünïcode", "✓")]),
        context(&[("", ""), ("k", &"v".repeat(300))]),
    ];
    let mut out = Vec::new();
    for map in &maps {
        let mut seed = vec![0u8];
        seed.extend(canonical_context(map).expect("encode"));
        out.push(seed);
    }
    // Mode 1: pairs as (u8 len, key, u16 len, value).
    let mut pairs = vec![1u8];
    for (k, v) in [("tenant", "42"), ("b", "2"), ("a", "1"), ("tenant", "43")] {
        pairs.push(k.len() as u8);
        pairs.extend_from_slice(k.as_bytes());
        pairs.extend_from_slice(&(v.len() as u16).to_be_bytes());
        pairs.extend_from_slice(v.as_bytes());
    }
    out.push(pairs);
    out
}

fn messages() -> Vec<Vec<u8>> {
    let edks = blobs();
    let cases: [(usize, usize, &[usize], EncryptionContext); 6] = [
        (0, 16, &[0], EncryptionContext::new()),
        (1, 16, &[1], context(&[("tenant", "42")])),
        (17, 16, &[0, 2], EncryptionContext::new()),
        (100, 16, &[3], context(&[("a", "1"), ("b", "2")])),
        (333, 64, &[0, 1, 2], context(&[("tenant", "42")])),
        (1000, 1000, &[1], EncryptionContext::new()),
    ];
    cases
        .iter()
        .map(|(len, segment, keys, ctx)| {
            let plaintext: Vec<u8> = (0..*len).map(|b| (b * 7) as u8).collect();
            let keys: Vec<Vec<u8>> = keys.iter().map(|k| edks[*k].clone()).collect();
            envelope::seal_with_data_key(&SEED_DATA_KEY, &keys, ctx, *segment, &plaintext).expect("seal")
        })
        .collect()
}

fn decrypt_seeds() -> Vec<Vec<u8>> {
    let rsa256 = EncryptionAlgorithm::ALL.iter().position(|a| *a == EncryptionAlgorithm::RsaesOaepSha256).unwrap_or(0);
    let rsa1 = EncryptionAlgorithm::ALL.iter().position(|a| *a == EncryptionAlgorithm::RsaesOaepSha1).unwrap_or(0);
    let mut out = Vec::new();
    // mode 0 (template), template t, context 0 (its own), key-id choice, algorithm 0 (none), 0 edits.
    for t in 0..7u8 {
        out.push(vec![0, t, 0, 0, 0, 0]);
        out.push(vec![0, t, 0, 3, 0, 0]);
    }
    out.push(vec![0, 0, 0, 5, 0, 0]); // alias
    out.push(vec![0, 1, 0, 6, 0, 0]); // alias ARN
    out.push(vec![0, 7, 0, 3, rsa256 as u8 + 1, 0]);
    out.push(vec![0, 8, 0, 4, rsa1 as u8 + 1, 0]);
    out.push(vec![0, 2, 3, 0, 0, 0, 0, 1, b'x']); // context changed
    out.push(vec![0, 2, 0, 0, 0, 1, 0, 0, 40, 1]); // one bit flipped
    out.push(vec![2, 0, 0, 0, 0, 0, 2, 0, 20]); // header of a real key, 20 bytes
    out
}

fn c_abi_seeds() -> Vec<Vec<u8>> {
    // Each op: op byte, err-out byte, then its arguments (see `c_abi::Session::step`).
    let open = [0u8, 1, 0, 1];
    let quick_key = |spec: u8| -> Vec<u8> {
        match spec {
            2 => vec![34, 1, 1, 2, 1, 1, 1],
            s => vec![34, 1, 1, s, 1, 1],
        }
    };
    let context = [38u8, 1, 1, 1, 0, 1, 0];
    let encrypt = |data: &[u8]| -> Vec<u8> {
        let mut op = vec![11u8, 1, 1, 4, 0, 0];
        op.extend_from_slice(&(data.len() as u16).to_be_bytes());
        op.extend_from_slice(data);
        op.extend_from_slice(&[1, 1, 0, 1]);
        op
    };
    let decrypt = [12u8, 1, 1, 5, 0, 1, 0, 0, 1, 1];
    let mut seeds = Vec::new();

    let mut s = open.to_vec();
    s.extend(quick_key(0));
    s.extend(context);
    s.extend(encrypt(b"secret"));
    s.extend(decrypt);
    s.extend([30, 1, 1, 0, 64, 1, 1]); // bytes_copy of the ciphertext into 64 bytes
    s.extend([30, 1, 1, 0, 4, 1, 1]); // too small
    seeds.push(s);

    let mut s = open.to_vec();
    s.extend(quick_key(0));
    s.extend([17, 1, 1, 4, 0, 0, 0, 5, b'h', b'e', b'l', b'l', b'o', 0, 0, 1, 3, 1]); // envelope_seal
    s.extend([18, 1, 1, 5, 0, 0, 0, 8, 1]); // envelope_open
    seeds.push(s);

    let mut s = open.to_vec();
    s.extend(quick_key(1));
    s.extend([26, 1, 1, 4, 0, 0, 0, 3, b'm', b's', b'g', 1, 0, 0, 1, 0, 0, 0]); // generate_mac
    s.extend([26, 1, 1, 4, 0, 0, 0, 3, b'm', b's', b'g', 1, 0, 1, 1, 5, 0]); // verify_mac
    seeds.push(s);

    let mut s = open.to_vec();
    s.extend(quick_key(2));
    s.extend([25, 1, 1, 4, 0, 0, 0, 5, b'h', b'e', b'l', b'l', b'o', 0, 1, 0, 0, 1, 0, 0, 0]); // sign
    s.extend([25, 1, 1, 4, 0, 0, 0, 5, b'h', b'e', b'l', b'l', b'o', 0, 1, 0, 1, 1, 5, 0]); // verify
    s.extend([27, 1, 1, 4, 0, 0, 1, 1, 0, 0, 0, 1, 0]); // get_public_key
    seeds.push(s);

    let mut s = open.to_vec();
    s.extend(quick_key(0));
    s.extend([14, 1, 1, 4, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1]); // generate_data_key AES_256
    s.extend([15, 1, 1, 1, 0, 32, 1]); // generate_random 32
    s.extend([23, 1, 1, 1, 0, 4, 0, 0]); // create_alias alias/fuzz -> key
    s.extend([21, 1, 1, 1, 0, 1, 1]); // disable via alias
    s.extend([21, 1, 1, 4, 0, 0, 1]); // enable
    s.extend([21, 1, 1, 4, 0, 5, 1]); // rotate on demand
    s.extend([24, 1, 1, 4, 0, 3, 1, 0, 10]); // list rotations
    s.extend([21, 1, 1, 4, 0, 2, 1, 7]); // schedule deletion 7 days
    s.extend([21, 1, 1, 4, 0, 3, 1]); // cancel
    s.extend([19, 1, 1, 4, 0, 1]); // describe
    s.extend([20, 1, 1, 0, 0, 0, 0, 1]); // list keys
    seeds.push(s);

    // NULLs everywhere: every op with zero arguments.
    seeds.push((0..40u8).flat_map(|op| [op, 1]).collect());
    seeds.push(vec![31, 1, 0, 0, 0, 4]);
    seeds
}

fn policy_seeds() -> Vec<Vec<u8>> {
    let texts = [
        keystead_core::policy::document::default_key_policy("aws", "111122223333"),
        r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"Use","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/checkout"},
   "Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*",
   "Condition":{"StringEquals":{"kms:EncryptionContext:tenant":"42"}}},
  {"Sid":"NoOthers","Effect":"Deny","Principal":"*","NotAction":"kms:Describe*","Resource":"*",
   "Condition":{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}}]}"#
            .to_string(),
        r#"{"Version":"2012-10-17","Id":"p","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:user/*"]},"Action":"kms:*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/a*"},"Bool":{"kms:GrantIsForAWSResource":"true"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"ForAnyValue:StringLike":{"kms:EncryptionContextKeys":"ten*"}}}}"#
            .to_string(),
    ];
    let mut seeds = Vec::new();
    for text in &texts {
        // principal 0, action 1 (Decrypt), resource default, one condition (tenant = "42").
        let mut seed = vec![0u8, 1, 1, 1, 0, 2, 2, b'4', b'2'];
        seed.extend_from_slice(text.as_bytes());
        seeds.push(seed);
        let mut seed = vec![1u8, 0, 1, 0];
        seed.extend_from_slice(text.as_bytes());
        seeds.push(seed);
    }
    seeds
}

/// The `kms_json` seeds: for every operation of the server, the body boto3 sends (members in
/// PascalCase, blobs in base64), with `${NAME}` placeholders for the fixture values; then
/// operations Keystead does not offer, unknown targets and malformed bodies.
fn kms_json_seeds() -> Vec<Vec<u8>> {
    const CTX: &str = r#"{"purpose":"fuzz"}"#;
    let calls: Vec<(&str, String)> = vec![
        ("CancelKeyDeletion", r#"{"KeyId":"${PENDING}"}"#.into()),
        ("CreateAlias", r#"{"AliasName":"alias/fuzz-new","TargetKeyId":"${KEY}"}"#.into()),
        ("CreateGrant", r#"{"KeyId":"${KEY}","GranteePrincipal":"${PRINCIPAL}","Operations":["Encrypt","Decrypt","GenerateDataKey"],"Constraints":{"EncryptionContextSubset":{"purpose":"fuzz"}},"Name":"g1"}"#.into()),
        ("CreateKey", r#"{}"#.into()),
        ("CreateKey", r#"{"Description":"d","KeyUsage":"SIGN_VERIFY","KeySpec":"ECC_NIST_P384","Tags":[{"TagKey":"k","TagValue":"v"}]}"#.into()),
        ("CreateKey", r#"{"KeySpec":"HMAC_512","KeyUsage":"GENERATE_VERIFY_MAC","Origin":"AWS_KMS","MultiRegion":false,"BypassPolicyLockoutSafetyCheck":false}"#.into()),
        ("CreateKey", r#"{"Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"}"#.into()),
        ("Decrypt", format!(r#"{{"CiphertextBlob":"${{BLOB}}","EncryptionContext":{CTX}}}"#)),
        ("Decrypt", format!(r#"{{"CiphertextBlob":"${{BLOB}}","EncryptionContext":{CTX},"KeyId":"${{ALIAS}}","EncryptionAlgorithm":"SYMMETRIC_DEFAULT","GrantTokens":["${{GRANT_TOKEN}}"],"DryRun":false}}"#)),
        ("Decrypt", r#"{"CiphertextBlob":"${RSA_BLOB}","KeyId":"${RSA}","EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}"#.into()),
        ("DeleteAlias", r#"{"AliasName":"${ALIAS}"}"#.into()),
        ("DeleteImportedKeyMaterial", r#"{"KeyId":"${EXTERNAL}"}"#.into()),
        ("DeriveSharedSecret", r#"{"KeyId":"${AGREE}","KeyAgreementAlgorithm":"ECDH","PublicKey":"${PEER_KEY}"}"#.into()),
        ("DescribeKey", r#"{"KeyId":"${KEY_ARN}"}"#.into()),
        ("DescribeKey", r#"{"KeyId":"${ALIAS}","GrantTokens":[]}"#.into()),
        ("DisableKey", r#"{"KeyId":"${KEY}"}"#.into()),
        ("DisableKeyRotation", r#"{"KeyId":"${KEY}"}"#.into()),
        ("EnableKey", r#"{"KeyId":"${DISABLED}"}"#.into()),
        ("EnableKeyRotation", r#"{"KeyId":"${KEY}","RotationPeriodInDays":90}"#.into()),
        ("Encrypt", format!(r#"{{"KeyId":"${{KEY}}","Plaintext":"aGVsbG8=","EncryptionContext":{CTX}}}"#)),
        ("Encrypt", r#"{"KeyId":"${RSA}","Plaintext":"${MESSAGE}","EncryptionAlgorithm":"RSAES_OAEP_SHA_1"}"#.into()),
        ("GenerateDataKey", format!(r#"{{"KeyId":"${{KEY}}","KeySpec":"AES_256","EncryptionContext":{CTX}}}"#)),
        ("GenerateDataKey", r#"{"KeyId":"${ALIAS}","NumberOfBytes":64}"#.into()),
        ("GenerateDataKeyPair", r#"{"KeyId":"${KEY}","KeyPairSpec":"ECC_NIST_P256"}"#.into()),
        ("GenerateDataKeyPairWithoutPlaintext", r#"{"KeyId":"${KEY}","KeyPairSpec":"ECC_SECG_P256K1","EncryptionContext":{"a":"b"}}"#.into()),
        ("GenerateDataKeyWithoutPlaintext", r#"{"KeyId":"${KEY}","KeySpec":"AES_128"}"#.into()),
        ("GenerateMac", r#"{"KeyId":"${HMAC}","Message":"${MESSAGE}","MacAlgorithm":"HMAC_SHA_256"}"#.into()),
        ("GenerateRandom", r#"{"NumberOfBytes":32}"#.into()),
        ("GetKeyPolicy", r#"{"KeyId":"${KEY}","PolicyName":"default"}"#.into()),
        ("GetKeyRotationStatus", r#"{"KeyId":"${KEY}"}"#.into()),
        ("GetParametersForImport", r#"{"KeyId":"${EXTERNAL}","WrappingAlgorithm":"RSA_AES_KEY_WRAP_SHA_256","WrappingKeySpec":"RSA_2048"}"#.into()),
        ("GetPublicKey", r#"{"KeyId":"${SIGN}"}"#.into()),
        ("ImportKeyMaterial", r#"{"KeyId":"${EXTERNAL}","ImportToken":"${TOKEN}","EncryptedKeyMaterial":"${MATERIAL}","ExpirationModel":"KEY_MATERIAL_DOES_NOT_EXPIRE"}"#.into()),
        ("ImportKeyMaterial", r#"{"KeyId":"${EXTERNAL}","ImportToken":"${TOKEN}","EncryptedKeyMaterial":"${MATERIAL}","ExpirationModel":"KEY_MATERIAL_EXPIRES","ValidTo":4102444800.5}"#.into()),
        ("ListAliases", r#"{"KeyId":"${KEY}","Limit":10}"#.into()),
        ("ListGrants", r#"{"KeyId":"${KEY}","GrantId":"${GRANT_ID}","Limit":1}"#.into()),
        ("ListKeyPolicies", r#"{"KeyId":"${KEY}","Limit":100}"#.into()),
        ("ListKeyRotations", r#"{"KeyId":"${KEY}","IncludeKeyMaterial":"ALL_KEY_MATERIAL"}"#.into()),
        ("ListKeys", r#"{"Limit":2}"#.into()),
        ("ListKeys", r#"{"Limit":1,"Marker":"x"}"#.into()),
        ("ListResourceTags", r#"{"KeyId":"${KEY}"}"#.into()),
        ("ListRetirableGrants", r#"{"RetiringPrincipal":"${PRINCIPAL}"}"#.into()),
        ("PutKeyPolicy", r#"{"KeyId":"${KEY}","PolicyName":"default","Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"all\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"${PRINCIPAL}\"},\"Action\":\"kms:*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"kms:EncryptionContext:purpose\":\"fuzz\"}}}]}","BypassPolicyLockoutSafetyCheck":true}"#.into()),
        ("ReEncrypt", format!(r#"{{"CiphertextBlob":"${{BLOB}}","SourceEncryptionContext":{CTX},"DestinationKeyId":"${{RSA}}","DestinationEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}"#)),
        ("RetireGrant", r#"{"KeyId":"${KEY_ARN}","GrantId":"${GRANT_ID}"}"#.into()),
        ("RetireGrant", r#"{"GrantToken":"${GRANT_TOKEN}"}"#.into()),
        ("RevokeGrant", r#"{"KeyId":"${KEY}","GrantId":"${GRANT_ID}","DryRun":true}"#.into()),
        ("RotateKeyOnDemand", r#"{"KeyId":"${KEY}"}"#.into()),
        ("ScheduleKeyDeletion", r#"{"KeyId":"${DISABLED}","PendingWindowInDays":30}"#.into()),
        ("Sign", r#"{"KeyId":"${SIGN}","Message":"${MESSAGE}","MessageType":"RAW","SigningAlgorithm":"ECDSA_SHA_256"}"#.into()),
        ("TagResource", r#"{"KeyId":"${KEY}","Tags":[{"TagKey":"env","TagValue":"fuzz"}]}"#.into()),
        ("UntagResource", r#"{"KeyId":"${KEY}","TagKeys":["env"]}"#.into()),
        ("UpdateAlias", r#"{"AliasName":"${ALIAS}","TargetKeyId":"${DISABLED}"}"#.into()),
        ("UpdateKeyDescription", r#"{"KeyId":"${KEY}","Description":"new"}"#.into()),
        ("Verify", r#"{"KeyId":"${SIGN}","Message":"${MESSAGE}","MessageType":"RAW","Signature":"${SIGNATURE}","SigningAlgorithm":"ECDSA_SHA_256"}"#.into()),
        ("VerifyMac", r#"{"KeyId":"${HMAC}","Message":"${MESSAGE}","Mac":"${MAC}","MacAlgorithm":"HMAC_SHA_256"}"#.into()),
        // Offered by AWS, not by Keystead; unknown; malformed bodies.
        ("ReplicateKey", r#"{"KeyId":"${KEY}","ReplicaRegion":"eu-west-1"}"#.into()),
        ("GetKeyLastUsage", r#"{"KeyId":"${KEY}"}"#.into()),
        ("NoSuchOperation", r#"{}"#.into()),
        ("Encrypt", r#"{"KeyId":5,"Plaintext":"%%%","EncryptionContext":{"a":1}}"#.into()),
        ("Decrypt", r#"[1]"#.into()),
        ("ListKeys", "  ".into()),
    ];
    let mut seeds: Vec<Vec<u8>> =
        calls.into_iter().map(|(operation, body)| format!("TrentService.{operation}\n{body}").into_bytes()).collect();
    seeds.push(b"Kms.Encrypt\n{}".to_vec());
    seeds.push(b"TrentService.Encrypt\n{\"KeyId\":\"${KEY}\",\"Plaintext\":\"aGVsbG8=\"".to_vec());
    seeds
}

fn main() {
    let dir: PathBuf = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("corpus"));
    write(&dir, "blob", &blobs());
    write(&dir, "context", &contexts());
    write(&dir, "envelope_header", &messages());
    write(&dir, "decrypt", &decrypt_seeds());
    write(
        &dir,
        "envelope_stream",
        &(0..7u8).flat_map(|t| [vec![0, t, 1, 7, 16, 200, 3, 3, 3, 3], vec![0, t]]).collect::<Vec<_>>(),
    );
    write(
        &dir,
        "open_range",
        &(0..7u8)
            .flat_map(|t| [vec![t, 0, 0, 0, 0, 10], vec![t, 5, 0, 15, 0, 40], vec![t, 0, 0, 0, 0xF8, 0]])
            .collect::<Vec<_>>(),
    );
    write(
        &dir,
        "import",
        &(0..5u8)
            .flat_map(|k| {
                [
                    vec![k, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                    vec![k, 0, 0, 3, 1, 0, 30, 1, 0, 0],
                    vec![k, 1, 0, 0, 0, 0, 0, 0, 1],
                ]
            })
            .collect::<Vec<_>>(),
    );
    write(&dir, "c_abi", &c_abi_seeds());
    write(&dir, "policy", &policy_seeds());
    write(
        &dir,
        "audit_log",
        &(0..3u8).flat_map(|t| [vec![0, t, 0], vec![0, t, 1, 0, 0, 200, b'X']]).collect::<Vec<_>>(),
    );
    write(&dir, "kms_json", &kms_json_seeds());
}
