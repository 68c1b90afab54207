//! The server over real HTTP on a loopback port: the wire format, SigV4 rejections, limits,
//! errors and graceful shutdown, with requests written byte by byte (no AWS SDK involved; the
//! SDKs are tested by server/test.sh).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{b64, error_type, Running};
use serde_json::{json, Value};

#[tokio::test]
async fn round_trip_in_aws_shapes() {
    let server = Running::start(|_| {}).await;
    let (status, head, created) = server.call("CreateKey", json!({"Description": "wire"})).await;
    assert_eq!(status, 200, "{created}");
    assert!(head.contains("content-type: application/x-amz-json-1.1"));
    assert!(head.contains("x-amzn-requestid: "));
    let meta = &created["KeyMetadata"];
    let key_id = meta["KeyId"].as_str().unwrap();
    assert_eq!(meta["Arn"], format!("arn:aws:kms:us-east-1:111122223333:key/{key_id}"));
    let created_at = meta["CreationDate"].as_f64().unwrap();
    assert!((created_at - Running::now() as f64).abs() < 60.0, "dates are epoch seconds: {created_at}");

    let opened = server.encrypt_decrypt(key_id, b"wire secret").await;
    assert_eq!(opened["KeyId"], meta["Arn"]);

    // No output members: an empty body.
    let (status, _, body) = server.call("DisableKey", json!({"KeyId": key_id})).await;
    assert_eq!((status, body), (200, Value::Null));
    let (status, _, body) = server.call("Encrypt", json!({"KeyId": key_id, "Plaintext": b64(b"x")})).await;
    assert_eq!((status, error_type(&body)), (409, "DisabledException"));
    let (status, _, body) = server.call("DescribeKey", json!({"KeyId": "alias/none"})).await;
    assert_eq!((status, error_type(&body)), (404, "NotFoundException"));
    // An empty body is `{}`.
    let (status, _, listed) =
        server.call_with("ListKeys", "", &server.key_id, &server.secret, Running::now(), "us-east-1").await;
    assert_eq!(status, 200);
    assert_eq!(listed["Keys"][0]["KeyId"], key_id);
    assert_eq!(listed["Truncated"], false);
    server.stop().await;
}

#[tokio::test]
async fn signature_failures_get_aws_errors() {
    let server = Running::start(|_| {}).await;
    let now = Running::now();
    let (status, _, body) =
        server.call_with("ListKeys", "{}", &server.key_id, "wrong-secret-0123456789", now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (400, "InvalidSignatureException"));
    assert!(body["message"].as_str().unwrap().starts_with("The request signature we calculated does not match"));
    let (status, _, body) =
        server.call_with("ListKeys", "{}", "AKIAUNKNOWN000000000", &server.secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (400, "UnrecognizedClientException"));
    let (status, _, body) =
        server.call_with("ListKeys", "{}", &server.key_id, &server.secret, now - 600, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (400, "InvalidSignatureException"));
    assert!(body["message"].as_str().unwrap().starts_with("Signature expired:"), "{body}");
    let (status, _, body) =
        server.call_with("ListKeys", "{}", &server.key_id, &server.secret, now + 600, "us-east-1").await;
    assert!(body["message"].as_str().unwrap().starts_with("Signature not yet current:"), "{status} {body}");

    let unsigned = b"POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: TrentService.ListKeys\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
    let (status, _, body) = server.raw(unsigned).await;
    assert_eq!((status, error_type(&body)), (400, "MissingAuthenticationTokenException"));
    let garbled = b"POST / HTTP/1.1\r\nhost: x\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIA/x\r\nx-amz-date: 20250101T000000Z\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let (status, _, body) = server.raw(garbled).await;
    assert_eq!((status, error_type(&body)), (400, "IncompleteSignatureException"));
    server.stop().await;
}

#[tokio::test]
async fn bad_input_gets_serialization_and_validation_errors() {
    let server = Running::start(|_| {}).await;
    let now = Running::now();
    let call = |op: &'static str, body: &'static str| {
        let server = &server;
        async move { server.call_with(op, body, &server.key_id, &server.secret, now, "us-east-1").await }
    };
    let (status, _, body) = call("DescribeKey", "{not json").await;
    assert_eq!((status, error_type(&body)), (400, "SerializationException"));
    let (status, _, body) = call("DescribeKey", "[]").await;
    assert_eq!((status, error_type(&body)), (400, "SerializationException"));
    let (status, _, body) = call("DescribeKey", r#"{"KeyId": 7}"#).await;
    assert_eq!((status, error_type(&body)), (400, "SerializationException"));
    let (status, _, body) = call("Encrypt", r#"{"KeyId": "alias/a", "Plaintext": "not base64!"}"#).await;
    assert_eq!((status, error_type(&body)), (400, "SerializationException"));
    let (status, _, body) = call("DescribeKey", "{}").await;
    assert_eq!((status, error_type(&body)), (400, "ValidationException"));
    assert!(body["message"].as_str().unwrap().contains("'keyId'"), "{body}");
    let (status, _, body) = call("CreateKey", r#"{"KeySpec": "RSA_1024"}"#).await;
    assert_eq!((status, error_type(&body)), (400, "ValidationException"));
    let (status, _, body) = call("FrobnicateKey", "{}").await;
    assert_eq!((status, error_type(&body)), (400, "UnknownOperationException"));
    let (status, _, body) = call("CreateCustomKeyStore", "{}").await;
    assert_eq!((status, error_type(&body)), (400, "UnsupportedOperationException"));
    let (status, _, key) = call("CreateKey", "{}").await;
    assert_eq!(status, 200);
    let dry = json!({"KeyId": key["KeyMetadata"]["KeyId"], "Plaintext": b64(b"x"), "DryRun": true}).to_string();
    let (status, _, body) = server.call_with("Encrypt", &dry, &server.key_id, &server.secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (412, "DryRunOperationException"));
    server.stop().await;
}

#[tokio::test]
async fn limits_routes_and_health() {
    let server = Running::start(|c| {
        c.max_body_bytes = 2048;
        c.request_timeout = Duration::from_millis(500);
    })
    .await;
    let big = json!({"Description": "x".repeat(4000)}).to_string();
    let (status, _, body) =
        server.call_with("CreateKey", &big, &server.key_id, &server.secret, Running::now(), "us-east-1").await;
    assert_eq!((status, error_type(&body)), (413, "RequestEntityTooLargeException"));

    let (status, _, body) = server.raw(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
    assert_eq!((status, body["Status"].as_str()), (200, Some("ok")));
    assert_eq!(body["Region"], "us-east-1");
    let (status, _, body) = server.raw(b"GET /keys HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
    assert_eq!((status, error_type(&body)), (404, "UnknownOperationException"));

    // A body that never arrives runs into the request timeout.
    let started = std::time::Instant::now();
    let (status, _, body) = server
        .raw(b"POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: TrentService.ListKeys\r\ncontent-length: 100\r\n\r\n{")
        .await;
    assert_eq!((status, error_type(&body)), (503, "DependencyTimeoutException"));
    assert!(started.elapsed() < Duration::from_secs(5));
    server.stop().await;
}

#[tokio::test]
async fn the_credential_scope_region_selects_the_partition() {
    let server = Running::start(|_| {}).await;
    let now = Running::now();
    let (status, _, west) = server.call_with("CreateKey", "{}", &server.key_id, &server.secret, now, "eu-west-1").await;
    assert_eq!(status, 200, "{west}");
    let arn = west["KeyMetadata"]["Arn"].as_str().unwrap();
    assert!(arn.starts_with("arn:aws:kms:eu-west-1:111122223333:key/"), "{arn}");
    let describe = json!({"KeyId": west["KeyMetadata"]["KeyId"]}).to_string();
    let (status, _, _) =
        server.call_with("DescribeKey", &describe, &server.key_id, &server.secret, now, "eu-west-1").await;
    assert_eq!(status, 200);
    let (status, _, body) =
        server.call_with("DescribeKey", &describe, &server.key_id, &server.secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (404, "NotFoundException"));
    let (status, _, body) =
        server.call_with("ListKeys", "{}", &server.key_id, &server.secret, now, "Not_A_Region").await;
    assert_eq!((status, error_type(&body)), (400, "ValidationException"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn each_access_key_acts_as_its_principal() {
    let server = Running::start(|_| {}).await;
    let outsider = server.store.create_access_key("arn:aws:iam::444455556666:user/outsider").unwrap();
    let outsider_secret = String::from_utf8(outsider.secret_access_key.expose().to_vec()).unwrap();
    let (_, _, created) = server.call("CreateKey", json!({})).await;
    let arn = created["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    let now = Running::now();
    let encrypt = json!({"KeyId": arn, "Plaintext": b64(b"x")}).to_string();
    let (status, _, body) =
        server.call_with("Encrypt", &encrypt, &outsider.access_key_id, &outsider_secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (403, "AccessDeniedException"), "{body}");

    let grant = json!({"KeyId": arn, "GranteePrincipal": "arn:aws:iam::444455556666:user/outsider",
                       "Operations": ["Encrypt"]});
    let (status, _, granted) = server.call("CreateGrant", grant).await;
    assert_eq!(status, 200, "{granted}");
    assert!(granted["GrantId"].as_str().is_some_and(|id| !id.is_empty()));
    let (status, _, sealed) =
        server.call_with("Encrypt", &encrypt, &outsider.access_key_id, &outsider_secret, now, "us-east-1").await;
    assert_eq!(status, 200, "{sealed}");
    // The grant allows Encrypt only.
    let decrypt = json!({"CiphertextBlob": sealed["CiphertextBlob"]}).to_string();
    let (status, _, body) =
        server.call_with("Decrypt", &decrypt, &outsider.access_key_id, &outsider_secret, now, "us-east-1").await;
    assert_eq!((status, error_type(&body)), (403, "AccessDeniedException"), "{body}");
    let (status, _, body) = server.call("Decrypt", json!({"CiphertextBlob": sealed["CiphertextBlob"]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Plaintext"], b64(b"x"));
    server.stop().await;
}

#[tokio::test]
async fn import_2025_members_and_get_public_key_grant_tokens_reach_the_core() {
    let server = Running::start(|_| {}).await;
    let (status, _, created) = server.call("CreateKey", json!({"Origin": "EXTERNAL"})).await;
    assert_eq!(status, 200, "{created}");
    let external = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let (_, _, params) = server
        .call(
            "GetParametersForImport",
            json!({"KeyId": external, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
        )
        .await;
    let token = params["ImportToken"].as_str().unwrap();
    // Each new member is read and checked by the core (before the material is unwrapped).
    for (member, value, expected) in [
        ("ImportType", "SOMETIMES", "ValidationException"),
        ("KeyMaterialDescription", "semi;colon", "ValidationException"),
        ("KeyMaterialId", "ABC", "ValidationException"),
    ] {
        let mut request = json!({"KeyId": external, "ImportToken": token, "EncryptedKeyMaterial": b64(&[1u8; 256]),
                                 "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"});
        request[member] = json!(value);
        let (status, _, body) = server.call("ImportKeyMaterial", request).await;
        assert_eq!((status, error_type(&body)), (400, expected), "{member}: {body}");
    }
    let (status, _, body) =
        server.call("DeleteImportedKeyMaterial", json!({"KeyId": external, "KeyMaterialId": "f".repeat(64)})).await;
    assert_eq!((status, error_type(&body)), (404, "NotFoundException"), "{body}");

    let (_, _, signing) =
        server.call("CreateKey", json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})).await;
    let signing = signing["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let (status, _, body) =
        server.call("GetPublicKey", json!({"KeyId": signing, "GrantTokens": ["not a token"]})).await;
    assert_eq!(error_type(&body), "InvalidGrantTokenException", "{status} {body}");
    let (status, _, body) = server.call("GetPublicKey", json!({"KeyId": signing, "GrantTokens": []})).await;
    assert_eq!((status, body["KeySpec"].as_str()), (200, Some("ECC_NIST_P256")));
    server.stop().await;
}
