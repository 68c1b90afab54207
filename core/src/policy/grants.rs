//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant, and how a
//! grant allows a call.
//!
//! Unlike AWS, where grants are eventually consistent (up to about five minutes), a grant here
//! takes effect on the very next call of any handle or process, and a retired or revoked grant
//! stops allowing anything at once: every call reads the key's grants in its own transaction.
//! Grant tokens are therefore never needed for a grant to work; they are still returned and
//! checked for form, so code written for AWS runs unchanged.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;

use crate::calls::{dry_run_value, params};
use crate::clock::Millis;
use crate::crypto::context::EncryptionContext;
use crate::crypto::primitives::random_bytes;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::metadata::{epoch_seconds, Page};
use crate::keys::page::{decode_marker, encode_marker, limit};
use crate::keys::record::{GrantConstraints, GrantRecord, KeyRecord};
use crate::keys::spec::{GrantOperation, KeySpec, KeyUsage};
use crate::policy::authorize::{Access, Action};
use crate::policy::principal::Principal;
use crate::Keystead;
use serde_json::json;

/// AWS's limit on grants per customer managed key.
pub const MAX_GRANTS_PER_KEY: u32 = 50_000;
/// At most this many pairs in each encryption-context constraint.
pub const MAX_CONSTRAINT_PAIRS: usize = 8;
/// At most this many characters in a constraint value.
pub const MAX_CONSTRAINT_VALUE_CHARS: usize = 384;
/// At most this many grant tokens in a request.
pub const MAX_GRANT_TOKENS: usize = 10;
/// At most this many characters in a grant token.
pub const MAX_GRANT_TOKEN_CHARS: usize = 8192;

/// What a grant token carries before base64: a tag, the grant id's 32 bytes, 16 random bytes.
const TOKEN_TAG: &[u8; 4] = b"KSG1";

/// Inputs of `CreateGrant`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CreateGrantRequest<'a> {
    /// Key id or key ARN (not an alias, as in AWS).
    pub key_id: &'a str,
    /// The principal the grant allows.
    pub grantee_principal: &'a str,
    /// A principal that may retire the grant.
    pub retiring_principal: Option<&'a str>,
    /// The operations the grant allows (at least one).
    pub operations: &'a [GrantOperation],
    /// Encryption-context constraints.
    pub constraints: Option<&'a GrantConstraints>,
    /// Grant tokens (checked for form; grants here take effect at once).
    pub grant_tokens: &'a [String],
    /// A name: a retry with the same name and properties returns the same grant.
    pub name: Option<&'a str>,
    /// Check access and inputs only: succeeds with DryRunOperationException.
    pub dry_run: bool,
}

/// Output of `CreateGrant`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantResponse {
    /// A token for the grant (not secret; a fresh one on every call).
    pub grant_token: String,
    /// The grant's id.
    pub grant_id: String,
}

/// One entry of `ListGrants` / `ListRetirableGrants` (AWS's `GrantListEntry`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantListEntry {
    /// The key's id.
    pub key_id: String,
    /// The grant's id.
    pub grant_id: String,
    /// Its name, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When it was created.
    #[serde(serialize_with = "epoch_seconds")]
    pub creation_date: Millis,
    /// Who it allows.
    pub grantee_principal: String,
    /// Who may retire it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    /// The account principal that created it.
    pub issuing_account: String,
    /// What it allows.
    pub operations: Vec<GrantOperation>,
    /// Its constraints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<ConstraintsEntry>,
}

/// AWS's `GrantConstraints` shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConstraintsEntry {
    /// Pairs the request's context must contain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<BTreeMap<String, String>>,
    /// The context the request must have exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<BTreeMap<String, String>>,
}

impl From<&GrantRecord> for GrantListEntry {
    fn from(grant: &GrantRecord) -> Self {
        Self {
            key_id: grant.key_id.clone(),
            grant_id: grant.grant_id.clone(),
            name: grant.name.clone(),
            creation_date: grant.created_ms,
            grantee_principal: grant.grantee_principal.clone(),
            retiring_principal: grant.retiring_principal.clone(),
            issuing_account: grant.issuing_account.clone(),
            operations: grant.operations.clone(),
            constraints: grant.constraints.as_ref().map(|c| ConstraintsEntry {
                encryption_context_subset: c.encryption_context_subset.clone(),
                encryption_context_equals: c.encryption_context_equals.clone(),
            }),
        }
    }
}

/// How to name the grant in `RetireGrant`: by token, or by key and grant id.
#[derive(Clone, Copy, Debug)]
pub enum GrantRef<'a> {
    /// A token returned by CreateGrant.
    Token(&'a str),
    /// The key (id or ARN) and the grant id.
    Id {
        /// Key id or key ARN.
        key_id: &'a str,
        /// The grant id.
        grant_id: &'a str,
    },
}

/// The grant operations a key of this spec and usage can grant (AWS: anything else is a
/// ValidationException at CreateGrant).
pub fn grantable_operations(key_spec: KeySpec, key_usage: KeyUsage) -> &'static [GrantOperation] {
    use GrantOperation as Op;
    match (key_usage, key_spec.is_symmetric_encryption()) {
        (KeyUsage::EncryptDecrypt, true) => &[
            Op::Decrypt,
            Op::Encrypt,
            Op::GenerateDataKey,
            Op::GenerateDataKeyWithoutPlaintext,
            Op::ReEncryptFrom,
            Op::ReEncryptTo,
            Op::CreateGrant,
            Op::RetireGrant,
            Op::DescribeKey,
            Op::GenerateDataKeyPair,
            Op::GenerateDataKeyPairWithoutPlaintext,
        ],
        (KeyUsage::EncryptDecrypt, false) => &[
            Op::Decrypt,
            Op::Encrypt,
            Op::ReEncryptFrom,
            Op::ReEncryptTo,
            Op::GetPublicKey,
            Op::CreateGrant,
            Op::RetireGrant,
            Op::DescribeKey,
        ],
        (KeyUsage::SignVerify, _) => {
            &[Op::Sign, Op::Verify, Op::GetPublicKey, Op::CreateGrant, Op::RetireGrant, Op::DescribeKey]
        }
        (KeyUsage::GenerateVerifyMac, _) => {
            &[Op::GenerateMac, Op::VerifyMac, Op::CreateGrant, Op::RetireGrant, Op::DescribeKey]
        }
        (KeyUsage::KeyAgreement, _) => {
            &[Op::DeriveSharedSecret, Op::GetPublicKey, Op::CreateGrant, Op::RetireGrant, Op::DescribeKey]
        }
        (KeyUsage::EncapsulateDecapsulate, _) => {
            &[Op::Encapsulate, Op::Decapsulate, Op::GetPublicKey, Op::CreateGrant, Op::RetireGrant, Op::DescribeKey]
        }
    }
}

/// Whether `constraints` allow a request made with `context`. Constraint keys match
/// case-sensitively, as do values: the AWS developer guide says the match is exact (the API
/// reference's "keys match case-insensitively" disagrees; exact is the stricter reading).
pub fn constraints_allow(constraints: Option<&GrantConstraints>, context: Option<&EncryptionContext>) -> bool {
    let Some(constraints) = constraints else { return true };
    let empty = EncryptionContext::new();
    let context = context.unwrap_or(&empty);
    if let Some(equals) = &constraints.encryption_context_equals {
        if equals.len() != context.len() || !equals.iter().all(|(k, v)| context.get(k) == Some(v)) {
            return false;
        }
    }
    if let Some(subset) = &constraints.encryption_context_subset {
        if !subset.iter().all(|(k, v)| context.get(k) == Some(v)) {
            return false;
        }
    }
    true
}

/// Checks the form of grant tokens: at most 10, each a token this store issues.
pub(crate) fn check_grant_tokens(tokens: &[String]) -> Result<()> {
    if tokens.len() > MAX_GRANT_TOKENS {
        return Err(Error::validation(format!(
            "1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to {MAX_GRANT_TOKENS}"
        )));
    }
    for token in tokens {
        if token.is_empty() || token.len() > MAX_GRANT_TOKEN_CHARS || grant_id_of_token(token).is_none() {
            return Err(Error::new(ErrorKind::InvalidGrantToken, "The grant token is not valid."));
        }
    }
    Ok(())
}

fn new_grant_token(grant_id: &str) -> Result<String> {
    let id = hex::decode(grant_id).map_err(|_| Error::internal("grant id is not hex"))?;
    let mut raw = TOKEN_TAG.to_vec();
    raw.extend_from_slice(&id);
    raw.extend_from_slice(&random_bytes(16)?);
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}

fn grant_id_of_token(token: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
    (raw.len() == TOKEN_TAG.len() + 32 + 16 && raw.starts_with(TOKEN_TAG))
        .then(|| hex::encode(&raw[TOKEN_TAG.len()..TOKEN_TAG.len() + 32]))
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 256 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b":/_-".contains(&b)) {
        return Err(Error::validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
        )));
    }
    Ok(())
}

fn check_constraints(key: &KeyRecord, constraints: &GrantConstraints) -> Result<()> {
    if !key.key_spec.is_symmetric_encryption() {
        return Err(Error::validation(format!(
            "Grant constraints are not supported for {} keys: encryption context applies only to symmetric encryption keys.",
            key.key_spec
        )));
    }
    for map in [&constraints.encryption_context_subset, &constraints.encryption_context_equals].into_iter().flatten() {
        if map.len() > MAX_CONSTRAINT_PAIRS {
            return Err(Error::validation(format!(
                "A grant constraint may hold at most {MAX_CONSTRAINT_PAIRS} encryption context pairs."
            )));
        }
        if map.values().any(|v| v.chars().count() > MAX_CONSTRAINT_VALUE_CHARS) {
            return Err(Error::validation(format!(
                "A grant constraint value may hold at most {MAX_CONSTRAINT_VALUE_CHARS} characters."
            )));
        }
    }
    Ok(())
}

/// Whether `parent` (a grant that allows CreateGrant) may create `child`: only a subset of its
/// operations, with constraints at least as strict (AWS's rule for grants made through grants).
fn narrows(parent: &GrantRecord, operations: &[GrantOperation], constraints: Option<&GrantConstraints>) -> bool {
    if !operations.iter().all(|op| parent.operations.contains(op)) {
        return false;
    }
    let Some(parent_constraints) = &parent.constraints else { return true };
    let Some(child) = constraints else { return false };
    // Every context the child admits must be admitted by the parent.
    if let Some(parent_equals) = &parent_constraints.encryption_context_equals {
        if child.encryption_context_equals.as_ref() != Some(parent_equals) {
            return false;
        }
    }
    if let Some(parent_subset) = &parent_constraints.encryption_context_subset {
        let implied = |pairs: &BTreeMap<String, String>| parent_subset.iter().all(|(k, v)| pairs.get(k) == Some(v));
        let by_equals = child.encryption_context_equals.as_ref().is_some_and(implied);
        let by_subset = child.encryption_context_subset.as_ref().is_some_and(implied);
        if !by_equals && !by_subset {
            return false;
        }
    }
    true
}

fn dedup_operations(operations: &[GrantOperation]) -> Vec<GrantOperation> {
    GrantOperation::ALL.iter().copied().filter(|op| operations.contains(op)).collect()
}

impl Keystead {
    /// `CreateGrant`: lets `grantee_principal` use the key for `operations`, optionally only with
    /// a given encryption context. Takes effect on the very next call.
    ///
    /// # Errors
    /// ValidationException for operations the key type cannot grant, constraints on a key that
    /// takes no encryption context, or a bad name; InvalidArnException for a bad principal;
    /// LimitExceededException past 50,000 grants; AccessDeniedException; the key-state errors
    /// of AWS's table; DryRunOperationException when `dry_run` passes every check.
    pub fn create_grant(&self, request: CreateGrantRequest<'_>) -> Result<CreateGrantResponse> {
        self.call("CreateGrant", Some(request.key_id), |_| params([("keyId", json!(request.key_id)), ("granteePrincipal", json!(request.grantee_principal)), ("retiringPrincipal", json!(request.retiring_principal)), ("operations", json!(request.operations.iter().map(|op| op.as_str()).collect::<Vec<_>>())), ("constraints", json!(request.constraints)), ("name", json!(request.name)), ("dryRun", dry_run_value(request.dry_run))]), || {
            self.maybe_sweep()?;
            let grantee = Principal::parse(request.grantee_principal)?;
            let retiring = request.retiring_principal.map(Principal::parse).transpose()?;
            if request.operations.is_empty() {
                return Err(Error::validation(
                    "1 validation error detected: Value at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1",
                ));
            }
            if let Some(name) = request.name {
                check_name(name)?;
            }
            check_grant_tokens(request.grant_tokens)?;
            let operations = dedup_operations(request.operations);
            let constraints = request.constraints.filter(|c| {
                c.encryption_context_equals.is_some() || c.encryption_context_subset.is_some()
            });
            self.write(|txn| {
                let mut key = self.resolve_key_only(txn, request.key_id)?;
                let access = Access::new(Action::CreateGrant)
                    .grant_operations(&operations)
                    .grantee_principal(grantee.arn())
                    .retiring_principal(retiring.as_ref().map(Principal::arn));
                let decision = self.authorize(txn, &key, &access)?;
                if let Some(parent) = &decision.via_grant {
                    if !narrows(parent, &operations, constraints) {
                        return Err(self.access_denied(&key, Action::CreateGrant, " (a grant may only create narrower grants)"));
                    }
                }
                self.require_usable(&key)?;
                let allowed = grantable_operations(key.key_spec, key.key_usage);
                if let Some(op) = operations.iter().find(|op| !allowed.contains(op)) {
                    return Err(Error::validation(format!(
                        "Grant operation {op} is not valid for a {} key with key usage {}.",
                        key.key_spec, key.key_usage
                    )));
                }
                if let Some(c) = constraints {
                    check_constraints(&key, c)?;
                }
                if request.dry_run {
                    return Err(dry_run_succeeded());
                }
                let issuing_account = format!("arn:{}:iam::{}:root", self.identity().partition, self.caller.account_id());
                if let Some(name) = request.name {
                    let same = txn.grants_named(&key.key_id, name)?.into_iter().find(|g| {
                        g.grantee_principal == grantee.arn()
                            && g.retiring_principal.as_deref() == retiring.as_ref().map(Principal::arn)
                            && g.operations == operations
                            && g.constraints.as_ref() == constraints
                    });
                    if let Some(existing) = same {
                        return Ok(CreateGrantResponse {
                            grant_token: new_grant_token(&existing.grant_id)?,
                            grant_id: existing.grant_id,
                        });
                    }
                }
                if key.grant_count >= MAX_GRANTS_PER_KEY {
                    return Err(Error::new(
                        ErrorKind::LimitExceeded,
                        format!("{} already has {MAX_GRANTS_PER_KEY} grants.", self.arn(&key.key_id)),
                    ));
                }
                let grant = GrantRecord {
                    grant_id: hex::encode(random_bytes(32)?),
                    key_id: key.key_id.clone(),
                    name: request.name.map(str::to_owned),
                    created_ms: self.now(),
                    grantee_principal: grantee.arn().to_owned(),
                    retiring_principal: retiring.as_ref().map(|p| p.arn().to_owned()),
                    issuing_account,
                    operations,
                    constraints: constraints.cloned(),
                };
                txn.put_grant(&grant)?;
                key.grant_count += 1;
                self.save_key(txn, &key)?;
                Ok(CreateGrantResponse { grant_token: new_grant_token(&grant.grant_id)?, grant_id: grant.grant_id })
            })
        })
    }

    /// `ListGrants`: the grants of a key (key id or ARN), optionally only one grant id or one
    /// grantee; 1–100 per page (default 50). Never returns grant tokens.
    pub fn list_grants(
        &self,
        key_id: &str,
        grant_id: Option<&str>,
        grantee_principal: Option<&str>,
        limit_value: Option<u32>,
        marker: Option<&str>,
    ) -> Result<Page<GrantListEntry>> {
        self.call(
            "ListGrants",
            Some(key_id),
            |_| {
                params([
                    ("keyId", json!(key_id)),
                    ("grantId", json!(grant_id)),
                    ("granteePrincipal", json!(grantee_principal)),
                    ("limit", json!(limit_value)),
                    ("marker", json!(marker)),
                ])
            },
            || {
                self.maybe_sweep()?;
                let limit = limit(limit_value, 100, 50)?;
                let after = marker.map(|m| decode_marker("grants", m)).transpose()?;
                if let Some(id) = grant_id {
                    check_grant_id(id)?;
                }
                if let Some(grantee) = grantee_principal {
                    check_principal_filter(grantee)?;
                }
                self.read(|txn| {
                    let key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::ListGrants))?;
                    let mut grants = match (grant_id, grantee_principal) {
                        (Some(id), _) => txn.grant(id)?.filter(|g| g.key_id == key.key_id).into_iter().collect(),
                        (None, Some(grantee)) => txn.grants_for_grantees(&key.key_id, &[grantee.to_owned()])?,
                        (None, None) => txn.list_grants(&key.key_id, after.as_deref(), limit + 1)?,
                    };
                    grants.retain(|g| {
                        after.as_deref().is_none_or(|a| g.grant_id.as_str() > a)
                            && grantee_principal.is_none_or(|p| p == g.grantee_principal)
                    });
                    grants.truncate(limit + 1);
                    Ok(page_of(grants, limit, "grants"))
                })
            },
        )
    }

    /// `ListRetirableGrants`: the grants (of any key of the store) whose retiring principal is
    /// `retiring_principal`; 1–100 per page (default 50).
    pub fn list_retirable_grants(
        &self,
        retiring_principal: &str,
        limit_value: Option<u32>,
        marker: Option<&str>,
    ) -> Result<Page<GrantListEntry>> {
        self.call("ListRetirableGrants", None, |_| params([("retiringPrincipal", json!(retiring_principal)), ("limit", json!(limit_value)), ("marker", json!(marker))]), || {
            self.maybe_sweep()?;
            let retiring = Principal::parse(retiring_principal)?;
            let limit = limit(limit_value, 100, 50)?;
            let after = marker.map(|m| decode_marker("retirable", m)).transpose()?;
            // Authorization is on the caller's own account only (AWS: an IAM permission).
            if retiring.account_id() != self.caller.account_id() && !self.is_store_account() {
                return Err(Error::new(
                    ErrorKind::AccessDenied,
                    format!(
                        "User: {} is not authorized to perform: kms:ListRetirableGrants for principals of another account",
                        self.caller.arn()
                    ),
                ));
            }
            self.read(|txn| {
                let grants = txn.list_retirable_grants(retiring.arn(), after.as_deref(), limit + 1)?;
                Ok(page_of(grants, limit, "retirable"))
            })
        })
    }

    /// `RetireGrant`: removes a grant; allowed to its retiring principal, to its grantee when the
    /// grant includes RetireGrant, and to the account that created it (a Deny on kms:RetireGrant
    /// in the key policy still blocks it).
    pub fn retire_grant(&self, grant: GrantRef<'_>, dry_run: bool) -> Result<()> {
        self.call(
            "RetireGrant",
            match grant {
                GrantRef::Id { key_id, .. } => Some(key_id),
                GrantRef::Token(_) => None,
            },
            |_| {
                params([
                    (
                        "grantId",
                        json!(match grant {
                            GrantRef::Id { grant_id, .. } => Some(grant_id),
                            GrantRef::Token(_) => None,
                        }),
                    ),
                    ("dryRun", dry_run_value(dry_run)),
                ])
            },
            || {
                self.maybe_sweep()?;
                let (key_ref, grant_id) = match grant {
                    GrantRef::Token(token) => {
                        if token.is_empty() || token.len() > MAX_GRANT_TOKEN_CHARS {
                            return Err(Error::new(ErrorKind::InvalidGrantToken, "The grant token is not valid."));
                        }
                        let id = grant_id_of_token(token)
                            .ok_or_else(|| Error::new(ErrorKind::InvalidGrantToken, "The grant token is not valid."))?;
                        (None, id)
                    }
                    GrantRef::Id { key_id, grant_id } => {
                        check_grant_id(grant_id)?;
                        if !key_id.starts_with("arn:") {
                            // AWS: with a grant id, the key must be named by its ARN.
                            return Err(Error::new(ErrorKind::InvalidArn, format!("{key_id} is not a valid key ARN.")));
                        }
                        (Some(key_id), grant_id.to_owned())
                    }
                };
                self.write(|txn| {
                    let record = txn.grant(&grant_id)?;
                    let record = match (record, key_ref) {
                        (Some(record), None) => record,
                        (Some(record), Some(key_ref)) => {
                            let key = self.resolve_key_only(txn, key_ref)?;
                            if key.key_id != record.key_id {
                                return Err(grant_not_found(&grant_id));
                            }
                            record
                        }
                        (None, Some(key_ref)) => {
                            self.resolve_key_only(txn, key_ref)?;
                            return Err(grant_not_found(&grant_id));
                        }
                        (None, None) => return Err(grant_not_found(&grant_id)),
                    };
                    let mut key = self.load(txn, &record.key_id)?;
                    let names = self.caller.grant_names(&self.identity().partition);
                    let retiring = record.retiring_principal.as_ref().is_some_and(|p| names.contains(p));
                    let grantee = record.operations.contains(&GrantOperation::RetireGrant)
                        && names.contains(&record.grantee_principal);
                    let issuer = record.issuing_account
                        == format!("arn:{}:iam::{}:root", self.identity().partition, self.caller.account_id());
                    if !(retiring || grantee || issuer) {
                        return Err(self.access_denied(&key, Action::RetireGrant, ""));
                    }
                    // A Deny in the key policy still applies.
                    self.authorize_deny_only(txn, &key, &Access::new(Action::RetireGrant))?;
                    if dry_run {
                        return Err(dry_run_succeeded());
                    }
                    txn.delete_grant(&record.grant_id)?;
                    key.grant_count = key.grant_count.saturating_sub(1);
                    self.save_key(txn, &key)
                })
            },
        )
    }

    /// `RevokeGrant`: removes a grant; needs kms:RevokeGrant on the key. The key must be named by
    /// key id or ARN.
    pub fn revoke_grant(&self, key_id: &str, grant_id: &str, dry_run: bool) -> Result<()> {
        self.call(
            "RevokeGrant",
            Some(key_id),
            |_| params([("keyId", json!(key_id)), ("grantId", json!(grant_id)), ("dryRun", dry_run_value(dry_run))]),
            || {
                self.maybe_sweep()?;
                check_grant_id(grant_id)?;
                self.write(|txn| {
                    let mut key = self.resolve_key_only(txn, key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::RevokeGrant))?;
                    let record = txn
                        .grant(grant_id)?
                        .filter(|g| g.key_id == key.key_id)
                        .ok_or_else(|| grant_not_found(grant_id))?;
                    if dry_run {
                        return Err(dry_run_succeeded());
                    }
                    txn.delete_grant(&record.grant_id)?;
                    key.grant_count = key.grant_count.saturating_sub(1);
                    self.save_key(txn, &key)
                })
            },
        )
    }

    /// The grants that could allow the caller anything on `key` (none read when the key has no
    /// grants).
    pub(crate) fn caller_grants(&self, txn: &mut dyn crate::store::Txn, key: &KeyRecord) -> Result<Vec<GrantRecord>> {
        if key.grant_count == 0 {
            return Ok(Vec::new());
        }
        txn.grants_for_grantees(&key.key_id, &self.caller.grant_names(&self.identity().partition))
    }
}

/// One page of at most `limit` grants from `grants` (sorted by id, up to `limit + 1` long).
fn page_of(mut grants: Vec<GrantRecord>, limit: usize, marker_kind: &str) -> Page<GrantListEntry> {
    let more = grants.len() > limit;
    grants.truncate(limit);
    let next_marker = if more { grants.last().map(|g| encode_marker(marker_kind, &g.grant_id)) } else { None };
    Page { items: grants.iter().map(GrantListEntry::from).collect(), next_marker }
}

fn check_grant_id(grant_id: &str) -> Result<()> {
    if grant_id.is_empty() || grant_id.len() > 128 {
        return Err(Error::new(ErrorKind::InvalidGrantId, "The grant id is not valid."));
    }
    Ok(())
}

/// ListGrants' `GranteePrincipal` filter: 1–256 characters of `[\w+=,.@:/-]` (AWS's
/// `PrincipalIdType`), refused rather than silently matching nothing.
fn check_principal_filter(principal: &str) -> Result<()> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"_+=,.@:/-".contains(&b);
    if principal.is_empty() || principal.len() > 256 || !principal.bytes().all(allowed) {
        return Err(Error::validation("GranteePrincipal must be 1 to 256 characters from [\\w+=,.@:/-]"));
    }
    Ok(())
}

fn grant_not_found(grant_id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("Grant {grant_id} not found."))
}

/// The error a successful dry run returns.
pub(crate) fn dry_run_succeeded() -> Error {
    Error::new(ErrorKind::DryRunOperation, "The request would have succeeded, but the DryRun flag is set.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn tokens_round_trip_and_reject_forgeries() {
        let id = "ab".repeat(32);
        let token = new_grant_token(&id).unwrap();
        assert_eq!(grant_id_of_token(&token).as_deref(), Some(id.as_str()));
        assert_ne!(token, new_grant_token(&id).unwrap(), "each call gets a fresh token");
        check_grant_tokens(&[token]).unwrap();
        for bad in ["", "AQID", "not base64!", &"A".repeat(8193)] {
            let err = check_grant_tokens(&[bad.to_string()]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidGrantToken, "{bad:.20}");
        }
        let eleven = vec![new_grant_token(&id).unwrap(); 11];
        assert_eq!(check_grant_tokens(&eleven).unwrap_err().kind(), ErrorKind::Validation);
    }

    #[test]
    fn constraint_table() {
        let equals = GrantConstraints { encryption_context_equals: Some(map(&[("dept", "IT")])), ..Default::default() };
        let subset = GrantConstraints {
            encryption_context_subset: Some(map(&[("dept", "IT"), ("app", "shop")])),
            ..Default::default()
        };
        let both = GrantConstraints {
            encryption_context_equals: Some(map(&[("dept", "IT")])),
            encryption_context_subset: Some(map(&[("dept", "IT")])),
        };
        type Case<'a> = (Option<&'a GrantConstraints>, &'a [(&'a str, &'a str)], bool);
        let cases: &[Case<'_>] = &[
            (None, &[], true),
            (None, &[("any", "thing")], true),
            (Some(&equals), &[("dept", "IT")], true),
            (Some(&equals), &[], false),
            (Some(&equals), &[("dept", "it")], false),
            (Some(&equals), &[("Dept", "IT")], false),
            (Some(&equals), &[("dept", "IT"), ("extra", "1")], false),
            (Some(&equals), &[("dept", "HR")], false),
            (Some(&subset), &[("dept", "IT"), ("app", "shop")], true),
            (Some(&subset), &[("dept", "IT"), ("app", "shop"), ("order", "42")], true),
            (Some(&subset), &[("dept", "IT")], false),
            (Some(&subset), &[], false),
            (Some(&subset), &[("dept", "IT"), ("app", "Shop")], false),
            (Some(&both), &[("dept", "IT")], true),
            (Some(&both), &[("dept", "IT"), ("x", "y")], false),
        ];
        for (constraints, pairs, expected) in cases {
            let ctx = context(pairs);
            let got = constraints_allow(*constraints, (!pairs.is_empty()).then_some(&ctx));
            assert_eq!(got, *expected, "{constraints:?} with {pairs:?}");
        }
    }

    #[test]
    fn grants_through_grants_only_narrow() {
        let parent = GrantRecord {
            grant_id: "a".repeat(64),
            key_id: "k".into(),
            name: None,
            created_ms: 0,
            grantee_principal: "arn:aws:iam::111122223333:role/a".into(),
            retiring_principal: None,
            issuing_account: "arn:aws:iam::111122223333:root".into(),
            operations: vec![GrantOperation::Decrypt, GrantOperation::CreateGrant],
            constraints: Some(GrantConstraints {
                encryption_context_subset: Some(map(&[("dept", "IT")])),
                ..Default::default()
            }),
        };
        let stricter = GrantConstraints {
            encryption_context_subset: Some(map(&[("dept", "IT"), ("app", "shop")])),
            ..Default::default()
        };
        let looser =
            GrantConstraints { encryption_context_subset: Some(map(&[("app", "shop")])), ..Default::default() };
        assert!(narrows(&parent, &[GrantOperation::Decrypt], Some(&stricter)));
        assert!(!narrows(&parent, &[GrantOperation::Decrypt], None));
        assert!(!narrows(&parent, &[GrantOperation::Decrypt], Some(&looser)));
        assert!(!narrows(&parent, &[GrantOperation::Encrypt], Some(&stricter)));
    }

    #[test]
    fn grantable_operations_follow_the_key_type() {
        let symmetric = grantable_operations(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
        assert!(symmetric.contains(&GrantOperation::GenerateDataKey));
        assert!(!symmetric.contains(&GrantOperation::Sign));
        let signing = grantable_operations(KeySpec::EccNistP256, KeyUsage::SignVerify);
        assert!(signing.contains(&GrantOperation::Sign));
        assert!(!signing.contains(&GrantOperation::GenerateDataKey));
        let rsa = grantable_operations(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt);
        assert!(rsa.contains(&GrantOperation::GetPublicKey) && !rsa.contains(&GrantOperation::GenerateDataKey));
    }
}
