//! The key policy language through its public API: the decision table of AWS's documented
//! examples (`tests/data/policy/decision_table.json`, each group naming its source page), every
//! rejection reason of the parser, the default key policy, the lockout safety check, and
//! property tests (deny never grants, allow never revokes, order and list order never matter,
//! no allow means no access, parse never panics).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use keystead_core::policy::condition::ConditionValues;
use keystead_core::policy::document::{default_key_policy, PolicyDocument, MAX_POLICY_BYTES};
use keystead_core::policy::evaluate::{
    allows_policy_administration, decide, evaluate, Decision, Evaluation, RequestContext,
};
use keystead_core::ErrorKind;
use proptest::prelude::*;
use serde_json::{json, Value};

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TABLE: &str = include_str!("data/policy/decision_table.json");

fn values_from(context: Option<&Value>) -> ConditionValues {
    let mut values = ConditionValues::new();
    if let Some(Value::Object(map)) = context {
        for (k, v) in map {
            match v {
                Value::Array(items) => {
                    values.set_multi(k, items.iter().map(|i| i.as_str().unwrap().to_owned()));
                }
                Value::String(s) => {
                    values.set(k, s.clone());
                }
                other => panic!("context value {other}"),
            }
        }
    }
    values
}

fn run(policy: &PolicyDocument, principal: &str, action: &str, resource: &str, values: &ConditionValues) -> Evaluation {
    let request = RequestContext { principal_arn: principal, action, resource_arn: resource, conditions: values };
    let evaluation = evaluate(policy, &request);
    // The allocation-free hot path must always agree with the explaining one.
    assert_eq!(decide(policy, &request), evaluation.decision, "decide vs evaluate for {principal} {action}");
    evaluation
}

fn decision_name(decision: Decision) -> &'static str {
    match decision {
        Decision::Allow => "Allow",
        Decision::ExplicitDeny => "ExplicitDeny",
        Decision::ImplicitDeny => "ImplicitDeny",
    }
}

#[test]
fn decision_table_from_aws_examples() {
    let table: Value = serde_json::from_str(TABLE).unwrap();
    let mut cases = 0;
    let mut by_outcome = std::collections::BTreeMap::new();
    for group in table["groups"].as_array().unwrap() {
        let source = group["source"].as_str().unwrap();
        let policy = PolicyDocument::parse(&group["policy"].to_string())
            .unwrap_or_else(|e| panic!("policy of group '{source}' does not parse: {e}"));
        for case in group["cases"].as_array().unwrap() {
            let values = values_from(case.get("context"));
            let resource = case.get("resource").and_then(Value::as_str).unwrap_or(KEY);
            let evaluation =
                run(&policy, case["principal"].as_str().unwrap(), case["action"].as_str().unwrap(), resource, &values);
            let expected = case["expect"].as_str().unwrap();
            assert_eq!(decision_name(evaluation.decision), expected, "group '{source}', case {case}");
            // Deciding statements: present exactly when the decision is not the default deny.
            assert_eq!(evaluation.deciding_statements.is_empty(), evaluation.decision == Decision::ImplicitDeny);
            *by_outcome.entry(expected).or_insert(0) += 1;
            cases += 1;
        }
    }
    assert!(cases >= 200, "the decision table has only {cases} cases");
    // The table exercises every outcome substantially, not just one.
    for outcome in ["Allow", "ExplicitDeny", "ImplicitDeny"] {
        assert!(by_outcome.get(outcome).copied().unwrap_or(0) >= 30, "{outcome}: {by_outcome:?}");
    }
}

#[test]
fn deciding_statements_name_sids_and_indexes() {
    let policy = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"A","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
            {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Encrypt","Resource":"*"},
            {"Sid":"D","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"},
            {"Effect":"Deny","Principal":"*","Action":"kms:Decrypt*","Resource":"*"}]}"#,
    )
    .unwrap();
    let values = ConditionValues::new();
    let user = "arn:aws:iam::111122223333:user/u";
    let allow = run(&policy, user, "kms:Encrypt", KEY, &values);
    assert_eq!(allow.decision, Decision::Allow);
    assert_eq!(allow.deciding_statements, vec!["A".to_owned(), "#1".to_owned()]);
    let deny = run(&policy, user, "kms:Decrypt", KEY, &values);
    assert_eq!(deny.decision, Decision::ExplicitDeny);
    assert_eq!(deny.deciding_statements, vec!["D".to_owned(), "#3".to_owned()]);
    let labels: Vec<&str> = policy.statement_labels().collect();
    assert_eq!(labels, ["A", "#1", "D", "#3"]);
}

// ---- the default key policy and the lockout safety check -------------------------------------

#[test]
fn default_key_policy_is_aws_text_and_gives_the_account_everything() {
    let text = default_key_policy("aws", "111122223333");
    assert_eq!(
        text,
        "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::111122223333:root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}"
    );
    let policy = PolicyDocument::parse(&text).unwrap();
    assert_eq!(policy.text(), text);
    assert_eq!(policy.id(), Some("key-default-1"));
    assert_eq!(policy.version(), "2012-10-17");
    let values = ConditionValues::new();
    let e = run(&policy, "arn:aws:iam::111122223333:role/checkout", "kms:Encrypt", KEY, &values);
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.deciding_statements, vec!["Enable IAM User Permissions".to_owned()]);
    assert!(allows_policy_administration(&policy, "arn:aws:iam::111122223333:user/admin", KEY));
    assert!(!allows_policy_administration(&policy, "arn:aws:iam::444455556666:user/admin", KEY));
    let cn = PolicyDocument::parse(&default_key_policy("aws-cn", "111122223333")).unwrap();
    assert!(allows_policy_administration(&cn, "arn:aws-cn:iam::111122223333:user/admin", KEY));
    assert!(!allows_policy_administration(&cn, "arn:aws:iam::111122223333:user/admin", KEY));
}

#[test]
fn lockout_safety_check() {
    let admin = "arn:aws:iam::111122223333:role/KMSAdmin";
    let only_use = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KMSAdmin"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}"#;
    assert!(!allows_policy_administration(&PolicyDocument::parse(only_use).unwrap(), admin, KEY));
    let put = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KMSAdmin"},"Action":"kms:Put*","Resource":"*"}]}"#;
    assert!(allows_policy_administration(&PolicyDocument::parse(put).unwrap(), admin, KEY));
    // A session of the role is the role.
    assert!(allows_policy_administration(
        &PolicyDocument::parse(put).unwrap(),
        "arn:aws:sts::111122223333:assumed-role/KMSAdmin/s",
        KEY
    ));
    let put_but_denied = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},
        {"Effect":"Deny","Principal":"*","Action":"kms:PutKeyPolicy","Resource":"*"}]}"#;
    assert!(!allows_policy_administration(&PolicyDocument::parse(put_but_denied).unwrap(), admin, KEY));
    // A condition on a key the check does not supply (as in a real PutKeyPolicy) fails it.
    let conditional = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    assert!(!allows_policy_administration(&PolicyDocument::parse(conditional).unwrap(), admin, KEY));
    // Conditions on the caller are derived from the caller.
    let by_arn = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:PutKeyPolicy","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/KMS*"},"StringEquals":{"kms:CallerAccount":"111122223333"}}}]}"#;
    let by_arn = PolicyDocument::parse(by_arn).unwrap();
    assert!(allows_policy_administration(&by_arn, admin, KEY));
    assert!(!allows_policy_administration(&by_arn, "arn:aws:iam::111122223333:role/Dev", KEY));
}

// ---- request values ---------------------------------------------------------------------------

#[test]
fn condition_values_helpers() {
    let mut context = std::collections::BTreeMap::new();
    context.insert("Department".to_owned(), "IT".to_owned());
    context.insert("project".to_owned(), "alpha".to_owned());
    let mut values = ConditionValues::new();
    values.set_encryption_context(&context).set_request_time(1_563_278_400_000).set_bool("aws:SecureTransport", true);
    assert_eq!(values.get("KMS:ENCRYPTIONCONTEXT:department").unwrap(), ["IT"]);
    assert_eq!(values.get("kms:EncryptionContextKeys").unwrap(), ["Department", "project"]);
    assert_eq!(values.get("aws:CurrentTime").unwrap(), ["2019-07-16T12:00:00Z"]);
    assert_eq!(values.get("aws:epochtime").unwrap(), ["1563278400"]);
    assert_eq!(values.get("aws:SecureTransport").unwrap(), ["true"]);
    values.remove("AWS:SECURETRANSPORT");
    assert!(values.get("aws:SecureTransport").is_none());

    let policy = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
            "Condition":{"StringEquals":{"kms:EncryptionContext:department":"IT"},
                         "ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department","project"]},
                         "DateLessThan":{"aws:CurrentTime":"2019-07-16T12:00:01Z"}}}]}"#,
    )
    .unwrap();
    assert_eq!(run(&policy, "arn:aws:iam::1:user/x", "kms:Decrypt", KEY, &values).decision, Decision::Allow);
    values.set_request_time(1_563_278_401_000);
    assert_eq!(run(&policy, "arn:aws:iam::1:user/x", "kms:Decrypt", KEY, &values).decision, Decision::ImplicitDeny);
}

// ---- malformed documents: every rejection reason ----------------------------------------------

fn rejects(text: &str, kind: ErrorKind, fragment: &str) {
    match PolicyDocument::parse(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "{text}: {e}");
            assert!(e.message().contains(fragment), "'{}' lacks '{fragment}' for {text}", e.message());
        }
    }
}

/// A valid statement with `field` replaced (or removed with `Value::Null`).
fn with(field: &str, value: Value) -> String {
    let mut statement = json!({"Sid": "S", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:Encrypt", "Resource": "*"});
    if value.is_null() {
        statement.as_object_mut().unwrap().remove(field);
    } else {
        statement[field] = value;
    }
    json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
}

#[test]
fn size_limit_is_limit_exceeded() {
    let base = with("Sid", json!("S"));
    // Padding with whitespace keeps the JSON valid: exactly at the limit parses.
    let at_limit = format!("{base}{}", " ".repeat(MAX_POLICY_BYTES - base.len()));
    assert_eq!(at_limit.len(), 32_768);
    PolicyDocument::parse(&at_limit).unwrap();
    rejects(&format!("{at_limit} "), ErrorKind::LimitExceeded, "32768");
}

#[test]
fn malformed_documents() {
    use ErrorKind::MalformedPolicyDocument as M;
    rejects("", M, "not valid JSON");
    rejects("{\"Version\":", M, "not valid JSON");
    rejects("[1,2]", M, "must be a JSON object");
    rejects("{\"Version\":\"2012-10-17\",\"Statement\":[],\"Extra\":1}", M, "unknown top-level field 'Extra'");
    rejects("{\"Version\":\"2012-10-17\"}", M, "no Statement");
    rejects("{\"Version\":\"2012-10-17\",\"Statement\":[]}", M, "at least one statement");
    rejects("{\"Version\":\"2012-10-17\",\"Statement\":\"x\"}", M, "object or an array");
    rejects("{\"Version\":\"2012-10-17\",\"Statement\":[1]}", M, "Statement #0 is not an object");
    rejects("{\"Version\":\"2012-10-18\",\"Statement\":[]}", M, "Version \"2012-10-18\"");
    rejects("{\"Version\":2012,\"Statement\":[]}", M, "Version 2012");
    rejects("{\"Version\":\"2012-10-17\",\"Id\":7,\"Statement\":[]}", M, "Id must be a string");
    rejects(&with("Sid", json!(5)), M, "Sid of statement #0 must be a string");
    rejects(&with("Effects", json!("Allow")), M, "unknown field 'Effects'");
    rejects(&with("Effect", json!("allow")), M, "invalid Effect \"allow\"");
    rejects(&with("Effect", Value::Null), M, "has no Effect");
    rejects(&with("Principal", Value::Null), M, "has no Principal");
    rejects(&with("NotPrincipal", json!("*")), M, "both Principal and NotPrincipal");
    rejects(&with("Principal", json!("111122223333")), M, "invalid principals");
    rejects(&with("Principal", json!({"AWS": "arn:aws:iam::111122223333:role/*"})), M, "invalid principals");
    rejects(&with("Principal", json!({"AWS": "arn:aws:iam::1111:root"})), M, "invalid principals");
    rejects(&with("Principal", json!({"AWS": "arn:aws:s3:::bucket"})), M, "invalid principals");
    rejects(&with("Principal", json!({"AWS": "bob"})), M, "invalid principals");
    rejects(&with("Principal", json!({"AWS": []})), M, "invalid principals");
    rejects(&with("Principal", json!({})), M, "invalid principals");
    rejects(&with("Principal", json!({"Service": "*.amazonaws.com"})), M, "invalid principals");
    rejects(&with("Principal", json!({"Group": "admins"})), M, "Unknown principal type 'Group'");
    rejects(&with("NotAction", json!("kms:Decrypt")), M, "both Action and NotAction");
    rejects(&with("NotResource", json!("*")), M, "both Resource and NotResource");
    rejects(&with("Action", json!("s3:GetObject")), M, "only governs kms: actions");
    rejects(&with("Action", json!("Encrypt")), M, "invalid action 'Encrypt'");
    rejects(&with("Action", json!("kms:Encrpyt")), M, "unknown action 'kms:Encrpyt'");
    rejects(&with("Action", json!("kms:")), M, "invalid action 'kms:'");
    rejects(&with("Action", json!([])), M, "must not be an empty list");
    rejects(&with("Action", json!([1])), M, "string or a list of strings");
    rejects(&with("Resource", json!("")), M, "empty Resource");
    rejects(&with("Condition", json!("x")), M, "object of condition operators");
    rejects(
        &with("Condition", json!({"StringEqualz": {"kms:EncryptionAlgorithm": "x"}})),
        M,
        "unknown condition operator: 'StringEqualz'",
    );
    rejects(
        &with("Condition", json!({"NullIfExists": {"kms:EncryptionAlgorithm": "true"}})),
        M,
        "unknown condition operator",
    );
    rejects(
        &with("Condition", json!({"ForAnyValue:Null": {"kms:EncryptionAlgorithm": "true"}})),
        M,
        "unknown condition operator",
    );
    rejects(&with("Condition", json!({"StringEquals": "x"})), M, "must map condition keys");
    rejects(&with("Condition", json!({"StringEquals": {}})), M, "names no condition key");
    rejects(
        &with("Condition", json!({"StringEquals": {"kms:EncryptionAlgorithms": "x"}})),
        M,
        "unknown condition key: 'kms:EncryptionAlgorithms'",
    );
    rejects(&with("Condition", json!({"StringEquals": {"s3:prefix": "x"}})), M, "unknown condition key");
    rejects(&with("Condition", json!({"StringEquals": {"kms:EncryptionContext:": "x"}})), M, "unknown condition key");
    rejects(&with("Condition", json!({"StringEquals": {"kms:EncryptionAlgorithm": []}})), M, "empty list of values");
    rejects(
        &with("Condition", json!({"StringEquals": {"kms:EncryptionAlgorithm": {"a": 1}}})),
        M,
        "not a string, number or boolean",
    );
    rejects(
        &with("Condition", json!({"NumericLessThan": {"kms:RotationPeriodInDays": "ten"}})),
        M,
        "expected a number",
    );
    rejects(
        &with("Condition", json!({"DateLessThan": {"aws:CurrentTime": "next week"}})),
        M,
        "expected an ISO 8601 date",
    );
    rejects(&with("Condition", json!({"Bool": {"aws:SecureTransport": "yes"}})), M, "expected true or false");
    rejects(&with("Condition", json!({"Null": {"aws:SecureTransport": "maybe"}})), M, "expected true or false");
    rejects(&with("Condition", json!({"BinaryEquals": {"kms:EncryptionContext:b": "***"}})), M, "expected base64");
    rejects(&with("Condition", json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}})), M, "expected an IP address");
    let duplicate = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Same","Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"},
        {"Sid":"Same","Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*"}]}"#;
    rejects(duplicate, M, "'Same' is used by more than one statement");
    // Duplicate keys would silently drop the first condition block in a plain JSON parser.
    let twice = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
        "Condition":{"StringEquals":{"kms:EncryptionContext:a":"1"},"StringEquals":{"kms:EncryptionContext:b":"2"}}}]}"#;
    rejects(twice, M, "the key 'StringEquals' appears twice");
    rejects(r#"{"Version":"2012-10-17","Version":"2012-10-17","Statement":[]}"#, M, "'Version' appears twice");
    let bad_char = with("Sid", json!("caf\u{0100}"));
    rejects(&bad_char, M, "U+0100");
    rejects("{\"Version\":\"2012-10-17\",\u{0007}\"Statement\":[]}", M, "U+0007");
}

#[test]
fn accepted_variants() {
    // Statement as a single object; no Version (IAM's 2008-10-17); Sid with spaces; a U+00E9
    // character (allowed: U+0020 to U+00FF); condition values as JSON numbers and booleans.
    let text = r#"{"Statement":{"Sid":"Café users","Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:root"],"Service":"kms.amazonaws.com"},"Action":["kms:encrypt","KMS:Decrypt"],"Resource":"*","Condition":{"NumericGreaterThan":{"kms:RotationPeriodInDays":90},"Bool":{"aws:SecureTransport":true}}}}"#;
    let policy = PolicyDocument::parse(text).unwrap();
    assert_eq!(policy.version(), "2008-10-17");
    let mut values = ConditionValues::new();
    values.set("kms:RotationPeriodInDays", "91").set_bool("aws:SecureTransport", true);
    assert_eq!(run(&policy, "kms.amazonaws.com", "kms:Decrypt", KEY, &values).decision, Decision::Allow);
    assert_eq!(run(&policy, "arn:aws:iam::444455556666:user/u", "kms:Encrypt", KEY, &values).decision, Decision::Allow);
    values.set("kms:RotationPeriodInDays", "90");
    assert_eq!(run(&policy, "kms.amazonaws.com", "kms:Decrypt", KEY, &values).decision, Decision::ImplicitDeny);
    // As in AWS, a statement without Action or without Resource is accepted but never applies.
    for missing in ["Action", "Resource"] {
        let policy = PolicyDocument::parse(&with(missing, Value::Null)).unwrap();
        let e = run(&policy, "arn:aws:iam::111122223333:root", "kms:Encrypt", KEY, &ConditionValues::new());
        assert_eq!(e.decision, Decision::ImplicitDeny, "without {missing}");
    }
}

// ---- property tests ------------------------------------------------------------------------

const CALLERS: &[&str] = &[
    "arn:aws:iam::111122223333:role/checkout",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:sts::111122223333:assumed-role/checkout/s1",
    "arn:aws:iam::444455556666:user/bob",
];
const ACTIONS: &[&str] = &["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy", "kms:Sign"];

fn principal_element(i: usize) -> Value {
    match i {
        0 => json!("*"),
        1 => json!({"AWS": "111122223333"}),
        2 => json!({"AWS": ["arn:aws:iam::111122223333:role/checkout", "arn:aws:iam::444455556666:user/bob"]}),
        3 => json!({"AWS": "arn:aws:iam::444455556666:root"}),
        _ => json!({"AWS": ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/carol"]}),
    }
}

fn action_element(i: usize) -> Value {
    match i {
        0 => json!("kms:*"),
        1 => json!(["kms:Encrypt", "kms:Decrypt"]),
        2 => json!("kms:GenerateDataKey*"),
        3 => json!(["kms:Put*", "kms:Sign", "kms:Verify"]),
        _ => json!("kms:*crypt"),
    }
}

fn condition_element(i: usize) -> Option<Value> {
    match i {
        0 => None,
        1 => Some(json!({"StringEquals": {"kms:EncryptionContext:dept": ["IT", "Ops"]}})),
        2 => Some(json!({"StringNotEquals": {"kms:EncryptionContext:dept": ["Sales", "HR"]}})),
        3 => Some(json!({"ForAllValues:StringLike": {"kms:EncryptionContextKeys": ["dept", "proj*"]}})),
        4 => Some(json!({"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["dept", "owner"]}})),
        5 => Some(
            json!({"Bool": {"aws:SecureTransport": "true"}, "NumericLessThan": {"kms:RotationPeriodInDays": [100, 400]}}),
        ),
        _ => Some(
            json!({"StringEqualsIfExists": {"kms:EncryptionAlgorithm": ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_256"]}}),
        ),
    }
}

/// A statement from generated indexes; the Sid keeps labels stable under permutation.
fn statement(sid: usize, (deny, p, a, c): (bool, usize, usize, usize)) -> Value {
    let mut s = json!({"Sid": format!("S{sid}"), "Effect": if deny { "Deny" } else { "Allow" },
                       "Principal": principal_element(p), "Action": action_element(a), "Resource": "*"});
    if let Some(condition) = condition_element(c) {
        s["Condition"] = condition;
    }
    s
}

fn policy_of(statements: &[Value]) -> PolicyDocument {
    PolicyDocument::parse(&json!({"Version": "2012-10-17", "Statement": statements}).to_string()).unwrap()
}

fn statement_strategy() -> impl Strategy<Value = (bool, usize, usize, usize)> {
    (any::<bool>(), 0..5usize, 0..5usize, 0..7usize)
}

fn request_strategy() -> impl Strategy<Value = (usize, usize, ConditionValues)> {
    let context = (
        prop::option::of(prop::sample::select(vec!["IT", "Ops", "Sales", "HR", "it"])),
        prop::collection::vec(prop::sample::select(vec!["dept", "project", "owner", "x"]), 0..3),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(vec!["90", "365", "500"])),
        prop::option::of(prop::sample::select(vec!["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1"])),
    );
    (0..CALLERS.len(), 0..ACTIONS.len(), context).prop_map(|(c, a, (dept, keys, tls, days, algorithm))| {
        let mut values = ConditionValues::new();
        if let Some(d) = dept {
            values.set("kms:EncryptionContext:dept", d);
        }
        values.set_multi("kms:EncryptionContextKeys", keys);
        if let Some(t) = tls {
            values.set_bool("aws:SecureTransport", t);
        }
        if let Some(d) = days {
            values.set("kms:RotationPeriodInDays", d);
        }
        if let Some(alg) = algorithm {
            values.set("kms:EncryptionAlgorithm", alg);
        }
        (c, a, values)
    })
}

fn decide_for(policy: &PolicyDocument, (caller, action, values): &(usize, usize, ConditionValues)) -> Evaluation {
    run(policy, CALLERS[*caller], ACTIONS[*action], KEY, values)
}

/// Reverses every JSON array in `v` (lists of actions, principals and condition values).
fn reverse_lists(v: &mut Value) {
    match v {
        Value::Array(items) => {
            items.reverse();
            items.iter_mut().for_each(reverse_lists);
        }
        Value::Object(map) => map.values_mut().for_each(reverse_lists),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn adding_a_deny_never_grants(base in prop::collection::vec(statement_strategy(), 1..5),
                                  extra in statement_strategy(), request in request_strategy()) {
        let statements: Vec<Value> = base.iter().enumerate().map(|(i, s)| statement(i, *s)).collect();
        let before = decide_for(&policy_of(&statements), &request).decision;
        let mut more = statements;
        more.push(statement(99, (true, extra.1, extra.2, extra.3)));
        let after = decide_for(&policy_of(&more), &request).decision;
        prop_assert!(after != Decision::Allow || before == Decision::Allow);
        if before != Decision::Allow {
            prop_assert_ne!(after, Decision::Allow);
        }
        // A deny can only make things stricter: Allow may become ExplicitDeny, never the reverse.
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    #[test]
    fn adding_an_allow_never_revokes(base in prop::collection::vec(statement_strategy(), 1..5),
                                     extra in statement_strategy(), request in request_strategy()) {
        let statements: Vec<Value> = base.iter().enumerate().map(|(i, s)| statement(i, *s)).collect();
        let before = decide_for(&policy_of(&statements), &request).decision;
        let mut more = statements;
        more.push(statement(99, (false, extra.1, extra.2, extra.3)));
        let after = decide_for(&policy_of(&more), &request).decision;
        if before == Decision::Allow {
            prop_assert_eq!(after, Decision::Allow);
        }
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    #[test]
    fn order_of_statements_and_list_values_changes_nothing(
        base in prop::collection::vec(statement_strategy(), 1..6), request in request_strategy(),
        rotation in 0..6usize) {
        let statements: Vec<Value> = base.iter().enumerate().map(|(i, s)| statement(i, *s)).collect();
        let original = decide_for(&policy_of(&statements), &request);
        let mut permuted = statements.clone();
        permuted.rotate_left(rotation % statements.len());
        permuted.reverse();
        for s in &mut permuted {
            reverse_lists(s);
        }
        let shuffled = decide_for(&policy_of(&permuted), &request);
        prop_assert_eq!(original.decision, shuffled.decision);
        let a: BTreeSet<String> = original.deciding_statements.into_iter().collect();
        let b: BTreeSet<String> = shuffled.deciding_statements.into_iter().collect();
        prop_assert_eq!(a, b);
    }

    /// The parser rejects an empty statement list (AWS requires at least one statement), so
    /// "an empty policy denies" is checked as: a policy with no applicable Allow never allows,
    /// whatever its Deny statements and the request are.
    #[test]
    fn no_allow_means_no_access(base in prop::collection::vec(statement_strategy(), 1..5), request in request_strategy()) {
        let statements: Vec<Value> = base.iter().enumerate().map(|(i, s)| statement(i, (true, s.1, s.2, s.3))).collect();
        let e = decide_for(&policy_of(&statements), &request);
        prop_assert_ne!(e.decision, Decision::Allow);
        // With the only statement inapplicable (another account, conditions aside), the default deny.
        let other = json!({"Sid": "X", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "kms:*", "Resource": "*"});
        let e = decide_for(&policy_of(&[other]), &request);
        prop_assert_eq!(e.decision, Decision::ImplicitDeny);
        prop_assert!(e.deciding_statements.is_empty());
    }

    #[test]
    fn parse_never_panics_on_strings(text in "\\PC{0,200}") {
        let _ = PolicyDocument::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_json(value in arbitrary_json()) {
        let text = value.to_string();
        if let Ok(policy) = PolicyDocument::parse(&text) {
            // Whatever parses can be evaluated.
            let values = ConditionValues::new();
            let _ = run(&policy, CALLERS[0], "kms:Encrypt", KEY, &values);
        }
    }

    #[test]
    fn parse_never_panics_on_policy_shaped_json(value in policy_shaped_json()) {
        let text = value.to_string();
        if let Ok(policy) = PolicyDocument::parse(&text) {
            let mut values = ConditionValues::new();
            values.set("kms:EncryptionContext:a", "1").set("aws:SourceIp", "10.1.2.3").set("aws:CurrentTime", "2024-01-01");
            let _ = run(&policy, CALLERS[1], "kms:Decrypt", KEY, &values);
        }
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9:*?/ ._-]{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z:]{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// JSON shaped like a policy, with fields and values drawn from the real vocabulary, so that
/// generated documents reach deep into validation and evaluation.
fn policy_shaped_json() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        prop::sample::select(vec![
            "*",
            "kms:*",
            "kms:Encrypt",
            "kms:Enc*",
            "Allow",
            "Deny",
            "111122223333",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:role/r",
            "true",
            "false",
            "10",
            "2024-01-01T00:00:00Z",
            "10.0.0.0/8",
            "::1",
            "aGk=",
            "",
            "arn:aws:kms:*",
            "kms.amazonaws.com",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..500).prop_map(|n| json!(n)),
    ];
    let values = prop_oneof![scalar.clone(), prop::collection::vec(scalar.clone(), 0..3).prop_map(Value::Array)];
    let operator = prop::sample::select(vec![
        "StringEquals",
        "StringNotLike",
        "ForAnyValue:StringLike",
        "ForAllValues:StringNotEquals",
        "NumericLessThan",
        "DateGreaterThanIfExists",
        "Bool",
        "Null",
        "IpAddress",
        "NotIpAddress",
        "ArnLike",
        "BinaryEquals",
        "Bogus",
    ]);
    let key = prop::sample::select(vec![
        "kms:EncryptionContext:a",
        "kms:EncryptionContextKeys",
        "aws:SourceIp",
        "aws:CurrentTime",
        "aws:PrincipalArn",
        "kms:RotationPeriodInDays",
        "aws:SecureTransport",
        "bogus:key",
    ]);
    let condition = prop::collection::btree_map(operator, prop::collection::btree_map(key, values.clone(), 0..3), 0..3)
        .prop_map(|m| {
            Value::Object(
                m.into_iter()
                    .map(|(op, keys)| {
                        (op.to_owned(), Value::Object(keys.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
                    })
                    .collect(),
            )
        });
    let field = prop::sample::select(vec![
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Other",
    ]);
    let principal = prop_oneof![
        values.clone(),
        prop::collection::btree_map(prop::sample::select(vec!["AWS", "Service", "X"]), values.clone(), 0..3)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
    ];
    let statement = (prop::collection::btree_map(field, values, 0..8), principal, prop::option::of(condition))
        .prop_map(|(fields, principal, condition)| {
            let mut map: serde_json::Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            map.insert("Principal".to_owned(), principal);
            if let Some(c) = condition {
                map.insert("Condition".to_owned(), c);
            }
            Value::Object(map)
        });
    prop::collection::vec(statement, 0..4)
        .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements}))
}

// ---- the hot path does not allocate ------------------------------------------------------------

mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    }

    /// The system allocator, counting allocations per thread.
    pub(crate) struct Counting;

    // SAFETY: every call is forwarded unchanged to the system allocator, which upholds the
    // GlobalAlloc contract; the counter is a const-initialized thread-local Cell with no
    // destructor, so updating it neither allocates nor re-enters the allocator.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
            // SAFETY: the caller's guarantees for `layout` are passed on as they are.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` was returned by `System.alloc` (through `alloc`) with this `layout`.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// Allocations made by the current thread so far.
    pub(crate) fn allocations() -> u64 {
        ALLOCATIONS.with(Cell::get)
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

#[test]
fn decide_does_not_allocate() {
    // Every condition family, so that each comparison path is covered.
    let policy = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:Describe*","Resource":"*"},
        {"Sid":"Use","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:role/checkout","444455556666"]},
         "Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*"],"Resource":"arn:aws:kms:*:111122223333:key/*",
         "Condition":{"StringEquals":{"kms:EncryptionContext:tenant":"acme","kms:CallerAccount":"444455556666"},
                      "StringEqualsIgnoreCase":{"kms:EncryptionAlgorithm":"symmetric_default"},
                      "StringLike":{"kms:ViaService":"s3.*.amazonaws.com"},
                      "ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["tenant","order"]},
                      "NumericLessThanEquals":{"kms:RotationPeriodInDays":"365"},
                      "DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},
                      "IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},
                      "ArnLike":{"aws:PrincipalArn":"arn:aws:sts::444455556666:assumed-role/checkout/*"},
                      "Bool":{"aws:SecureTransport":"true"},
                      "BinaryEquals":{"kms:EncryptionContext:blob":"aGVsbG8="},
                      "Null":{"kms:GranteePrincipal":"true"}}},
        {"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":"kms:ScheduleKeyDeletion","Resource":"*",
         "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}}]}"#,
    )
    .unwrap();
    let mut values = ConditionValues::new();
    values
        .set("kms:EncryptionContext:tenant", "acme")
        .set("kms:EncryptionContext:blob", "aGVsbG8=")
        .set_multi("kms:EncryptionContextKeys", ["tenant", "order"])
        .set("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
        .set("kms:ViaService", "s3.us-east-1.amazonaws.com")
        .set("kms:RotationPeriodInDays", "365")
        .set("aws:CurrentTime", "2026-11-29T07:00:00Z")
        .set("aws:SourceIp", "10.1.2.3")
        .set_bool("aws:SecureTransport", true);
    let caller = "arn:aws:sts::444455556666:assumed-role/checkout/session-1";
    let allow = RequestContext { principal_arn: caller, action: "kms:Decrypt", resource_arn: KEY, conditions: &values };
    let deny = RequestContext { action: "kms:ScheduleKeyDeletion", ..allow };
    let none = RequestContext { action: "kms:Sign", ..allow };
    assert_eq!(decide(&policy, &allow), Decision::Allow);
    assert_eq!(decide(&policy, &deny), Decision::ExplicitDeny);
    assert_eq!(decide(&policy, &none), Decision::ImplicitDeny);

    let before = counting::allocations();
    for _ in 0..100 {
        std::hint::black_box(decide(&policy, std::hint::black_box(&allow)));
        std::hint::black_box(decide(&policy, std::hint::black_box(&deny)));
        std::hint::black_box(decide(&policy, std::hint::black_box(&none)));
        // Without a deciding statement to name, evaluate allocates nothing either.
        std::hint::black_box(evaluate(&policy, std::hint::black_box(&none)));
    }
    assert_eq!(counting::allocations() - before, 0, "decide allocated");

    // evaluate allocates only the names it returns: the list and one string per statement.
    let before = counting::allocations();
    let e = evaluate(&policy, &allow);
    assert_eq!(e.deciding_statements, ["Use"]);
    assert!(counting::allocations() - before <= 2, "{} allocations", counting::allocations() - before);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Request values come from callers: whatever they hold (any Unicode, malformed dates,
    /// numbers, addresses, ARNs, base64), evaluation must not panic, and `decide` must agree
    /// with `evaluate`.
    #[test]
    fn evaluation_never_panics_on_request_values(text in "\\PC{0,40}", multi in prop::collection::vec("\\PC{0,12}", 0..4),
                                                principal in "\\PC{0,60}", action in "\\PC{0,20}") {
        let policy = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*",
                "Condition":{"DateLessThanIfExists":{"aws:CurrentTime":"2030-01-01T00:00:00+01:00"},
                             "NumericNotEquals":{"kms:RotationPeriodInDays":"1.5e3"},
                             "NotIpAddress":{"aws:SourceIp":"::/0"},
                             "ArnNotLike":{"aws:PrincipalArn":"arn:*:iam::*:role/?x*"},
                             "BinaryEquals":{"kms:EncryptionContext:b":"aGk="},
                             "StringEqualsIgnoreCase":{"kms:EncryptionContext:s":"ÉTÉ"},
                             "ForAllValues:StringLike":{"aws:TagKeys":["a*?","*"]}}},
              {"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"NotAction":"kms:Get*","NotResource":"x*"}]}"#,
        )
        .unwrap();
        let mut values = ConditionValues::new();
        for key in ["aws:CurrentTime", "kms:RotationPeriodInDays", "aws:SourceIp", "aws:PrincipalArn",
                    "kms:EncryptionContext:b", "kms:EncryptionContext:s"] {
            values.set(key, text.clone());
        }
        values.set_multi("aws:TagKeys", multi);
        let _ = run(&policy, &principal, &action, &text, &values);
    }
}
