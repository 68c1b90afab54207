//! A deliberately simple reference evaluator, for tests only.
//!
//! It is written separately from `document` / `condition` / `evaluate` and shares no code with
//! them: it walks the `serde_json::Value` of a policy on every call, matches wildcards with a
//! recursive function over character slices, parses numbers, dates and IP addresses its own way,
//! and spells out the IAM rules case by case. It assumes the policy already passed
//! `PolicyDocument::parse` (it does not validate). The differential property test below feeds
//! random policies and requests to both evaluators and requires the same decision and the same
//! deciding statements; the decision table of `tests/data/policy/decision_table.json` is run
//! through it as well.

use std::collections::BTreeMap;

use serde_json::Value;

/// A request as the reference sees it: condition keys as written (any case) to their values.
pub(crate) struct RefRequest<'a> {
    pub(crate) principal: &'a str,
    pub(crate) action: &'a str,
    pub(crate) resource: &'a str,
    pub(crate) context: &'a BTreeMap<String, Vec<String>>,
}

/// The decision name ("Allow", "ExplicitDeny", "ImplicitDeny") and the deciding statements.
pub(crate) fn reference_evaluate(policy: &Value, request: &RefRequest<'_>) -> (&'static str, Vec<String>) {
    let statements: Vec<Value> = match &policy["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let mut allow = Vec::new();
    let mut deny = Vec::new();
    for (i, st) in statements.iter().enumerate() {
        let name = match st.get("Sid") {
            Some(Value::String(s)) => s.clone(),
            _ => format!("#{i}"),
        };
        if statement_matches(st, request) {
            if st["Effect"] == "Deny" {
                deny.push(name);
            } else {
                allow.push(name);
            }
        }
    }
    if !deny.is_empty() {
        ("ExplicitDeny", deny)
    } else if !allow.is_empty() {
        ("Allow", allow)
    } else {
        ("ImplicitDeny", vec![])
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => vec![n.to_string()],
        Value::Bool(b) => vec![b.to_string()],
        _ => vec![],
    }
}

fn statement_matches(st: &Value, req: &RefRequest<'_>) -> bool {
    // Principal
    let principal_ok = if let Some(p) = st.get("Principal") {
        principal_in(p, req.principal)
    } else if let Some(p) = st.get("NotPrincipal") {
        !principal_in(p, req.principal)
    } else {
        false
    };
    // Action (case-insensitive)
    let action_lc = req.action.to_lowercase();
    let action_ok = if let Some(a) = st.get("Action") {
        strings(a).iter().any(|p| wildcard(&p.to_lowercase(), &action_lc))
    } else if let Some(a) = st.get("NotAction") {
        !strings(a).iter().any(|p| wildcard(&p.to_lowercase(), &action_lc))
    } else {
        false
    };
    let resource_ok = if let Some(r) = st.get("Resource") {
        strings(r).iter().any(|p| wildcard(p, req.resource))
    } else if let Some(r) = st.get("NotResource") {
        !strings(r).iter().any(|p| wildcard(p, req.resource))
    } else {
        false
    };
    if !(principal_ok && action_ok && resource_ok) {
        return false;
    }
    let Some(Value::Object(ops)) = st.get("Condition") else { return true };
    for (op, keys) in ops {
        let Value::Object(keys) = keys else { return false };
        for (key, vals) in keys {
            let present = lookup(req, key);
            if !condition(op, &strings(vals), &present) {
                return false;
            }
        }
    }
    true
}

/// Arn parts by position, or None when there are not six.
fn arn_fields(arn: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = arn;
    for _ in 0..5 {
        let idx = rest.find(':')?;
        out.push(rest[..idx].to_string());
        rest = &rest[idx + 1..];
    }
    out.push(rest.to_string());
    Some(out)
}

fn principal_in(p: &Value, caller: &str) -> bool {
    let mut names = Vec::new();
    match p {
        Value::String(s) => names.push(s.clone()),
        Value::Object(m) => {
            for v in m.values() {
                names.extend(strings(v));
            }
        }
        _ => {}
    }
    let c = arn_fields(caller);
    for name in names {
        if name == "*" || name == caller {
            return true;
        }
        let Some(c) = &c else { continue };
        if c[4].is_empty() {
            continue;
        }
        if name.len() == 12 && name.chars().all(|ch| ch.is_ascii_digit()) && c[4] == name {
            return true;
        }
        let Some(n) = arn_fields(&name) else { continue };
        if n[2] == "iam" && n[5] == "root" && n[1] == c[1] && n[4] == c[4] {
            return true;
        }
        // A role matches its sessions.
        if n[2] == "iam" && n[5].starts_with("role/") && c[2] == "sts" && c[1] == n[1] && c[4] == n[4] {
            let role_name = n[5].split('/').next_back().unwrap_or_default();
            let session = c[5].strip_prefix("assumed-role/").unwrap_or("");
            let session_role = session.split('/').next().unwrap_or("");
            if c[5].starts_with("assumed-role/") && session_role == role_name {
                return true;
            }
        }
    }
    false
}

fn lookup(req: &RefRequest<'_>, key: &str) -> Vec<String> {
    for (k, v) in req.context {
        if k.to_lowercase() == key.to_lowercase() {
            return v.clone();
        }
    }
    let lk = key.to_lowercase();
    if lk == "aws:principalarn" {
        return vec![req.principal.to_string()];
    }
    if lk == "aws:principalaccount" || lk == "kms:calleraccount" {
        if let Some(f) = arn_fields(req.principal) {
            if f[0] == "arn" && !f[4].is_empty() {
                return vec![f[4].clone()];
            }
        }
    }
    vec![]
}

/// Recursive `*`/`?` matching over characters.
fn wildcard(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    // Collapse star runs so the recursion stays small on generated patterns.
    let mut p: Vec<char> = Vec::new();
    for ch in pattern.chars() {
        if !(ch == '*' && p.last() == Some(&'*')) {
            p.push(ch);
        }
    }
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

fn number(s: &str) -> Option<f64> {
    let s = s.trim();
    let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Seconds*1000 since 1970 by counting days year by year and month by month (slow, obvious).
fn date(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse::<i64>().ok().and_then(|v| v.checked_mul(1000));
    }
    let (day_part, time_part) = match s.find(['T', 't']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let ymd: Vec<&str> = day_part.split('-').collect();
    if ymd.len() != 3 || ymd[0].len() != 4 || ymd[1].len() != 2 || ymd[2].len() != 2 {
        return None;
    }
    let all_digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
    if !ymd.iter().all(|x| all_digits(x)) {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (ymd[0].parse().ok()?, ymd[1].parse().ok()?, ymd[2].parse().ok()?);
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_len = [31, if leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > month_len[(m - 1) as usize] {
        return None;
    }
    let mut days = 0i64;
    if y >= 1970 {
        for yy in 1970..y {
            days += if leap(yy) { 366 } else { 365 };
        }
    } else {
        for yy in y..1970 {
            days -= if leap(yy) { 366 } else { 365 };
        }
    }
    for mm in 0..(m - 1) {
        days += month_len[mm as usize];
    }
    days += d - 1;
    let mut ms = days * 86_400_000;
    let Some(time) = time_part else { return Some(ms) };
    // Split off the zone.
    let (clock, zone) = if let Some(stripped) = time.strip_suffix(['Z', 'z']) {
        (stripped, "")
    } else if let Some(i) = time.rfind(['+', '-']) {
        (&time[..i], &time[i..])
    } else {
        (time, "")
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (clock, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    if !(parts.len() == 2 || parts.len() == 3) || !parts.iter().all(|x| x.len() == 2 && all_digits(x)) {
        return None;
    }
    if frac.is_some() && parts.len() != 3 {
        return None;
    }
    let h: i64 = parts[0].parse().ok()?;
    let mi: i64 = parts[1].parse().ok()?;
    let sec: i64 = if parts.len() == 3 { parts[2].parse().ok()? } else { 0 };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    ms += (h * 3600 + mi * 60 + sec) * 1000;
    if let Some(f) = frac {
        if !all_digits(f) {
            return None;
        }
        let padded: String = f.chars().chain("000".chars()).take(3).collect();
        ms += padded.parse::<i64>().ok()?;
    }
    if !zone.is_empty() {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let z = &zone[1..];
        let (zh, zm) = match z.len() {
            5 if &z[2..3] == ":" => (&z[..2], &z[3..]),
            4 => (&z[..2], &z[2..]),
            2 => (z, "00"),
            _ => return None,
        };
        if !all_digits(zh) || !all_digits(zm) {
            return None;
        }
        let (zh, zm): (i64, i64) = (zh.parse().ok()?, zm.parse().ok()?);
        if zh > 23 || zm > 59 {
            return None;
        }
        ms -= sign * (zh * 3600 + zm * 60) * 1000;
    }
    Some(ms)
}

/// An IP address as a bit string ("0"/"1" characters), v4 prefixed with "4", v6 with "6".
fn ip_bits(s: &str) -> Option<String> {
    let addr: std::net::IpAddr = s.trim().parse().ok()?;
    Some(match addr {
        std::net::IpAddr::V4(a) => "4".to_string() + &a.octets().iter().map(|o| format!("{o:08b}")).collect::<String>(),
        std::net::IpAddr::V6(a) => "6".to_string() + &a.octets().iter().map(|o| format!("{o:08b}")).collect::<String>(),
    })
}

fn ip_in(range: &str, addr: &str) -> bool {
    let (net, len) = match range.split_once('/') {
        Some((n, l)) => (n, l.trim().parse::<usize>().ok()),
        None => (range, None),
    };
    let (Some(nb), Some(ab)) = (ip_bits(net), ip_bits(addr)) else { return false };
    if nb.as_bytes()[0] != ab.as_bytes()[0] {
        return false;
    }
    let len = len.unwrap_or(nb.len() - 1);
    nb[1..1 + len] == ab[1..1 + len]
}

fn truthy(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// One operator (without prefix, IfExists or negation) between a policy value and a request value.
fn base_match(base: &str, policy: &str, request: &str) -> bool {
    match base {
        "StringEquals" => policy == request,
        "StringEqualsIgnoreCase" => policy.to_lowercase() == request.to_lowercase(),
        "StringLike" => wildcard(policy, request),
        "NumericEquals"
        | "NumericLessThan"
        | "NumericLessThanEquals"
        | "NumericGreaterThan"
        | "NumericGreaterThanEquals" => {
            let (Some(p), Some(r)) = (number(policy), number(request)) else { return false };
            match base {
                "NumericEquals" => r == p,
                "NumericLessThan" => r < p,
                "NumericLessThanEquals" => r <= p,
                "NumericGreaterThan" => r > p,
                _ => r >= p,
            }
        }
        "DateEquals" | "DateLessThan" | "DateLessThanEquals" | "DateGreaterThan" | "DateGreaterThanEquals" => {
            let (Some(p), Some(r)) = (date(policy), date(request)) else { return false };
            match base {
                "DateEquals" => r == p,
                "DateLessThan" => r < p,
                "DateLessThanEquals" => r <= p,
                "DateGreaterThan" => r > p,
                _ => r >= p,
            }
        }
        "Bool" => truthy(policy).is_some() && truthy(policy) == truthy(request),
        "BinaryEquals" => {
            use base64::Engine;
            let e = base64::engine::general_purpose::STANDARD;
            matches!((e.decode(policy), e.decode(request)), (Ok(a), Ok(b)) if a == b)
        }
        "IpAddress" => ip_in(policy, request),
        "ArnEquals" | "ArnLike" => match (arn_fields(policy), arn_fields(request)) {
            (Some(p), Some(r)) => p.iter().zip(r.iter()).all(|(pp, rr)| wildcard(pp, rr)),
            (None, _) => wildcard(policy, request),
            (Some(_), None) => false,
        },
        _ => false,
    }
}

fn condition(op: &str, policy_values: &[String], request_values: &[String]) -> bool {
    let (set, rest) = if let Some(r) = op.strip_prefix("ForAnyValue:") {
        ("any", r)
    } else if let Some(r) = op.strip_prefix("ForAllValues:") {
        ("all", r)
    } else {
        ("", op)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let present = !request_values.is_empty();
    if base == "Null" {
        return policy_values.iter().any(|v| truthy(v) == Some(!present));
    }
    let (positive, negated) = match base {
        "StringNotEquals" => ("StringEquals", true),
        "StringNotEqualsIgnoreCase" => ("StringEqualsIgnoreCase", true),
        "StringNotLike" => ("StringLike", true),
        "NumericNotEquals" => ("NumericEquals", true),
        "DateNotEquals" => ("DateEquals", true),
        "NotIpAddress" => ("IpAddress", true),
        "ArnNotEquals" | "ArnNotLike" => ("ArnEquals", true),
        other => (other, false),
    };
    if !present {
        if if_exists {
            return true;
        }
        return match set {
            "all" => true,
            "any" => false,
            _ => negated,
        };
    }
    let hit = |r: &String| policy_values.iter().any(|p| base_match(positive, p, r));
    match set {
        "any" => request_values.iter().any(|r| hit(r) != negated),
        "all" => request_values.iter().all(|r| hit(r) != negated),
        _ => request_values.iter().any(hit) != negated,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::policy::condition::ConditionValues;
    use crate::policy::document::PolicyDocument;
    use crate::policy::evaluate::{evaluate, Decision, RequestContext};
    use proptest::prelude::*;

    fn decision_name(d: Decision) -> &'static str {
        match d {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }

    /// Both evaluators on one policy text and request; panics (with the inputs) on disagreement.
    fn check_both(text: &str, principal: &str, action: &str, resource: &str, ctx: &BTreeMap<String, Vec<String>>) {
        let doc = PolicyDocument::parse(text).unwrap();
        let mut values = ConditionValues::new();
        for (k, v) in ctx {
            values.set_multi(k, v.clone());
        }
        let request = RequestContext { principal_arn: principal, action, resource_arn: resource, conditions: &values };
        let fast = evaluate(&doc, &request);
        let decided = crate::policy::evaluate::decide(&doc, &request);
        let value: Value = serde_json::from_str(text).unwrap();
        let (ref_decision, ref_statements) =
            reference_evaluate(&value, &RefRequest { principal, action, resource, context: ctx });
        assert_eq!(
            (decision_name(fast.decision), &fast.deciding_statements),
            (ref_decision, &ref_statements),
            "policy {text}\nprincipal {principal} action {action} resource {resource} context {ctx:?}"
        );
        assert_eq!(decided, fast.decision);
    }

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn decision_table_through_the_reference() {
        let table: Value = serde_json::from_str(include_str!("../../tests/data/policy/decision_table.json")).unwrap();
        let mut count = 0;
        for group in table["groups"].as_array().unwrap() {
            let policy = group["policy"].to_string();
            for case in group["cases"].as_array().unwrap() {
                let mut ctx = BTreeMap::new();
                if let Some(obj) = case.get("context").and_then(Value::as_object) {
                    for (k, v) in obj {
                        ctx.insert(k.clone(), strings(v));
                    }
                }
                let principal = case["principal"].as_str().unwrap();
                let action = case["action"].as_str().unwrap();
                let resource = case.get("resource").and_then(Value::as_str).unwrap_or(KEY);
                let value: Value = serde_json::from_str(&policy).unwrap();
                let (decision, _) =
                    reference_evaluate(&value, &RefRequest { principal, action, resource, context: &ctx });
                assert_eq!(decision, case["expect"].as_str().unwrap(), "group {} case {case}", group["source"]);
                check_both(&policy, principal, action, resource, &ctx);
                count += 1;
            }
        }
        assert!(count >= 200, "only {count} cases");
    }

    // ---- random policies -------------------------------------------------------------------

    const PRINCIPALS: &[&str] = &[
        "arn:aws:iam::111122223333:role/checkout",
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:sts::111122223333:assumed-role/checkout/session-1",
        "arn:aws:sts::111122223333:assumed-role/other/session-1",
        "arn:aws:iam::444455556666:role/checkout",
        "arn:aws:iam::444455556666:root",
        "arn:aws-cn:iam::111122223333:user/alice",
        "kms.amazonaws.com",
    ];
    const POLICY_PRINCIPALS: &[&str] = &[
        "\"*\"",
        "{\"AWS\":\"*\"}",
        "{\"AWS\":\"111122223333\"}",
        "{\"AWS\":\"arn:aws:iam::111122223333:root\"}",
        "{\"AWS\":\"arn:aws:iam::111122223333:role/checkout\"}",
        "{\"AWS\":\"arn:aws:iam::111122223333:role/path/checkout\"}",
        "{\"AWS\":[\"arn:aws:iam::111122223333:user/alice\",\"444455556666\"]}",
        "{\"AWS\":\"arn:aws:sts::111122223333:assumed-role/other/session-1\"}",
        "{\"Service\":\"kms.amazonaws.com\"}",
    ];
    const ACTIONS: &[&str] = &["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy", "KMS:ENCRYPT"];
    const ACTION_PATTERNS: &[&str] =
        &["*", "kms:*", "kms:Encrypt", "kms:Encrypt*", "kms:*Key*", "kms:?ecrypt", "KMS:DECRYPT", "kms:Put*"];
    const RESOURCES: &[&str] = &[KEY, "arn:aws:kms:us-east-1:111122223333:key/other"];
    const RESOURCE_PATTERNS: &[&str] =
        &["*", KEY, "arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:111122223333:key/1234*"];
    const OPERATORS: &[&str] = &[
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericGreaterThanEquals",
        "DateLessThan",
        "DateGreaterThan",
        "DateNotEquals",
        "Bool",
        "IpAddress",
        "NotIpAddress",
        "ArnLike",
        "ArnNotEquals",
        "BinaryEquals",
        "Null",
    ];
    const KEYS: &[&str] = &[
        "kms:EncryptionContext:Dept",
        "kms:EncryptionContextKeys",
        "kms:GrantOperations",
        "aws:SourceIp",
        "aws:PrincipalArn",
        "aws:CurrentTime",
        "kms:RotationPeriodInDays",
        "kms:GrantIsForAWSResource",
    ];
    /// Values the generator draws from for both sides, so that matches happen often.
    const VALUES: &[&str] = &[
        "IT",
        "it",
        "Sales",
        "S*",
        "?T",
        "Encrypt",
        "Decrypt",
        "10",
        "365",
        "90.0",
        "true",
        "false",
        "TRUE",
        "2024-01-01T00:00:00Z",
        "2024-06-01",
        "1717200000",
        "203.0.113.0/24",
        "203.0.113.9",
        "2001:db8::/32",
        "arn:aws:iam::111122223333:role/*",
        "arn:aws:iam::111122223333:role/checkout",
        "aGVsbG8=",
        "",
    ];

    fn valid_for(op: &str, value: &str) -> bool {
        let base =
            op.trim_start_matches("ForAnyValue:").trim_start_matches("ForAllValues:").trim_end_matches("IfExists");
        match base {
            n if n.starts_with("Numeric") => number(value).is_some(),
            d if d.starts_with("Date") => date(value).is_some(),
            "Bool" | "Null" => truthy(value).is_some(),
            "IpAddress" | "NotIpAddress" => match value.split_once('/') {
                Some((a, p)) => {
                    let max = if a.contains(':') { 128 } else { 32 };
                    a.parse::<std::net::IpAddr>().is_ok() && p.parse::<u8>().is_ok_and(|p| p <= max)
                }
                None => value.parse::<std::net::IpAddr>().is_ok(),
            },
            "BinaryEquals" => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(value).is_ok()
            }
            _ => true,
        }
    }

    fn json_str(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    prop_compose! {
        fn condition_entry()(op in 0..OPERATORS.len(), qualifier in 0..3usize, if_exists in any::<bool>(),
                             key in 0..KEYS.len(), vals in prop::collection::vec(0..VALUES.len(), 1..3))
                             -> Option<String> {
            let base = OPERATORS[op];
            let mut name = String::new();
            if base != "Null" {
                name.push_str(["", "ForAnyValue:", "ForAllValues:"][qualifier]);
            }
            name.push_str(base);
            if if_exists && base != "Null" {
                name.push_str("IfExists");
            }
            let values: Vec<&str> = vals.iter().map(|i| VALUES[*i]).filter(|v| valid_for(base, v)).collect();
            if values.is_empty() {
                None
            } else {
                let list: Vec<String> = values.iter().map(|v| json_str(v)).collect();
                Some(format!("{{\"{name}\":{{{}:[{}]}}}}", json_str(KEYS[key]), list.join(",")))
            }
        }
    }

    prop_compose! {
        fn statement()(sid in prop::option::of(0..1000u32), deny in any::<bool>(), not_principal in prop::bool::weighted(0.15),
                       principal in 0..POLICY_PRINCIPALS.len(), not_action in prop::bool::weighted(0.2),
                       actions in prop::collection::vec(0..ACTION_PATTERNS.len(), 1..3),
                       not_resource in prop::bool::weighted(0.1), resource in 0..RESOURCE_PATTERNS.len(),
                       conds in prop::collection::vec(condition_entry(), 0..3)) -> (Option<u32>, String) {
            let mut fields = Vec::new();
            fields.push(format!("\"Effect\":\"{}\"", if deny { "Deny" } else { "Allow" }));
            fields.push(format!("\"{}\":{}", if not_principal { "NotPrincipal" } else { "Principal" }, POLICY_PRINCIPALS[principal]));
            let acts: Vec<String> = actions.iter().map(|i| json_str(ACTION_PATTERNS[*i])).collect();
            fields.push(format!("\"{}\":[{}]", if not_action { "NotAction" } else { "Action" }, acts.join(",")));
            fields.push(format!("\"{}\":{}", if not_resource { "NotResource" } else { "Resource" }, json_str(RESOURCE_PATTERNS[resource])));
            // Several operators go into one Condition object; a repeated operator would be a
            // JSON duplicate key, so each condition gets its own operator slot by merging.
            let mut merged: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for c in conds.into_iter().flatten() {
                let v: Value = serde_json::from_str(&c).unwrap();
                for (op, keys) in v.as_object().unwrap() {
                    for (k, vals) in keys.as_object().unwrap() {
                        merged.entry(op.clone()).or_default().push(format!("{}:{}", json_str(k), vals));
                    }
                }
            }
            if !merged.is_empty() {
                let ops: Vec<String> = merged.iter().map(|(op, kv)| {
                    // Later duplicates of a key under one operator would be dropped by the JSON
                    // parser in both evaluators alike; keep only the first.
                    let mut seen = std::collections::BTreeSet::new();
                    let kv: Vec<&String> = kv.iter().filter(|e| seen.insert(e.split(':').take(2).collect::<String>())).collect();
                    format!("{}:{{{}}}", json_str(op), kv.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","))
                }).collect();
                fields.push(format!("\"Condition\":{{{}}}", ops.join(",")));
            }
            (sid, fields.join(","))
        }
    }

    fn policy_text(statements: &[(Option<u32>, String)]) -> String {
        let mut used = std::collections::BTreeSet::new();
        let body: Vec<String> = statements
            .iter()
            .map(|(sid, fields)| match sid {
                Some(s) if used.insert(*s) => format!("{{\"Sid\":\"s{s}\",{fields}}}"),
                _ => format!("{{{fields}}}"),
            })
            .collect();
        format!("{{\"Version\":\"2012-10-17\",\"Statement\":[{}]}}", body.join(","))
    }

    prop_compose! {
        fn context()(entries in prop::collection::vec((0..KEYS.len(), prop::collection::vec(0..VALUES.len(), 0..3)), 0..4))
                    -> BTreeMap<String, Vec<String>> {
            let mut ctx = BTreeMap::new();
            for (k, vs) in entries {
                // Drop patterns and CIDRs: request values are concrete.
                let values: Vec<String> = vs.iter().map(|i| VALUES[*i].to_string()).filter(|v| !v.contains('/') || v.starts_with("arn:")).collect();
                ctx.insert(KEYS[k].to_string(), values);
            }
            ctx
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn compiled_evaluator_agrees_with_reference(statements in prop::collection::vec(statement(), 1..5),
                                                     principal in 0..PRINCIPALS.len(), action in 0..ACTIONS.len(),
                                                     resource in 0..RESOURCES.len(), ctx in context()) {
            let text = policy_text(&statements);
            check_both(&text, PRINCIPALS[principal], ACTIONS[action], RESOURCES[resource], &ctx);
        }
    }
}
