//! Target `policy`: the key policy parser and evaluator (`policy::document`,
//! `policy::evaluate`).
//!
//! Input: a request (principal, action, resource, up to 4 condition keys with values), then
//! the policy text (any bytes, read as UTF-8 with replacement). Checks: parsing fails only with
//! `MalformedPolicyDocumentException` or `LimitExceededException`; a parsed policy keeps its
//! text, and parsing that text again gives an equal document; `evaluate` and `decide` reach the
//! same decision and name deciding statements exactly when a statement applies; reversing the
//! order of the statements never changes the decision.

use keystead_core::policy::condition::ConditionValues;
use keystead_core::policy::document::PolicyDocument;
use keystead_core::policy::evaluate::{decide, evaluate, Decision, RequestContext};
use keystead_core::ErrorKind;

use crate::input::Input;

const PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::111122223333:role/checkout",
    "arn:aws:iam::444455556666:user/alice",
    "arn:aws:sts::111122223333:assumed-role/admin/session",
];
const ACTIONS: &[&str] = &["kms:Encrypt", "kms:Decrypt", "kms:PutKeyPolicy", "kms:GenerateDataKey", "KMS:encrypt"];
const RESOURCE: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const CONDITION_KEYS: &[&str] = &[
    "kms:EncryptionContext:tenant",
    "kms:CallerAccount",
    "aws:PrincipalArn",
    "kms:ViaService",
    "kms:EncryptionAlgorithm",
    "aws:CurrentTime",
    "kms:GrantIsForAWSResource",
];

fn pick<'a>(input: &mut Input<'a>, list: &[&'a str]) -> String {
    let choice = input.u8();
    if usize::from(choice) < list.len() * 40 {
        list[usize::from(choice) % list.len()].to_string()
    } else {
        input.string()
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let principal = pick(&mut input, PRINCIPALS);
    let action = pick(&mut input, ACTIONS);
    let resource = if input.u8() % 8 == 0 { input.string() } else { RESOURCE.to_string() };
    let mut conditions = ConditionValues::new();
    for _ in 0..input.u8() % 5 {
        let key = pick(&mut input, CONDITION_KEYS);
        match input.u8() % 3 {
            0 => {
                conditions.set_bool(&key, input.u8() % 2 == 0);
            }
            1 => {
                let values = [input.string(), input.string()];
                conditions.set_multi(&key, values);
            }
            _ => {
                conditions.set(&key, input.string());
            }
        }
    }
    let text = String::from_utf8_lossy(input.rest()).into_owned();
    let policy = match PolicyDocument::parse(&text) {
        Ok(policy) => policy,
        Err(e) => {
            assert!(
                matches!(e.kind(), ErrorKind::MalformedPolicyDocument | ErrorKind::LimitExceeded),
                "parse failed with {:?}: {}",
                e.kind(),
                e.message()
            );
            return;
        }
    };
    assert_eq!(policy.text(), text);
    assert_eq!(PolicyDocument::parse(policy.text()).expect("a parsed policy parses again"), policy);
    let request =
        RequestContext { principal_arn: &principal, action: &action, resource_arn: &resource, conditions: &conditions };
    let evaluation = evaluate(&policy, &request);
    assert_eq!(decide(&policy, &request), evaluation.decision, "decide and evaluate disagree");
    assert_eq!(evaluation.decision == Decision::ImplicitDeny, evaluation.deciding_statements.is_empty());
    let labels: Vec<&str> = policy.statement_labels().collect();
    for name in &evaluation.deciding_statements {
        assert!(labels.contains(&name.as_str()), "deciding statement {name} is not in the policy");
    }
    // Statement order never matters.
    if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Some(serde_json::Value::Array(statements)) = json.get_mut("Statement") {
            statements.reverse();
            if let Ok(reordered) = PolicyDocument::parse(&json.to_string()) {
                assert_eq!(decide(&reordered, &request), evaluation.decision, "statement order changed the decision");
            }
        }
    }
}
