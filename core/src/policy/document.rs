//! Key policy documents: parsing, validation and the compiled form the evaluator uses.
//!
//! A document is checked once, when it is put (CreateKey, PutKeyPolicy), and compiled into
//! [`PolicyDocument`]; evaluation never looks at JSON again. What is checked, and the exception
//! each failure gives:
//! - larger than 32,768 bytes: `LimitExceededException` (the quota AWS documents for key
//!   policies, not adjustable; kms-behaviour.md §5.5);
//! - characters outside U+0009, U+000A, U+000D, U+0020–U+00FF, bad JSON, a `Version` other than
//!   `2012-10-17` / `2008-10-17`, unknown top-level or statement fields, no `Statement`,
//!   duplicate `Sid`s, an `Effect` other than `Allow` / `Deny`, a missing `Principal` (or both
//!   `Principal` and `NotPrincipal`), an invalid principal, both `Action` and `NotAction` (or
//!   both `Resource` and `NotResource`), an action outside `kms:`, an unknown `kms:` action
//!   without wildcards, an unknown condition operator or key, or a condition value its operator
//!   cannot read, or a JSON object with the same key twice (Keystead's choice: a plain JSON
//!   parser would keep only the last one): `MalformedPolicyDocumentException`, the message
//!   naming the problem.
//!
//! As in AWS (kms-behaviour.md §5.5), a statement without `Action`/`NotAction` or without
//! `Resource`/`NotResource` is accepted but never applies.
//!
//! Principals. Keystead has no IAM layer, so a policy is the whole story: the account principal
//! (`arn:aws:iam::111122223333:root` or just `111122223333`), which in AWS delegates to the
//! account's IAM policies, here stands for **every principal of that account** (any ARN whose
//! account field is `111122223333`, in the same partition for the ARN form). A role ARN also
//! matches the sessions of that role (`arn:aws:sts::ACCT:assumed-role/NAME/SESSION`). Other ARNs
//! match exactly. `*` matches everyone; wildcards inside a principal ARN are invalid, as in AWS.
//! `Service`, `Federated` and `CanonicalUser` principals are matched literally against the
//! caller string.

use std::collections::HashSet;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::condition::{compile_conditions, malformed, Condition, Glob};
use crate::error::{Error, ErrorKind, Result};

/// The largest key policy accepted, in bytes (AWS's key policy size quota).
pub const MAX_POLICY_BYTES: usize = 32_768;

/// Every KMS action name, lower-cased after `kms:`; a literal action outside this list is a
/// typo that would silently never match (dangerous in a Deny), so it is rejected.
const KMS_ACTIONS: &[&str] = &[
    "cancelkeydeletion",
    "connectcustomkeystore",
    "createalias",
    "createcustomkeystore",
    "creategrant",
    "createkey",
    "decapsulate",
    "decrypt",
    "deletealias",
    "deletecustomkeystore",
    "deleteimportedkeymaterial",
    "derivesharedsecret",
    "describecustomkeystores",
    "describekey",
    "disablekey",
    "disablekeyrotation",
    "disconnectcustomkeystore",
    "enablekey",
    "enablekeyrotation",
    "encapsulate",
    "encrypt",
    "generatedatakey",
    "generatedatakeypair",
    "generatedatakeypairwithoutplaintext",
    "generatedatakeywithoutplaintext",
    "generatemac",
    "generaterandom",
    "getkeylastusage",
    "getkeypolicy",
    "getkeyrotationstatus",
    "getparametersforimport",
    "getpublickey",
    "importkeymaterial",
    "listaliases",
    "listgrants",
    "listkeypolicies",
    "listkeyrotations",
    "listkeys",
    "listresourcetags",
    "listretirablegrants",
    "putkeypolicy",
    "reencryptfrom",
    "reencryptto",
    "replicatekey",
    "retiregrant",
    "revokegrant",
    "rotatekeyondemand",
    "schedulekeydeletion",
    "sign",
    "synchronizemultiregionkey",
    "tagresource",
    "untagresource",
    "updatealias",
    "updatecustomkeystore",
    "updatekeydescription",
    "updateprimaryregion",
    "verify",
    "verifymac",
];

/// The message AWS KMS gives for a bad principal.
const INVALID_PRINCIPAL: &str = "Policy contains a statement with one or more invalid principals.";

/// Allow or Deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The statement grants access.
    Allow,
    /// The statement refuses access; a matching Deny beats every Allow.
    Deny,
}

/// The principals one `Principal` / `NotPrincipal` element names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PrincipalSet {
    /// `*` or `{"AWS": "*"}`.
    pub(crate) everyone: bool,
    /// Accounts (partition `None` for the bare account-id form).
    pub(crate) accounts: Vec<(Option<String>, String)>,
    /// ARNs matched exactly.
    pub(crate) arns: Vec<String>,
    /// Roles: (partition, account, role name) for matching their assumed-role sessions.
    pub(crate) roles: Vec<(String, String, String)>,
    /// Service, federated and canonical-user principals, matched literally.
    pub(crate) literals: Vec<String>,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: which form, and its patterns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Patterns {
    /// The element is absent: the statement never applies.
    Missing,
    /// `Action` / `Resource`: applies when a pattern matches.
    Listed(Vec<Glob>),
    /// `NotAction` / `NotResource`: applies when no pattern matches.
    Excluded(Vec<Glob>),
}

/// One compiled statement.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Statement {
    /// The Sid, or `#<index>` (0-based position in `Statement`) without one.
    pub(crate) label: String,
    pub(crate) effect: Effect,
    /// The principals, and whether the element was `NotPrincipal`.
    pub(crate) principals: PrincipalSet,
    pub(crate) not_principal: bool,
    /// Action patterns, lower-cased (actions compare case-insensitively).
    pub(crate) actions: Patterns,
    /// Resource patterns (case-sensitive).
    pub(crate) resources: Patterns,
    pub(crate) conditions: Vec<Condition>,
}

/// A parsed and validated key policy.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDocument {
    text: String,
    version: String,
    id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Parses and validates a key policy (see the module documentation for every check).
    ///
    /// # Errors
    /// `LimitExceeded` over [`MAX_POLICY_BYTES`]; `MalformedPolicyDocument` naming the problem
    /// otherwise.
    pub fn parse(text: &str) -> Result<PolicyDocument> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("The key policy is {} bytes; the limit is {MAX_POLICY_BYTES} bytes", text.len()),
            ));
        }
        if let Some(bad) = text.chars().find(|c| !matches!(*c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')) {
            return Err(malformed(format!(
                "The key policy contains the character U+{:04X}; allowed are U+0009, U+000A, U+000D and U+0020 to U+00FF",
                u32::from(bad)
            )));
        }
        let StrictJson(root) = serde_json::from_str(text).map_err(|e| {
            if e.is_data() {
                malformed(format!("The key policy is ambiguous: {e}"))
            } else {
                malformed(format!("The key policy is not valid JSON: {e}"))
            }
        })?;
        let root = root.as_object().ok_or_else(|| malformed("The key policy must be a JSON object"))?;
        for field in root.keys() {
            if !matches!(field.as_str(), "Version" | "Id" | "Statement") {
                return Err(malformed(format!("The key policy has an unknown top-level field '{field}'")));
            }
        }
        // IAM takes a document without Version as 2008-10-17.
        let version = match root.get("Version") {
            None => "2008-10-17".to_owned(),
            Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => v.clone(),
            Some(other) => {
                return Err(malformed(format!(
                    "The policy Version {other} is not supported; use \"2012-10-17\" (or \"2008-10-17\")"
                )))
            }
        };
        let id = match root.get("Id") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(_) => return Err(malformed("The policy Id must be a string")),
        };
        let raw_statements: Vec<&Value> = match root.get("Statement") {
            None => return Err(malformed("The key policy has no Statement")),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single @ Value::Object(_)) => vec![single],
            Some(_) => return Err(malformed("The Statement element must be an object or an array of objects")),
        };
        if raw_statements.is_empty() {
            return Err(malformed("The key policy's Statement list is empty; it needs at least one statement"));
        }
        let mut sids = HashSet::new();
        let mut statements = Vec::with_capacity(raw_statements.len());
        for (index, raw) in raw_statements.into_iter().enumerate() {
            let object = raw.as_object().ok_or_else(|| malformed(format!("Statement #{index} is not an object")))?;
            let statement = compile_statement(index, object)?;
            if object.contains_key("Sid") && !sids.insert(statement.label.clone()) {
                return Err(malformed(format!("The Sid '{}' is used by more than one statement", statement.label)));
            }
            statements.push(statement);
        }
        Ok(PolicyDocument { text: text.to_owned(), version, id, statements })
    }

    /// The original text, as PutKeyPolicy received it (returned unchanged by GetKeyPolicy).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The document's `Version` (`2008-10-17` when it had none).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The document's `Id`, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The labels of the statements in order: each Sid, or `#<index>` for a statement without.
    pub fn statement_labels(&self) -> impl Iterator<Item = &str> {
        self.statements.iter().map(|s| s.label.as_str())
    }
}

/// A JSON value parsed like `serde_json::Value`, except that an object with the same key twice
/// is an error. Plain JSON parsers keep the last duplicate, so a policy with two `StringEquals`
/// blocks in one `Condition` would silently lose the first one and grant more than its author
/// wrote; Keystead rejects such a document instead (AWS does not document what it does).
struct StrictJson(Value);

impl<'de> Deserialize<'de> for StrictJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictJson)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!("the key '{key}' appears twice in one object")));
            }
            let StrictJson(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

fn compile_statement(index: usize, object: &Map<String, Value>) -> Result<Statement> {
    for field in object.keys() {
        if !matches!(
            field.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(malformed(format!("Statement #{index} has an unknown field '{field}'")));
        }
    }
    let label = match object.get("Sid") {
        None => format!("#{index}"),
        Some(Value::String(sid)) => sid.clone(),
        Some(_) => return Err(malformed(format!("The Sid of statement #{index} must be a string"))),
    };
    let effect = match object.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(malformed(format!(
                "Statement '{label}' has an invalid Effect {other}; use \"Allow\" or \"Deny\""
            )))
        }
        None => return Err(malformed(format!("Statement '{label}' has no Effect"))),
    };
    let (principals, not_principal) = match (object.get("Principal"), object.get("NotPrincipal")) {
        (Some(p), None) => (compile_principal(p)?, false),
        (None, Some(p)) => (compile_principal(p)?, true),
        (Some(_), Some(_)) => {
            return Err(malformed(format!("Statement '{label}' has both Principal and NotPrincipal")));
        }
        (None, None) => {
            return Err(malformed(format!("Statement '{label}' has no Principal; a key policy statement needs one")))
        }
    };
    let actions = compile_patterns(&label, object, "Action", "NotAction", true)?;
    let resources = compile_patterns(&label, object, "Resource", "NotResource", false)?;
    let conditions = match object.get("Condition") {
        None => Vec::new(),
        Some(element) => compile_conditions(element)?,
    };
    Ok(Statement { label, effect, principals, not_principal, actions, resources, conditions })
}

/// A string or a non-empty list of strings.
fn string_list<'a>(value: &'a Value, what: &str) -> Result<Vec<&'a str>> {
    let items: Vec<&str> = match value {
        Value::String(s) => vec![s],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().ok_or_else(|| malformed(format!("{what} must be a string or a list of strings"))))
            .collect::<Result<_>>()?,
        _ => return Err(malformed(format!("{what} must be a string or a list of strings"))),
    };
    if items.is_empty() {
        return Err(malformed(format!("{what} must not be an empty list")));
    }
    Ok(items)
}

fn compile_patterns(
    label: &str,
    object: &Map<String, Value>,
    listed: &str,
    excluded: &str,
    is_action: bool,
) -> Result<Patterns> {
    let (raw, exclude) = match (object.get(listed), object.get(excluded)) {
        (None, None) => return Ok(Patterns::Missing),
        (Some(raw), None) => (raw, false),
        (None, Some(raw)) => (raw, true),
        (Some(_), Some(_)) => {
            return Err(malformed(format!("Statement '{label}' has both {listed} and {excluded}")));
        }
    };
    let element = if exclude { excluded } else { listed };
    let mut globs = Vec::new();
    for item in string_list(raw, &format!("The {element} of statement '{label}'"))? {
        if is_action {
            check_action(label, item)?;
        } else if item.is_empty() {
            return Err(malformed(format!("Statement '{label}' has an empty {element}")));
        }
        globs.push(Glob::new(item, is_action));
    }
    Ok(if exclude { Patterns::Excluded(globs) } else { Patterns::Listed(globs) })
}

fn check_action(label: &str, action: &str) -> Result<()> {
    if action == "*" {
        return Ok(());
    }
    let Some((service, name)) = action.split_once(':') else {
        return Err(malformed(format!(
            "Statement '{label}' has an invalid action '{action}'; actions look like kms:Encrypt"
        )));
    };
    if !service.eq_ignore_ascii_case("kms") {
        return Err(malformed(format!(
            "Statement '{label}' has the action '{action}'; a key policy only governs kms: actions"
        )));
    }
    if name.is_empty() || name.contains(':') {
        return Err(malformed(format!("Statement '{label}' has an invalid action '{action}'")));
    }
    if !name.contains(['*', '?']) && !KMS_ACTIONS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(malformed(format!("Statement '{label}' has an unknown action '{action}'")));
    }
    Ok(())
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

fn compile_principal(element: &Value) -> Result<PrincipalSet> {
    let mut set = PrincipalSet::default();
    match element {
        Value::String(s) if s == "*" => set.everyone = true,
        Value::Object(types) if !types.is_empty() => {
            for (kind, value) in types {
                let names = string_list(value, "A principal").map_err(|_| malformed(INVALID_PRINCIPAL))?;
                for name in names {
                    match kind.as_str() {
                        "AWS" => add_aws_principal(&mut set, name)?,
                        "Service" | "Federated" | "CanonicalUser" => {
                            if name.is_empty() || name.contains(['*', '?']) {
                                return Err(malformed(INVALID_PRINCIPAL));
                            }
                            set.literals.push(name.to_owned());
                        }
                        _ => return Err(malformed(format!("Unknown principal type '{kind}'; use AWS or Service"))),
                    }
                }
            }
        }
        _ => return Err(malformed(INVALID_PRINCIPAL)),
    }
    Ok(set)
}

fn add_aws_principal(set: &mut PrincipalSet, name: &str) -> Result<()> {
    if name == "*" {
        set.everyone = true;
        return Ok(());
    }
    if is_account_id(name) {
        set.accounts.push((None, name.to_owned()));
        return Ok(());
    }
    let parts: Vec<&str> = name.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(malformed(INVALID_PRINCIPAL));
    };
    let valid = *arn == "arn"
        && !partition.is_empty()
        && (*service == "iam" || *service == "sts")
        && region.is_empty()
        && is_account_id(account)
        && !resource.is_empty()
        && !name.contains(['*', '?']);
    if !valid {
        return Err(malformed(INVALID_PRINCIPAL));
    }
    if *service == "iam" && *resource == "root" {
        set.accounts.push((Some((*partition).to_owned()), (*account).to_owned()));
        return Ok(());
    }
    if *service == "iam" {
        if let Some(path_and_name) = resource.strip_prefix("role/") {
            // The session ARN drops the role's path: arn:aws:sts::ACCT:assumed-role/NAME/SESSION.
            let role_name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
            set.roles.push(((*partition).to_owned(), (*account).to_owned(), role_name.to_owned()));
        }
    }
    set.arns.push(name.to_owned());
    Ok(())
}

/// AWS's default key policy for a key of `account_id` (what CreateKey applies without a
/// Policy), in the exact text shape GetKeyPolicy returns in AWS's examples.
pub fn default_key_policy(partition: &str, account_id: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:{partition}:iam::{account_id}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}
