//! Authorization of every call: the key policy (cached compiled, by key and policy revision),
//! then the caller's grants; key-policy operations (PutKeyPolicy, GetKeyPolicy,
//! ListKeyPolicies) and `explain`.
//!
//! The order of checks follows AWS: the key is found (NotFoundException), then the caller is
//! authorized (AccessDeniedException, whatever the key's state), then the key's state and usage
//! are checked. Operations that name no key (CreateKey, ListKeys, ListAliases, GenerateRandom,
//! ListRetirableGrants, access keys) are IAM-level in AWS; Keystead has no IAM, so they are
//! allowed to principals of the store's own account and denied to others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;

use crate::calls::params;
use crate::crypto::context::EncryptionContext;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::record::{GrantRecord, KeyRecord};
use crate::keys::spec::GrantOperation;
use crate::policy::condition::ConditionValues;
use crate::policy::condition::Glob;
use crate::policy::document::{default_key_policy, Patterns, PolicyDocument};
use crate::policy::evaluate::{allows_policy_administration, decide, evaluate, Decision, RequestContext};
use crate::policy::grants::{constraints_allow, dry_run_succeeded};
use crate::store::Txn;
use crate::Keystead;
use serde_json::json;

/// The only policy name a key has (AWS also knows `AWS_RAM`, managed by RAM).
pub const DEFAULT_POLICY_NAME: &str = "default";

/// Compiled policies kept at most (then the cache starts over).
const POLICY_CACHE_CAPACITY: usize = 4096;

macro_rules! actions {
    ($( $variant:ident = $text:literal $(=> $grant:ident)? ),+ $(,)?) => {
        /// A KMS action, as named in key policies (`kms:<Operation>`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Action {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant
            ),+
        }

        impl Action {
            /// The policy spelling, e.g. `kms:Encrypt`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// The grant operation that allows this action, if grants can allow it.
            pub const fn grant_operation(self) -> Option<GrantOperation> {
                match self {
                    $(Self::$variant => actions!(@grant $($grant)?)),+
                }
            }

            /// Parses `kms:<Operation>` (case-insensitive, as policy actions are).
            pub fn parse(text: &str) -> Result<Self> {
                $(
                    if text.eq_ignore_ascii_case($text) {
                        return Ok(Self::$variant);
                    }
                )+
                Err(Error::validation(format!("{text} is not a KMS action (expected kms:<Operation>)")))
            }
        }
    };
    (@grant $grant:ident) => { Some(GrantOperation::$grant) };
    (@grant) => { None };
}

actions! {
    CancelKeyDeletion = "kms:CancelKeyDeletion",
    CreateAlias = "kms:CreateAlias",
    CreateGrant = "kms:CreateGrant" => CreateGrant,
    Decrypt = "kms:Decrypt" => Decrypt,
    DeleteAlias = "kms:DeleteAlias",
    DeleteImportedKeyMaterial = "kms:DeleteImportedKeyMaterial",
    DeriveSharedSecret = "kms:DeriveSharedSecret" => DeriveSharedSecret,
    DescribeKey = "kms:DescribeKey" => DescribeKey,
    DisableKey = "kms:DisableKey",
    DisableKeyRotation = "kms:DisableKeyRotation",
    EnableKey = "kms:EnableKey",
    EnableKeyRotation = "kms:EnableKeyRotation",
    Encrypt = "kms:Encrypt" => Encrypt,
    GenerateDataKey = "kms:GenerateDataKey" => GenerateDataKey,
    GenerateDataKeyPair = "kms:GenerateDataKeyPair" => GenerateDataKeyPair,
    GenerateDataKeyPairWithoutPlaintext = "kms:GenerateDataKeyPairWithoutPlaintext" => GenerateDataKeyPairWithoutPlaintext,
    GenerateDataKeyWithoutPlaintext = "kms:GenerateDataKeyWithoutPlaintext" => GenerateDataKeyWithoutPlaintext,
    GenerateMac = "kms:GenerateMac" => GenerateMac,
    GetKeyPolicy = "kms:GetKeyPolicy",
    GetKeyRotationStatus = "kms:GetKeyRotationStatus",
    GetParametersForImport = "kms:GetParametersForImport",
    GetPublicKey = "kms:GetPublicKey" => GetPublicKey,
    ImportKeyMaterial = "kms:ImportKeyMaterial",
    ListGrants = "kms:ListGrants",
    ListKeyPolicies = "kms:ListKeyPolicies",
    ListKeyRotations = "kms:ListKeyRotations",
    ListResourceTags = "kms:ListResourceTags",
    PutKeyPolicy = "kms:PutKeyPolicy",
    ReEncryptFrom = "kms:ReEncryptFrom" => ReEncryptFrom,
    ReEncryptTo = "kms:ReEncryptTo" => ReEncryptTo,
    RetireGrant = "kms:RetireGrant" => RetireGrant,
    RevokeGrant = "kms:RevokeGrant",
    RotateKeyOnDemand = "kms:RotateKeyOnDemand",
    ScheduleKeyDeletion = "kms:ScheduleKeyDeletion",
    Sign = "kms:Sign" => Sign,
    TagResource = "kms:TagResource",
    UntagResource = "kms:UntagResource",
    UpdateAlias = "kms:UpdateAlias",
    UpdateKeyDescription = "kms:UpdateKeyDescription",
    Verify = "kms:Verify" => Verify,
    VerifyMac = "kms:VerifyMac" => VerifyMac,
}

/// One request to authorize: the action and the request's own condition keys (the key's
/// attributes and the caller's are added by [`Keystead::authorize`]).
#[derive(Clone, Debug)]
pub(crate) struct Access<'a> {
    pub(crate) action: Action,
    pub(crate) context: Option<&'a EncryptionContext>,
    /// The request is a dry run: code that authorizes deep inside an operation (Decrypt finds
    /// its key in the blob) stops there with DryRunOperationException.
    pub(crate) dry_run: bool,
    values: Vec<(&'static str, RequestValue<'a>)>,
}

/// The value of one request condition key: most are one string the request already holds
/// (borrowed, so building an `Access` on the hot path allocates almost nothing).
#[derive(Clone, Debug)]
enum RequestValue<'a> {
    One(std::borrow::Cow<'a, str>),
    Many(Vec<String>),
}

impl<'a> Access<'a> {
    pub(crate) fn new(action: Action) -> Self {
        Self { action, context: None, dry_run: false, values: Vec::new() }
    }

    /// Marks the request as a dry run.
    pub(crate) fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The request's encryption context (`kms:EncryptionContext:*`, `kms:EncryptionContextKeys`,
    /// and grant constraints).
    pub(crate) fn context(mut self, context: Option<&'a EncryptionContext>) -> Self {
        self.context = context;
        self
    }

    /// A single-valued request condition key.
    pub(crate) fn value(mut self, key: &'static str, value: impl Into<std::borrow::Cow<'a, str>>) -> Self {
        self.values.push((key, RequestValue::One(value.into())));
        self
    }

    /// A single-valued key, when present.
    pub(crate) fn maybe(self, key: &'static str, value: Option<impl Into<std::borrow::Cow<'a, str>>>) -> Self {
        match value {
            Some(v) => self.value(key, v),
            None => self,
        }
    }

    /// `kms:RequestAlias` when the caller named the key by an alias.
    pub(crate) fn requested(self, key_ref: &'a str) -> Self {
        let alias = key_ref.find("alias/").map(|at| &key_ref[at..]);
        self.maybe("kms:RequestAlias", alias)
    }

    pub(crate) fn grant_operations(mut self, operations: &[GrantOperation]) -> Self {
        let names = operations.iter().map(|op| op.as_str().to_owned()).collect();
        self.values.push(("kms:GrantOperations", RequestValue::Many(names)));
        self
    }

    pub(crate) fn grantee_principal(self, arn: &'a str) -> Self {
        self.value("kms:GranteePrincipal", arn)
    }

    pub(crate) fn retiring_principal(self, arn: Option<&'a str>) -> Self {
        self.maybe("kms:RetiringPrincipal", arn)
    }
}

/// How a call was allowed.
#[derive(Clone, Debug)]
pub(crate) struct Authorization {
    /// The grant that allowed it, when the key policy did not.
    pub(crate) via_grant: Option<GrantRecord>,
}

/// The answer of [`Keystead::explain`]: the decision and what made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Explanation {
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub decision: String,
    /// Whether the call would be allowed.
    pub allowed: bool,
    /// The key-policy statements that decided (Sid, or `#<index>`): every applying Allow, or
    /// every applying Deny.
    pub policy_statements: Vec<String>,
    /// The grants that allow it (when the policy alone does not and no Deny applies).
    pub grant_ids: Vec<String>,
}

/// Compiled key policies by key id, with the revision they were compiled at.
#[derive(Default)]
pub(crate) struct PolicyCache {
    default_policy: OnceLock<Arc<CompiledPolicy>>,
    compiled: Mutex<HashMap<String, (u64, Arc<CompiledPolicy>)>>,
}

/// Principals whose decisions one compiled policy remembers at most (then it starts over).
const DECISIONS_CAPACITY: usize = 256;

/// A compiled key policy and, when its decisions can depend on nothing but the caller and the
/// action, the decisions it has given (by principal ARN, then action).
///
/// Why this is never stale: a compiled policy is immutable and belongs to one policy revision
/// (PutKeyPolicy bumps the key's revision, which every call reads from the key record, so the
/// next call compiles and uses a new `CompiledPolicy` with no decisions). Decisions are kept
/// only for policies without any `Condition` (conditions read request data: the encryption
/// context, the time, tags...) whose every statement applies to every resource (`Resource: *`),
/// so that the request, the key and the time cannot change the outcome; grants are not part of
/// the decision (they are read from the store on every call that the policy does not allow).
pub(crate) struct CompiledPolicy {
    pub(crate) document: PolicyDocument,
    memoizable: bool,
    decisions: std::sync::RwLock<HashMap<String, Vec<(Action, Decision)>>>,
}

impl CompiledPolicy {
    fn new(document: PolicyDocument) -> Self {
        let memoizable = document.statements.iter().all(|statement| {
            statement.conditions.is_empty()
                && matches!(&statement.resources, Patterns::Listed(globs) if globs.contains(&Glob::All))
        });
        Self { document, memoizable, decisions: std::sync::RwLock::new(HashMap::new()) }
    }

    fn remembered(&self, principal_arn: &str, action: Action) -> Option<Decision> {
        let decisions = self.decisions.read().ok()?;
        decisions.get(principal_arn)?.iter().find(|(a, _)| *a == action).map(|(_, d)| *d)
    }

    fn remember(&self, principal_arn: &str, action: Action, decision: Decision) {
        let Ok(mut decisions) = self.decisions.write() else { return };
        if decisions.len() >= DECISIONS_CAPACITY && !decisions.contains_key(principal_arn) {
            decisions.clear();
        }
        let actions = decisions.entry(principal_arn.to_owned()).or_default();
        if !actions.iter().any(|(a, _)| *a == action) {
            actions.push((action, decision));
        }
    }
}

impl std::ops::Deref for CompiledPolicy {
    type Target = PolicyDocument;

    fn deref(&self) -> &PolicyDocument {
        &self.document
    }
}

fn decision_name(decision: Decision) -> &'static str {
    match decision {
        Decision::Allow => "Allow",
        Decision::ExplicitDeny => "ExplicitDeny",
        Decision::ImplicitDeny => "ImplicitDeny",
    }
}

impl Keystead {
    /// Whether the caller belongs to the store's account (the rule for operations that name no
    /// key, which AWS leaves to IAM).
    pub(crate) fn is_store_account(&self) -> bool {
        self.caller.account_id() == self.identity().account_id
    }

    /// Fails with AccessDeniedException unless the caller belongs to the store's account.
    pub(crate) fn authorize_account(&self, action: &str) -> Result<()> {
        if self.is_store_account() {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::AccessDenied,
            format!(
                "User: {} is not authorized to perform: {action} because it does not belong to account {}",
                self.caller.arn(),
                self.identity().account_id
            ),
        ))
    }

    /// Fails with AccessDeniedException unless the caller is the store account's own account
    /// principal (store administration: access keys).
    pub(crate) fn authorize_admin(&self, action: &str) -> Result<()> {
        if self.is_store_account() && self.caller.is_account() {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::AccessDenied,
            format!(
                "User: {} is not authorized to perform: {action}; only the account principal arn:{}:iam::{}:root administers the store",
                self.caller.arn(),
                self.identity().partition,
                self.identity().account_id
            ),
        ))
    }

    pub(crate) fn access_denied(&self, key: &KeyRecord, action: Action, why: &str) -> Error {
        Error::new(
            ErrorKind::AccessDenied,
            format!(
                "User: {} is not authorized to perform: {} on resource: {}{why}",
                self.caller.arn(),
                action.as_str(),
                self.arn(&key.key_id)
            ),
        )
    }

    /// The compiled policy of `key`.
    pub(crate) fn key_policy(&self, txn: &mut dyn Txn, key: &KeyRecord) -> Result<Arc<CompiledPolicy>> {
        let cache = &self.inner.policies;
        if key.policy_revision == 0 {
            if let Some(policy) = cache.default_policy.get() {
                return Ok(Arc::clone(policy));
            }
            let identity = self.identity();
            let policy = Arc::new(CompiledPolicy::new(PolicyDocument::parse(&default_key_policy(
                &identity.partition,
                &identity.account_id,
            ))?));
            return Ok(Arc::clone(cache.default_policy.get_or_init(|| policy)));
        }
        let lock_error = || Error::internal("policy cache lock poisoned");
        if let Some((revision, policy)) = cache.compiled.lock().map_err(|_| lock_error())?.get(&key.key_id) {
            if *revision == key.policy_revision {
                return Ok(Arc::clone(policy));
            }
        }
        let text = txn.key_policy(&key.key_id)?.ok_or_else(|| {
            Error::new(ErrorKind::CorruptStore, format!("The policy of key {} is missing", key.key_id))
        })?;
        let policy = Arc::new(CompiledPolicy::new(PolicyDocument::parse(&text)?));
        let mut compiled = cache.compiled.lock().map_err(|_| lock_error())?;
        if compiled.len() >= POLICY_CACHE_CAPACITY {
            compiled.clear();
        }
        compiled.insert(key.key_id.clone(), (key.policy_revision, Arc::clone(&policy)));
        Ok(policy)
    }

    /// The condition keys of `access` on `key` by this caller.
    fn condition_values(&self, key: &KeyRecord, access: &Access<'_>) -> ConditionValues {
        let mut values = ConditionValues::new();
        values
            .set("kms:KeySpec", key.key_spec.as_str())
            .set("kms:KeyUsage", key.key_usage.as_str())
            .set("kms:KeyOrigin", key.origin.as_str())
            .set("kms:KeyManager", key.key_manager.as_str())
            .set("kms:CallerAccount", self.caller.account_id())
            .set("aws:PrincipalArn", self.caller.role_arn().unwrap_or(self.caller.arn()))
            .set("aws:PrincipalAccount", self.caller.account_id())
            .set_bool("aws:SecureTransport", true)
            .set_request_time(self.now());
        for (tag, value) in &key.tags {
            values.set(&format!("aws:ResourceTag/{tag}"), value.clone());
        }
        if let Some(context) = access.context {
            values.set_encryption_context(context.iter());
        }
        for (name, value) in &access.values {
            match value {
                RequestValue::One(one) => values.set_multi(name, [one.as_ref()]),
                RequestValue::Many(many) => values.set_multi(name, many.iter().cloned()),
            };
        }
        values
    }

    /// Authorizes `access` on `key` for the caller: allowed by the key policy, or (with no
    /// explicit Deny) by one of the caller's grants whose constraints the request meets.
    pub(crate) fn authorize(&self, txn: &mut dyn Txn, key: &KeyRecord, access: &Access<'_>) -> Result<Authorization> {
        match self.policy_decision(txn, key, access)? {
            Decision::Allow => Ok(Authorization { via_grant: None }),
            Decision::ExplicitDeny => {
                Err(self.access_denied(key, access.action, " with an explicit deny in a resource-based policy"))
            }
            Decision::ImplicitDeny => {
                if let Some(grant) = self.allowing_grant(txn, key, access)? {
                    return Ok(Authorization { via_grant: Some(grant) });
                }
                Err(self.access_denied(
                    key,
                    access.action,
                    &format!(" because no resource-based policy allows the {} action", access.action.as_str()),
                ))
            }
        }
    }

    /// Fails only when the key policy explicitly denies `access` (RetireGrant: who may retire is
    /// decided by the grant, but a Deny still blocks).
    pub(crate) fn authorize_deny_only(&self, txn: &mut dyn Txn, key: &KeyRecord, access: &Access<'_>) -> Result<()> {
        if self.policy_decision(txn, key, access)? == Decision::ExplicitDeny {
            return Err(self.access_denied(key, access.action, " with an explicit deny in a resource-based policy"));
        }
        Ok(())
    }

    /// The key policy's decision on `access` by the caller (grants not consulted).
    fn policy_decision(&self, txn: &mut dyn Txn, key: &KeyRecord, access: &Access<'_>) -> Result<Decision> {
        let policy = self.key_policy(txn, key)?;
        let principal_arn = self.caller.arn();
        if policy.memoizable {
            if let Some(decision) = policy.remembered(principal_arn, access.action) {
                return Ok(decision);
            }
        }
        // Most policies (the default one among them) have no conditions: then the request's
        // condition keys are never read, so they are not built (a dozen small allocations).
        let conditions = if policy.statements.iter().any(|s| !s.conditions.is_empty()) {
            self.condition_values(key, access)
        } else {
            ConditionValues::new()
        };
        let resource_arn = self.arn(&key.key_id);
        let request = RequestContext {
            principal_arn,
            action: access.action.as_str(),
            resource_arn: &resource_arn,
            conditions: &conditions,
        };
        let decision = decide(&policy, &request);
        if policy.memoizable {
            policy.remember(principal_arn, access.action, decision);
        }
        Ok(decision)
    }

    fn allowing_grant(&self, txn: &mut dyn Txn, key: &KeyRecord, access: &Access<'_>) -> Result<Option<GrantRecord>> {
        let Some(operation) = access.action.grant_operation() else { return Ok(None) };
        let grants = self.caller_grants(txn, key)?;
        // Constraints apply only to operations that take an encryption context; DescribeKey and
        // RetireGrant ignore them (AWS).
        let constrained = !matches!(operation, GrantOperation::DescribeKey | GrantOperation::RetireGrant);
        Ok(grants.into_iter().find(|grant| {
            grant.operations.contains(&operation)
                && (!constrained || constraints_allow(grant.constraints.as_ref(), access.context))
        }))
    }

    /// Explains whether the caller may perform `action` (e.g. `kms:Decrypt`) on a key, with an
    /// optional encryption context and extra condition keys: the decision, the key-policy
    /// statements and the grants that made it. Beyond AWS: for debugging policies.
    ///
    /// # Errors
    /// NotFoundException for an unknown key; ValidationException for an unknown action.
    pub fn explain(
        &self,
        key_id: &str,
        action: &str,
        encryption_context: Option<&EncryptionContext>,
        extra_conditions: &[(&str, &str)],
    ) -> Result<Explanation> {
        let action = Action::parse(action)?;
        self.read(|txn| {
            let key = self.resolve(txn, key_id)?;
            let policy = self.key_policy(txn, &key)?;
            let access = Access::new(action).context(encryption_context).requested(key_id);
            let mut conditions = self.condition_values(&key, &access);
            for (name, value) in extra_conditions {
                conditions.set(name, *value);
            }
            let resource_arn = self.arn(&key.key_id);
            let request = RequestContext {
                principal_arn: self.caller.arn(),
                action: action.as_str(),
                resource_arn: &resource_arn,
                conditions: &conditions,
            };
            let evaluation = evaluate(&policy, &request);
            let mut grant_ids = Vec::new();
            if evaluation.decision == Decision::ImplicitDeny {
                if let Some(grant) = self.allowing_grant(txn, &key, &access)? {
                    grant_ids.push(grant.grant_id);
                }
            }
            let allowed = evaluation.decision == Decision::Allow || !grant_ids.is_empty();
            Ok(Explanation {
                decision: decision_name(if allowed { Decision::Allow } else { evaluation.decision }).to_owned(),
                allowed,
                policy_statements: evaluation.deciding_statements,
                grant_ids,
            })
        })
    }

    /// Parses a new key policy and applies the lockout safety check: unless bypassed, the
    /// policy must let the caller change it again later.
    pub(crate) fn check_new_policy(&self, text: &str, key_arn: &str, bypass_lockout_check: bool) -> Result<()> {
        let policy = PolicyDocument::parse(text)?;
        if !bypass_lockout_check && !allows_policy_administration(&policy, self.caller.arn(), key_arn) {
            return Err(Error::new(
                ErrorKind::MalformedPolicyDocument,
                "The new key policy will not allow you to update the key policy in the future.",
            ));
        }
        Ok(())
    }

    /// `PutKeyPolicy`: replaces the key's policy (name `default`). Takes effect on the next
    /// call. With `bypass_policy_lockout_safety_check`, a policy that locks the caller out is
    /// accepted (as in AWS, use with care).
    ///
    /// # Errors
    /// MalformedPolicyDocumentException (bad policy, or the lockout check);
    /// LimitExceededException for a policy over 32 KB; AccessDeniedException.
    pub fn put_key_policy(
        &self,
        key_id: &str,
        policy: &str,
        policy_name: Option<&str>,
        bypass_policy_lockout_safety_check: bool,
    ) -> Result<()> {
        self.call(
            "PutKeyPolicy",
            Some(key_id),
            |_| {
                params([
                    ("keyId", json!(key_id)),
                    ("policyName", json!(policy_name.unwrap_or(DEFAULT_POLICY_NAME))),
                    ("policy", json!(policy)),
                    ("bypassPolicyLockoutSafetyCheck", json!(bypass_policy_lockout_safety_check)),
                ])
            },
            || {
                self.maybe_sweep()?;
                check_policy_name(policy_name)?;
                self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, key_id)?;
                    let access = Access::new(Action::PutKeyPolicy)
                        .value("kms:BypassPolicyLockoutSafetyCheck", bypass_policy_lockout_safety_check.to_string());
                    self.authorize(txn, &key, &access)?;
                    self.require_customer_managed(&key, "PutKeyPolicy")?;
                    self.check_new_policy(policy, &self.arn(&key.key_id), bypass_policy_lockout_safety_check)?;
                    txn.put_key_policy(&key.key_id, policy)?;
                    key.policy_revision += 1;
                    self.save_key(txn, &key)
                })
            },
        )
    }

    /// `GetKeyPolicy`: the key's policy text (AWS's default policy when none was set).
    pub fn get_key_policy(&self, key_id: &str, policy_name: Option<&str>) -> Result<String> {
        self.call(
            "GetKeyPolicy",
            Some(key_id),
            |_| params([("keyId", json!(key_id)), ("policyName", json!(policy_name.unwrap_or(DEFAULT_POLICY_NAME)))]),
            || {
                self.maybe_sweep()?;
                check_policy_name(policy_name)?;
                self.read(|txn| {
                    let key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::GetKeyPolicy))?;
                    if key.policy_revision == 0 {
                        let identity = self.identity();
                        return Ok(default_key_policy(&identity.partition, &identity.account_id));
                    }
                    txn.key_policy(&key.key_id)?.ok_or_else(|| {
                        Error::new(ErrorKind::CorruptStore, format!("The policy of key {} is missing", key.key_id))
                    })
                })
            },
        )
    }

    /// `ListKeyPolicies`: always `["default"]` (one page).
    pub fn list_key_policies(&self, key_id: &str) -> Result<Vec<String>> {
        self.call(
            "ListKeyPolicies",
            Some(key_id),
            |_| params([("keyId", json!(key_id))]),
            || {
                self.maybe_sweep()?;
                self.read(|txn| {
                    let key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::ListKeyPolicies))?;
                    Ok(vec![DEFAULT_POLICY_NAME.to_owned()])
                })
            },
        )
    }
}

/// Returns the error of a dry run that passed its checks, or `Ok` when `dry_run` is false.
pub(crate) fn finish_dry_run(dry_run: bool) -> Result<()> {
    if dry_run {
        Err(dry_run_succeeded())
    } else {
        Ok(())
    }
}

fn check_policy_name(name: Option<&str>) -> Result<()> {
    match name {
        None | Some(DEFAULT_POLICY_NAME) => Ok(()),
        Some("AWS_RAM") => Err(Error::new(
            ErrorKind::UnsupportedOperation,
            "The AWS_RAM policy is managed by AWS RAM; Keystead keys have only the default policy.",
        )),
        Some(other) => {
            Err(Error::new(ErrorKind::NotFound, format!("No key policy named {other}; the only one is default.")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_case_insensitively_and_name_their_grant_operation() {
        assert_eq!(Action::parse("KMS:encrypt").unwrap(), Action::Encrypt);
        assert_eq!(Action::Encrypt.grant_operation(), Some(GrantOperation::Encrypt));
        assert_eq!(Action::PutKeyPolicy.grant_operation(), None);
        assert_eq!(Action::parse("s3:GetObject").unwrap_err().kind(), ErrorKind::Validation);
    }
}
