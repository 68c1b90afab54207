//! Deciding a request against a compiled key policy.
//!
//! The rules (AWS's policy evaluation logic, restricted to one resource-based policy):
//! - a statement applies when its principal, action, resource and every condition match;
//! - any applying Deny gives [`Decision::ExplicitDeny`]; otherwise any applying Allow gives
//!   [`Decision::Allow`]; otherwise [`Decision::ImplicitDeny`] (default deny);
//! - the order of statements, and of values inside lists, never matters.
//!
//! [`decide`] is the hot path (every cryptographic call): it reads only the compiled policy,
//! short-circuits, and allocates nothing. [`evaluate`] also names the deciding statements (for
//! `explain` and audit records) and allocates only those names.

use super::condition::{ConditionValues, RequestValues};
use super::document::{Effect, Patterns, PolicyDocument, PrincipalSet, Statement};

/// One request to decide.
#[derive(Clone, Copy, Debug)]
pub struct RequestContext<'a> {
    /// The caller, e.g. `arn:aws:iam::111122223333:role/checkout`.
    pub principal_arn: &'a str,
    /// The action, e.g. `kms:Encrypt` (any case).
    pub action: &'a str,
    /// The key ARN.
    pub resource_arn: &'a str,
    /// The request's condition keys. `aws:PrincipalArn`, `aws:PrincipalAccount` and
    /// `kms:CallerAccount` default to values derived from `principal_arn` when not set here.
    pub conditions: &'a ConditionValues,
}

/// The outcome of an evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// An applying Allow statement and no applying Deny.
    Allow,
    /// An applying Deny statement (it beats every Allow).
    ExplicitDeny,
    /// No statement applies.
    ImplicitDeny,
}

impl Decision {
    /// True only for [`Decision::Allow`].
    pub fn is_allowed(self) -> bool {
        self == Self::Allow
    }
}

/// A decision and the statements that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// For Allow: every applying Allow statement; for ExplicitDeny: every applying Deny
    /// statement; empty for ImplicitDeny. Each is the Sid, or `#<index>` without one.
    pub deciding_statements: Vec<String>,
}

/// Decides `request` against `policy` and names the deciding statements.
pub fn evaluate(policy: &PolicyDocument, request: &RequestContext<'_>) -> Evaluation {
    let caller = Caller::parse(request.principal_arn);
    let mut allows = Vec::new();
    let mut denies = Vec::new();
    for statement in &policy.statements {
        if statement_applies(statement, request, &caller) {
            match statement.effect {
                Effect::Allow => allows.push(statement.label.clone()),
                Effect::Deny => denies.push(statement.label.clone()),
            }
        }
    }
    if !denies.is_empty() {
        Evaluation { decision: Decision::ExplicitDeny, deciding_statements: denies }
    } else if !allows.is_empty() {
        Evaluation { decision: Decision::Allow, deciding_statements: allows }
    } else {
        Evaluation { decision: Decision::ImplicitDeny, deciding_statements: Vec::new() }
    }
}

/// Decides `request` against `policy` without naming statements: no allocation, and once an
/// Allow applied only Deny statements are still checked.
pub fn decide(policy: &PolicyDocument, request: &RequestContext<'_>) -> Decision {
    let caller = Caller::parse(request.principal_arn);
    let mut allowed = false;
    for statement in &policy.statements {
        if statement.effect == Effect::Allow && allowed {
            continue;
        }
        if statement_applies(statement, request, &caller) {
            match statement.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// The lockout safety check of CreateKey and PutKeyPolicy: would `policy` let `principal_arn`
/// call `kms:PutKeyPolicy` on `resource_arn` (no request condition keys besides the ones derived
/// from the principal)?
pub fn allows_policy_administration(policy: &PolicyDocument, principal_arn: &str, resource_arn: &str) -> bool {
    let conditions = ConditionValues::new();
    let request = RequestContext { principal_arn, action: "kms:PutKeyPolicy", resource_arn, conditions: &conditions };
    decide(policy, &request) == Decision::Allow
}

/// The parts of the caller's ARN principal matching needs, borrowed (no allocation).
#[derive(Clone, Copy, Debug)]
struct Caller<'a> {
    arn: &'a str,
    partition: Option<&'a str>,
    service: Option<&'a str>,
    account: Option<&'a str>,
    resource: Option<&'a str>,
}

impl<'a> Caller<'a> {
    fn parse(arn: &'a str) -> Self {
        let mut parts = arn.splitn(6, ':');
        let fields = [parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next()];
        match fields {
            [Some("arn"), Some(partition), Some(service), Some(_region), Some(account), Some(resource)]
                if !account.is_empty() =>
            {
                Self {
                    arn,
                    partition: Some(partition),
                    service: Some(service),
                    account: Some(account),
                    resource: Some(resource),
                }
            }
            _ => Self { arn, partition: None, service: None, account: None, resource: None },
        }
    }
}

fn principal_matches(set: &PrincipalSet, caller: &Caller<'_>) -> bool {
    if set.everyone {
        return true;
    }
    if set.arns.iter().any(|a| a == caller.arn) || set.literals.iter().any(|l| l == caller.arn) {
        return true;
    }
    if let Some(account) = caller.account {
        let account_match = set.accounts.iter().any(|(partition, acct)| {
            acct == account && partition.as_deref().is_none_or(|p| Some(p) == caller.partition)
        });
        if account_match {
            return true;
        }
        if caller.service == Some("sts") {
            if let Some(session) = caller.resource.and_then(|r| r.strip_prefix("assumed-role/")) {
                let role_name = session.split('/').next().unwrap_or(session);
                return set.roles.iter().any(|(partition, acct, name)| {
                    acct == account && Some(partition.as_str()) == caller.partition && name == role_name
                });
            }
        }
    }
    false
}

fn patterns_match(patterns: &Patterns, value: &str, fold_ascii: bool) -> bool {
    match patterns {
        Patterns::Missing => false,
        Patterns::Listed(globs) => globs.iter().any(|g| g.matches(value, fold_ascii)),
        Patterns::Excluded(globs) => !globs.iter().any(|g| g.matches(value, fold_ascii)),
    }
}

/// The values of a (lower-cased) condition key for this request, including the keys Keystead
/// derives from the caller when the request does not set them.
fn request_values<'a>(key: &str, request: &RequestContext<'a>, caller: &Caller<'a>) -> RequestValues<'a> {
    if let Some(values) = request.conditions.get_lower(key) {
        return RequestValues::Many(values);
    }
    match key {
        "aws:principalarn" => RequestValues::One(request.principal_arn),
        "aws:principalaccount" | "kms:calleraccount" => {
            caller.account.map_or(RequestValues::Missing, RequestValues::One)
        }
        _ => RequestValues::Missing,
    }
}

fn statement_applies(statement: &Statement, request: &RequestContext<'_>, caller: &Caller<'_>) -> bool {
    // Cheapest tests first: the action is a short compare, principals a few string compares.
    patterns_match(&statement.actions, request.action, true)
        && principal_matches(&statement.principals, caller) != statement.not_principal
        && patterns_match(&statement.resources, request.resource_arn, false)
        && statement.conditions.iter().all(|c| c.holds(request_values(c.key(), request, caller)))
}
