//! Principals, key policies, grants, DryRun and `explain`, through the public API: who may do
//! what, the errors AWS gives, and that every change takes effect on the very next call.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::collections::BTreeMap;

use keystead_core::{
    CreateGrantRequest, CreateKeyRequest, DecryptRequest, EncryptRequest, EncryptionContext, ErrorKind,
    GenerateDataKeyRequest, GrantConstraints, GrantOperation, GrantRef, KeySpec, KeyUsage, Keystead, SignRequest,
    SigningAlgorithm,
};

const ACCOUNT: &str = "111122223333";
const CHECKOUT: &str = "arn:aws:iam::111122223333:role/checkout";
const ANALYTICS: &str = "arn:aws:iam::111122223333:role/analytics";
const ADMIN: &str = "arn:aws:iam::111122223333:user/admin";
const OUTSIDER: &str = "arn:aws:iam::444455556666:role/intruder";

fn store() -> Keystead {
    Keystead::builder().open_in_memory().unwrap()
}

fn kind<T: std::fmt::Debug>(result: keystead_core::Result<T>) -> ErrorKind {
    result.expect_err("expected an error").kind()
}

fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn encrypt(store: &Keystead, key_id: &str, context: Option<&EncryptionContext>) -> keystead_core::Result<Vec<u8>> {
    store
        .encrypt(EncryptRequest { key_id, plaintext: b"card 4111", encryption_context: context, ..Default::default() })
        .map(|r| r.ciphertext_blob)
}

fn decrypt(store: &Keystead, blob: &[u8], context: Option<&EncryptionContext>) -> keystead_core::Result<Vec<u8>> {
    store
        .decrypt(DecryptRequest { ciphertext_blob: blob, encryption_context: context, ..Default::default() })
        .map(|r| r.plaintext.expose().to_vec())
}

/// A policy: the admin user administers the key, checkout may Encrypt/Decrypt only with
/// `purpose=orders` in the encryption context.
fn policy_for(admin: &str) -> String {
    format!(
        r#"{{
  "Version": "2012-10-17",
  "Statement": [
    {{"Sid": "Admin", "Effect": "Allow", "Principal": {{"AWS": "{admin}"}}, "Action": "kms:*", "Resource": "*"}},
    {{"Sid": "CheckoutUse", "Effect": "Allow", "Principal": {{"AWS": "{CHECKOUT}"}},
      "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
      "Condition": {{"StringEquals": {{"kms:EncryptionContext:purpose": "orders"}}}}}}
  ]
}}"#
    )
}

#[test]
fn the_default_policy_lets_every_principal_of_the_account_in_and_nobody_else() {
    let store = store();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    assert_eq!(store.principal().arn(), "arn:aws:iam::111122223333:root");
    let checkout = store.as_principal(CHECKOUT).unwrap();
    let blob = encrypt(&checkout, &key, None).unwrap();
    assert_eq!(decrypt(&store, &blob, None).unwrap(), b"card 4111");

    let outsider = store.as_principal(OUTSIDER).unwrap();
    let err = encrypt(&outsider, &key, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    assert!(err.message().contains("kms:Encrypt"), "{}", err.message());
    assert!(err.message().contains(&key), "the error names the key: {}", err.message());
    assert!(err.message().contains(OUTSIDER), "{}", err.message());
    assert_eq!(kind(decrypt(&outsider, &blob, None)), ErrorKind::AccessDenied);
    assert_eq!(kind(outsider.describe_key(&key)), ErrorKind::AccessDenied);
    assert_eq!(kind(outsider.create_key(CreateKeyRequest::default())), ErrorKind::AccessDenied);
    assert_eq!(kind(outsider.list_keys(None, None)), ErrorKind::AccessDenied);
    assert_eq!(kind(outsider.generate_random(16)), ErrorKind::AccessDenied);
    // An unknown key is still NotFound, not AccessDenied.
    assert_eq!(kind(outsider.describe_key("00000000-0000-4000-8000-000000000000")), ErrorKind::NotFound);
}

#[test]
fn get_and_list_key_policies_show_the_default_then_the_new_policy() {
    let store = store();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let default: serde_json::Value = serde_json::from_str(&store.get_key_policy(&key, None).unwrap()).unwrap();
    assert_eq!(default["Version"], "2012-10-17");
    assert_eq!(default["Id"], "key-default-1");
    assert_eq!(default["Statement"][0]["Sid"], "Enable IAM User Permissions");
    assert_eq!(default["Statement"][0]["Principal"]["AWS"], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(store.list_key_policies(&key).unwrap(), ["default"]);

    let admin = store.as_principal(ADMIN).unwrap();
    admin.put_key_policy(&key, &policy_for(ADMIN), None, false).unwrap();
    assert_eq!(admin.get_key_policy(&key, Some("default")).unwrap(), policy_for(ADMIN));
    assert_eq!(kind(admin.get_key_policy(&key, Some("other"))), ErrorKind::NotFound);
    // The account principal is no longer named, so it has lost access.
    assert_eq!(kind(store.get_key_policy(&key, None)), ErrorKind::AccessDenied);
}

#[test]
fn policy_conditions_on_the_encryption_context_decide_each_call() {
    let store = store();
    let admin = store.as_principal(ADMIN).unwrap();
    let key =
        admin.create_key(CreateKeyRequest { policy: Some(policy_for(ADMIN)), ..Default::default() }).unwrap().key_id;
    let checkout = store.as_principal(CHECKOUT).unwrap();
    let orders = ctx(&[("purpose", "orders"), ("order", "42")]);
    let blob = encrypt(&checkout, &key, Some(&orders)).unwrap();
    assert_eq!(decrypt(&checkout, &blob, Some(&orders)).unwrap(), b"card 4111");
    assert_eq!(kind(encrypt(&checkout, &key, Some(&ctx(&[("purpose", "refunds")])))), ErrorKind::AccessDenied);
    assert_eq!(kind(encrypt(&checkout, &key, None)), ErrorKind::AccessDenied);
    // Checkout may not do anything else.
    assert_eq!(kind(checkout.describe_key(&key)), ErrorKind::AccessDenied);
    assert_eq!(kind(checkout.disable_key(&key)), ErrorKind::AccessDenied);
    // Another role of the same account is not named at all.
    let analytics = store.as_principal(ANALYTICS).unwrap();
    assert_eq!(kind(decrypt(&analytics, &blob, Some(&orders))), ErrorKind::AccessDenied);
    // An assumed-role session of checkout counts as checkout.
    let session = store.as_principal("arn:aws:sts::111122223333:assumed-role/checkout/pod-7").unwrap();
    assert_eq!(decrypt(&session, &blob, Some(&orders)).unwrap(), b"card 4111");
}

#[test]
fn an_explicit_deny_wins_and_authorization_comes_before_the_key_state() {
    let store = store();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let deny = format!(
        r#"{{"Version": "2012-10-17", "Statement": [
            {{"Sid": "All", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{ACCOUNT}:root"}}, "Action": "kms:*", "Resource": "*"}},
            {{"Sid": "NoDecryptForAnalytics", "Effect": "Deny", "Principal": {{"AWS": "{ANALYTICS}"}}, "Action": "kms:Decrypt", "Resource": "*"}}
        ]}}"#
    );
    store.put_key_policy(&key, &deny, None, false).unwrap();
    let blob = encrypt(&store, &key, None).unwrap();
    let analytics = store.as_principal(ANALYTICS).unwrap();
    let err = decrypt(&analytics, &blob, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    assert!(err.message().contains("explicit deny"), "{}", err.message());
    // A grant cannot override an explicit deny.
    store
        .create_grant(CreateGrantRequest {
            key_id: &key,
            grantee_principal: ANALYTICS,
            operations: &[GrantOperation::Decrypt],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(kind(decrypt(&analytics, &blob, None)), ErrorKind::AccessDenied);
    // Analytics may still encrypt; once the key is disabled it gets the state error...
    encrypt(&analytics, &key, None).unwrap();
    store.disable_key(&key).unwrap();
    assert_eq!(kind(encrypt(&analytics, &key, None)), ErrorKind::Disabled);
    // ...but a denied call is AccessDenied whatever the state.
    assert_eq!(kind(decrypt(&analytics, &blob, None)), ErrorKind::AccessDenied);
}

#[test]
fn the_lockout_safety_check_refuses_a_policy_that_locks_the_caller_out_unless_bypassed() {
    let store = store();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let admin = store.as_principal(ADMIN).unwrap();
    // ADMIN puts a policy that only lets CHECKOUT encrypt: ADMIN could never change it again.
    let locked = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "{CHECKOUT}"}}, "Action": "kms:Encrypt", "Resource": "*"}}]}}"#
    );
    let err = admin.put_key_policy(&key, &locked, None, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedPolicyDocument);
    assert!(err.message().contains("will not allow you to update the key policy"), "{}", err.message());
    // Nothing changed.
    assert_eq!(admin.list_key_policies(&key).unwrap(), ["default"]);
    encrypt(&admin, &key, None).unwrap();
    assert_eq!(
        kind(admin.create_key(CreateKeyRequest { policy: Some(locked.clone()), ..Default::default() })),
        ErrorKind::MalformedPolicyDocument
    );
    admin.put_key_policy(&key, &locked, None, true).unwrap();
    assert_eq!(kind(encrypt(&admin, &key, None)), ErrorKind::AccessDenied);
    assert_eq!(kind(admin.put_key_policy(&key, &policy_for(ADMIN), None, false)), ErrorKind::AccessDenied);
    encrypt(&store.as_principal(CHECKOUT).unwrap(), &key, None).unwrap();
}

#[test]
fn malformed_policies_change_nothing() {
    let store = store();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    for bad in [
        "",
        "not json",
        r#"{"Version": "2012-10-17"}"#,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}"#,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringSort": {"kms:KeySpec": "x"}}}]}"#,
    ] {
        let err = store.put_key_policy(&key, bad, None, false).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::MalformedPolicyDocument | ErrorKind::Validation), "{bad}: {err:?}");
    }
    let huge = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{}", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}}]}}"#,
        "x".repeat(33_000)
    );
    assert!(store.put_key_policy(&key, &huge, None, false).is_err());
    assert_eq!(
        store.get_key_policy(&key, None).unwrap(),
        keystead_core::policy::document::default_key_policy("aws", ACCOUNT)
    );
}

#[test]
fn grants_allow_at_once_honour_constraints_and_stop_at_once() {
    let store = store();
    let key = store
        .create_key(CreateKeyRequest {
            policy: Some(policy_for(ADMIN)),
            bypass_policy_lockout_safety_check: true,
            ..Default::default()
        })
        .unwrap()
        .key_id;
    let admin = store.as_principal(ADMIN).unwrap();
    let analytics = store.as_principal(ANALYTICS).unwrap();
    let reports = ctx(&[("dept", "reports"), ("month", "11")]);
    assert_eq!(kind(encrypt(&analytics, &key, Some(&reports))), ErrorKind::AccessDenied);

    let constraints = GrantConstraints {
        encryption_context_subset: Some(BTreeMap::from([("dept".to_string(), "reports".to_string())])),
        ..Default::default()
    };
    let grant = admin
        .create_grant(CreateGrantRequest {
            key_id: &key,
            grantee_principal: ANALYTICS,
            retiring_principal: Some(ADMIN),
            operations: &[GrantOperation::Encrypt, GrantOperation::Decrypt, GrantOperation::GenerateDataKey],
            constraints: Some(&constraints),
            name: Some("reports-2026"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(grant.grant_id.len(), 64);
    // Effective on the very next call, no token needed.
    let blob = encrypt(&analytics, &key, Some(&reports)).unwrap();
    assert_eq!(decrypt(&analytics, &blob, Some(&reports)).unwrap(), b"card 4111");
    analytics
        .generate_data_key(GenerateDataKeyRequest {
            key_id: &key,
            encryption_context: Some(&reports),
            number_of_bytes: Some(32),
            grant_tokens: std::slice::from_ref(&grant.grant_token),
            ..Default::default()
        })
        .unwrap();
    // Constraints: the context must contain dept=reports.
    assert_eq!(kind(encrypt(&analytics, &key, Some(&ctx(&[("dept", "sales")])))), ErrorKind::AccessDenied);
    assert_eq!(kind(encrypt(&analytics, &key, None)), ErrorKind::AccessDenied);
    // Operations not granted stay denied.
    assert_eq!(kind(analytics.describe_key(&key)), ErrorKind::AccessDenied);

    // Idempotent by name: same grant id, a fresh token.
    let again = admin
        .create_grant(CreateGrantRequest {
            key_id: &key,
            grantee_principal: ANALYTICS,
            retiring_principal: Some(ADMIN),
            operations: &[GrantOperation::Decrypt, GrantOperation::Encrypt, GrantOperation::GenerateDataKey],
            constraints: Some(&constraints),
            name: Some("reports-2026"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(again.grant_id, grant.grant_id);
    assert_ne!(again.grant_token, grant.grant_token);

    let listed = admin.list_grants(&key, None, None, None, None).unwrap();
    assert_eq!(listed.items.len(), 1);
    let entry = &listed.items[0];
    assert_eq!(entry.grantee_principal, ANALYTICS);
    assert_eq!(entry.name.as_deref(), Some("reports-2026"));
    assert_eq!(entry.operations, [GrantOperation::Decrypt, GrantOperation::Encrypt, GrantOperation::GenerateDataKey]);
    let json = serde_json::to_value(entry).unwrap();
    assert_eq!(json["Constraints"]["EncryptionContextSubset"]["dept"], "reports");
    assert_eq!(json["IssuingAccount"], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert!(json.get("GrantToken").is_none());
    assert_eq!(admin.list_retirable_grants(ADMIN, None, None).unwrap().items.len(), 1);

    // The retiring principal retires it by token; the grantee loses access on the next call.
    admin.retire_grant(GrantRef::Token(&grant.grant_token), false).unwrap();
    assert_eq!(kind(encrypt(&analytics, &key, Some(&reports))), ErrorKind::AccessDenied);
    assert!(admin.list_grants(&key, None, None, None, None).unwrap().items.is_empty());
    assert_eq!(kind(admin.retire_grant(GrantRef::Token(&grant.grant_token), false)), ErrorKind::NotFound);
}

#[test]
fn revoke_needs_permission_and_ends_a_grant_for_every_handle() {
    let dir = tempfile::tempdir().unwrap();
    let first = Keystead::open(dir.path()).unwrap();
    let second = Keystead::open(dir.path()).unwrap();
    let key = first.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let deny_outsider_grant = first.as_principal(OUTSIDER).unwrap();
    let grant = first
        .create_grant(CreateGrantRequest {
            key_id: &key,
            grantee_principal: OUTSIDER,
            operations: &[GrantOperation::Encrypt, GrantOperation::DescribeKey],
            ..Default::default()
        })
        .unwrap();
    // A cross-account grantee can use the grant, from another handle of the store.
    let outsider_elsewhere = second.as_principal(OUTSIDER).unwrap();
    encrypt(&outsider_elsewhere, &key, None).unwrap();
    outsider_elsewhere.describe_key(&key).unwrap();
    // The grantee cannot revoke (no kms:RevokeGrant) or retire (RetireGrant not granted).
    assert_eq!(kind(deny_outsider_grant.revoke_grant(&key, &grant.grant_id, false)), ErrorKind::AccessDenied);
    let key_arn = format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{key}");
    assert_eq!(
        kind(deny_outsider_grant.retire_grant(GrantRef::Id { key_id: &key_arn, grant_id: &grant.grant_id }, false)),
        ErrorKind::AccessDenied
    );
    // DryRun checks and changes nothing.
    assert_eq!(kind(second.revoke_grant(&key, &grant.grant_id, true)), ErrorKind::DryRunOperation);
    encrypt(&outsider_elsewhere, &key, None).unwrap();
    second.revoke_grant(&key, &grant.grant_id, false).unwrap();
    assert_eq!(kind(encrypt(&outsider_elsewhere, &key, None)), ErrorKind::AccessDenied);
    assert_eq!(kind(second.revoke_grant(&key, &grant.grant_id, false)), ErrorKind::NotFound);
}

#[test]
fn create_grant_validates_like_aws() {
    let store = store();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let signing = store
        .create_key(CreateKeyRequest {
            key_spec: Some(KeySpec::EccNistP256),
            key_usage: Some(KeyUsage::SignVerify),
            ..Default::default()
        })
        .unwrap()
        .key_id;
    let base = CreateGrantRequest {
        key_id: &key,
        grantee_principal: CHECKOUT,
        operations: &[GrantOperation::Encrypt],
        ..Default::default()
    };
    assert_eq!(kind(store.create_grant(CreateGrantRequest { operations: &[], ..base })), ErrorKind::Validation);
    assert_eq!(
        kind(store.create_grant(CreateGrantRequest { operations: &[GrantOperation::Sign], ..base })),
        ErrorKind::Validation
    );
    assert_eq!(
        kind(store.create_grant(CreateGrantRequest {
            key_id: &signing,
            operations: &[GrantOperation::GenerateDataKey],
            ..base
        })),
        ErrorKind::Validation
    );
    let constraints = GrantConstraints {
        encryption_context_equals: Some(BTreeMap::from([("a".to_string(), "b".to_string())])),
        ..Default::default()
    };
    assert_eq!(
        kind(store.create_grant(CreateGrantRequest {
            key_id: &signing,
            operations: &[GrantOperation::Sign],
            constraints: Some(&constraints),
            ..base
        })),
        ErrorKind::Validation
    );
    assert_eq!(
        kind(store.create_grant(CreateGrantRequest { grantee_principal: "bob", ..base })),
        ErrorKind::InvalidArn
    );
    assert_eq!(kind(store.create_grant(CreateGrantRequest { name: Some("bad name"), ..base })), ErrorKind::Validation);
    assert_eq!(
        kind(store.create_grant(CreateGrantRequest { grant_tokens: &["forged".to_string()], ..base })),
        ErrorKind::InvalidGrantToken
    );
    assert_eq!(kind(store.create_grant(CreateGrantRequest { dry_run: true, ..base })), ErrorKind::DryRunOperation);
    assert!(store.list_grants(&key, None, None, None, None).unwrap().items.is_empty());
    store.disable_key(&key).unwrap();
    assert_eq!(kind(store.create_grant(base)), ErrorKind::Disabled);
    // Sign can be granted on a signing key, and used.
    store
        .create_grant(CreateGrantRequest {
            key_id: &signing,
            operations: &[GrantOperation::Sign],
            grantee_principal: OUTSIDER,
            ..base
        })
        .unwrap();
    store
        .as_principal(OUTSIDER)
        .unwrap()
        .sign(SignRequest {
            key_id: &signing,
            message: b"order 42",
            signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
            ..Default::default()
        })
        .unwrap();
}

#[test]
fn a_grant_may_only_create_narrower_grants() {
    let store = store();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    store
        .create_grant(CreateGrantRequest {
            key_id: &key,
            grantee_principal: OUTSIDER,
            operations: &[GrantOperation::Decrypt, GrantOperation::CreateGrant],
            ..Default::default()
        })
        .unwrap();
    let outsider = store.as_principal(OUTSIDER).unwrap();
    let narrower = CreateGrantRequest {
        key_id: &key,
        grantee_principal: "arn:aws:iam::444455556666:role/helper",
        operations: &[GrantOperation::Decrypt],
        ..Default::default()
    };
    outsider.create_grant(narrower).unwrap();
    assert_eq!(
        kind(outsider.create_grant(CreateGrantRequest { operations: &[GrantOperation::Encrypt], ..narrower })),
        ErrorKind::AccessDenied
    );
}

#[test]
fn dry_run_checks_everything_and_returns_nothing() {
    let store = store();
    let key = store.create_key(CreateKeyRequest::default()).unwrap().key_id;
    let err = store
        .encrypt(EncryptRequest { key_id: &key, plaintext: b"x", dry_run: true, ..Default::default() })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DryRunOperation);
    let blob = encrypt(&store, &key, None).unwrap();
    assert_eq!(
        kind(store.decrypt(DecryptRequest { ciphertext_blob: &blob, dry_run: true, ..Default::default() })),
        ErrorKind::DryRunOperation
    );
    // A dry run that would fail fails with the real error.
    let outsider = store.as_principal(OUTSIDER).unwrap();
    assert_eq!(
        kind(outsider.encrypt(EncryptRequest { key_id: &key, plaintext: b"x", dry_run: true, ..Default::default() })),
        ErrorKind::AccessDenied
    );
    store.disable_key(&key).unwrap();
    assert_eq!(
        kind(store.encrypt(EncryptRequest { key_id: &key, plaintext: b"x", dry_run: true, ..Default::default() })),
        ErrorKind::Disabled
    );
}

#[test]
fn explain_names_the_deciding_statements_and_grants() {
    let store = store();
    let admin = store.as_principal(ADMIN).unwrap();
    let key =
        admin.create_key(CreateKeyRequest { policy: Some(policy_for(ADMIN)), ..Default::default() }).unwrap().key_id;
    let checkout = store.as_principal(CHECKOUT).unwrap();
    let yes = checkout.explain(&key, "kms:Encrypt", Some(&ctx(&[("purpose", "orders")])), &[]).unwrap();
    assert!(yes.allowed);
    assert_eq!(yes.decision, "Allow");
    assert_eq!(yes.policy_statements, ["CheckoutUse"]);
    let no = checkout.explain(&key, "kms:Encrypt", None, &[]).unwrap();
    assert!(!no.allowed);
    assert_eq!(no.decision, "ImplicitDeny");
    let grant = admin
        .create_grant(CreateGrantRequest {
            key_id: &key,
            grantee_principal: CHECKOUT,
            operations: &[GrantOperation::DescribeKey],
            ..Default::default()
        })
        .unwrap();
    let via_grant = checkout.explain(&key, "kms:DescribeKey", None, &[]).unwrap();
    assert!(via_grant.allowed);
    assert_eq!(via_grant.grant_ids, [grant.grant_id]);
    assert_eq!(kind(checkout.explain(&key, "s3:GetObject", None, &[])), ErrorKind::Validation);
}

#[test]
fn principals_must_be_arns() {
    let store = store();
    for bad in ["", "alice", "arn:aws:iam::1234:root", "arn:aws:s3:::bucket"] {
        assert_eq!(kind(store.as_principal(bad)), ErrorKind::InvalidArn, "{bad}");
    }
    // Store administration (access keys) is for the account principal only.
    let checkout = store.as_principal(CHECKOUT).unwrap();
    assert_eq!(kind(checkout.create_access_key(CHECKOUT)), ErrorKind::AccessDenied);
    store.create_access_key(CHECKOUT).unwrap();
}
