//! Access control, audit and metrics on the `Keystead` class: narrowing a handle to a principal,
//! key policies, grants, `explain`, and the metrics snapshot (as objects and as Prometheus text).
//!
//! A second `#[napi] impl Keystead` block: napi-rs merges the methods of every block into the one
//! JavaScript class, so these operations read exactly like those of `store.rs` (a Promise form on
//! the libuv thread pool, a `...Sync` twin, AWS's names in camelCase, dates in seconds).

use std::collections::{BTreeMap, HashMap};

use keystead_core as core;
use keystead_core::{Keystead as Core, Result as CoreResult};
use napi::bindgen_prelude::{AsyncTask, Undefined};
use napi::{Env, Result};
use napi_derive::napi;

use crate::error::{core_error, type_error};
use crate::store::Keystead;
use crate::task::{run_sync, Job, Op};
use crate::types::{self as t, seconds};

/// The principal a store handle acts as.
#[napi(object)]
pub struct Principal {
    /// The principal's ARN (`arn:aws:iam::111122223333:root` for a handle that was not narrowed).
    pub arn: String,
    /// The 12-digit account of the principal.
    pub account_id: String,
    /// The access key id recorded in audit events, when one was given to `asPrincipal`.
    pub access_key_id: Option<String>,
}

/// Options of `asPrincipal`.
#[napi(object)]
pub struct AsPrincipalOptions {
    /// The access key the caller signed its request with (recorded in audit events only).
    pub access_key_id: Option<String>,
}

/// Options of `putKeyPolicy`.
#[napi(object)]
pub struct PutKeyPolicyOptions {
    /// The policy name: `default` (the default and the only name AWS accepts).
    pub policy_name: Option<String>,
    /// Skips the lockout safety check (as in AWS, use with care).
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

/// Options of `getKeyPolicy`.
#[napi(object)]
pub struct GetKeyPolicyOptions {
    /// The policy name: `default` (the default).
    pub policy_name: Option<String>,
}

/// Result of `getKeyPolicy`.
#[napi(object)]
pub struct GetKeyPolicyResult {
    /// The policy document (JSON text; AWS's default key policy when none was set).
    pub policy: String,
    /// The policy name (`default`).
    pub policy_name: String,
}

/// Result of `listKeyPolicies` (always one page).
#[napi(object)]
pub struct ListKeyPoliciesResult {
    /// The policy names: `['default']`.
    pub policy_names: Vec<String>,
    /// Always false.
    pub truncated: bool,
}

/// AWS's `GrantConstraints`: the encryption context a request must have for the grant to apply.
/// Give at most one of the two.
#[napi(object)]
pub struct GrantConstraints {
    /// The request's encryption context must contain these pairs (and may have others).
    pub encryption_context_subset: Option<HashMap<String, String>>,
    /// The request's encryption context must be exactly this.
    pub encryption_context_equals: Option<HashMap<String, String>>,
}

/// Options of `createGrant`.
#[napi(object)]
pub struct CreateGrantOptions {
    /// A principal that may retire the grant.
    pub retiring_principal: Option<String>,
    /// Encryption-context constraints (symmetric encryption keys only).
    pub constraints: Option<GrantConstraints>,
    /// Grant tokens of the grant that allows this call, if any (checked for form).
    pub grant_tokens: Option<Vec<String>>,
    /// A name: a retry with the same name and properties returns the same grant id.
    pub name: Option<String>,
    /// Checks access and inputs only (`DryRunOperationException` when it would succeed).
    pub dry_run: Option<bool>,
}

/// Result of `createGrant`.
#[napi(object)]
pub struct CreateGrantResult {
    /// A token for the grant (not secret).
    pub grant_token: String,
    /// The grant id.
    pub grant_id: String,
}

/// AWS's `GrantListEntry` (never includes the grant token).
#[napi(object)]
pub struct GrantListEntry {
    /// The key id.
    pub key_id: String,
    /// The grant id.
    pub grant_id: String,
    /// The grant's name, if given.
    pub name: Option<String>,
    /// When the grant was created (seconds since the epoch).
    pub creation_date: f64,
    /// The principal the grant allows.
    pub grantee_principal: String,
    /// The principal that may retire the grant.
    pub retiring_principal: Option<String>,
    /// The account principal that created the grant.
    pub issuing_account: String,
    /// The operations the grant allows (AWS's names, e.g. `Decrypt`).
    pub operations: Vec<String>,
    /// Its encryption-context constraints.
    pub constraints: Option<GrantConstraints>,
}

/// Options of `listGrants`.
#[napi(object)]
pub struct ListGrantsOptions {
    /// Only this grant.
    pub grant_id: Option<String>,
    /// Only the grants of this grantee.
    pub grantee_principal: Option<String>,
    /// Most grants to return (1–100, default 50).
    pub limit: Option<u32>,
    /// `nextMarker` of the previous page.
    pub marker: Option<String>,
}

/// A page of `listGrants` / `listRetirableGrants`.
#[napi(object)]
pub struct ListGrantsResult {
    /// The grants of this page.
    pub grants: Vec<GrantListEntry>,
    /// Pass as `marker` to get the next page; absent on the last page.
    pub next_marker: Option<String>,
    /// True when there are more pages.
    pub truncated: bool,
}

/// Options of `retireGrant`: `grantToken`, or `keyId` (the key ARN) and `grantId`.
#[napi(object)]
pub struct RetireGrantOptions {
    /// The token returned by `createGrant`.
    pub grant_token: Option<String>,
    /// The key ARN (with `grantId`; a bare key id is `InvalidArnException`, as in AWS).
    pub key_id: Option<String>,
    /// The grant id (with `keyId`).
    pub grant_id: Option<String>,
    /// Checks access and inputs only (`DryRunOperationException` when it would succeed).
    pub dry_run: Option<bool>,
}

/// Options of `revokeGrant`.
#[napi(object)]
pub struct DryRunOptions {
    /// Checks access and inputs only (`DryRunOperationException` when it would succeed).
    pub dry_run: Option<bool>,
}

/// Options of `explain`.
#[napi(object)]
pub struct ExplainOptions {
    /// The encryption context of the request to explain.
    pub encryption_context: Option<HashMap<String, String>>,
    /// Further condition keys and values, e.g. `{ 'aws:SourceIp': '10.0.0.1' }`.
    pub conditions: Option<HashMap<String, String>>,
}

/// Result of `explain`: the decision and what made it.
#[napi(object)]
pub struct Explanation {
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub decision: String,
    /// Whether the call would be allowed.
    pub allowed: bool,
    /// The key-policy statements that decided (their `Sid`, or `#<index>`).
    pub policy_statements: Vec<String>,
    /// The grants that allow it when the policy alone does not.
    pub grant_ids: Vec<String>,
}

/// One (operation, key, outcome) series of the metrics.
#[napi(object)]
pub struct MetricsSeries {
    /// The operation, e.g. `Encrypt`.
    pub operation: String,
    /// The key id (absent for calls without a key).
    pub key_id: Option<String>,
    /// `ok`, `client_error`, `denied` or `server_error`.
    pub outcome: String,
    /// The exception name (empty for success).
    pub error_code: String,
    /// Calls.
    pub count: i64,
    /// Total latency in seconds.
    pub sum_seconds: f64,
    /// Calls that took at most each bound of `bucketBoundsSeconds`, then all calls (+Inf).
    pub cumulative_buckets: Vec<i64>,
}

/// The last successful use of a key.
#[napi(object)]
pub struct KeyLastUsage {
    /// The key id.
    pub key_id: String,
    /// The operation of the last successful call.
    pub operation: String,
    /// When it happened (seconds since the epoch).
    pub timestamp: f64,
    /// Since when calls are tracked (seconds since the epoch).
    pub tracking_start: f64,
}

/// A copy of the store's metrics (shared by every handle of one `open`, narrowed or not).
#[napi(object)]
pub struct MetricsSnapshot {
    /// When the snapshot was taken (seconds since the epoch).
    pub taken_at: f64,
    /// When counting started (seconds since the epoch).
    pub since: f64,
    /// Histogram bucket upper bounds in seconds (+Inf not listed).
    pub bucket_bounds_seconds: Vec<f64>,
    /// Every series.
    pub series: Vec<MetricsSeries>,
    /// The last use of each key used successfully.
    pub last_usage: Vec<KeyLastUsage>,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<core::MetricsSnapshot> for MetricsSnapshot {
    fn from(s: core::MetricsSnapshot) -> Self {
        Self {
            taken_at: seconds(s.taken_at_ms),
            since: seconds(s.since_ms),
            bucket_bounds_seconds: s.bucket_bounds_seconds,
            series: s
                .series
                .into_iter()
                .map(|x| MetricsSeries {
                    operation: x.operation,
                    key_id: x.key_id,
                    outcome: x.outcome,
                    error_code: x.error_code,
                    count: count(x.count),
                    sum_seconds: x.sum_seconds,
                    cumulative_buckets: x.cumulative_buckets.into_iter().map(count).collect(),
                })
                .collect(),
            last_usage: s
                .last_usage
                .into_iter()
                .map(|u| KeyLastUsage {
                    key_id: u.key_id,
                    operation: u.operation,
                    timestamp: seconds(u.timestamp_ms),
                    tracking_start: seconds(u.tracking_start_ms),
                })
                .collect(),
        }
    }
}

fn sorted(map: Option<HashMap<String, String>>) -> Option<BTreeMap<String, String>> {
    map.map(|m| m.into_iter().collect())
}

fn unsorted(map: Option<BTreeMap<String, String>>) -> Option<HashMap<String, String>> {
    map.map(|m| m.into_iter().collect())
}

fn grant_entry(g: core::GrantListEntry) -> GrantListEntry {
    GrantListEntry {
        key_id: g.key_id,
        grant_id: g.grant_id,
        name: g.name,
        creation_date: seconds(g.creation_date),
        grantee_principal: g.grantee_principal,
        retiring_principal: g.retiring_principal,
        issuing_account: g.issuing_account,
        operations: g.operations.iter().map(|op| op.as_str().to_owned()).collect(),
        constraints: g.constraints.map(|c| GrantConstraints {
            encryption_context_subset: unsorted(c.encryption_context_subset),
            encryption_context_equals: unsorted(c.encryption_context_equals),
        }),
    }
}

fn grant_page(page: core::Page<core::GrantListEntry>) -> ListGrantsResult {
    let truncated = page.truncated();
    ListGrantsResult {
        grants: page.items.into_iter().map(grant_entry).collect(),
        next_marker: page.next_marker,
        truncated,
    }
}

/// PutKeyPolicy.
pub struct PutKeyPolicy {
    key_id: String,
    policy: String,
    policy_name: Option<String>,
    bypass: bool,
}

impl Op for PutKeyPolicy {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> CoreResult<()> {
        store.put_key_policy(&self.key_id, &self.policy, self.policy_name.as_deref(), self.bypass)
    }
    fn to_js(_env: &Env, (): ()) -> Result<Undefined> {
        Ok(())
    }
}

/// GetKeyPolicy.
pub struct GetKeyPolicy {
    key_id: String,
    policy_name: Option<String>,
}

impl Op for GetKeyPolicy {
    type Output = (String, String);
    type Js = GetKeyPolicyResult;
    fn run(&self, store: &Core) -> CoreResult<(String, String)> {
        let policy = store.get_key_policy(&self.key_id, self.policy_name.as_deref())?;
        Ok((policy, self.policy_name.clone().unwrap_or_else(|| core::DEFAULT_POLICY_NAME.to_owned())))
    }
    fn to_js(_env: &Env, (policy, policy_name): (String, String)) -> Result<GetKeyPolicyResult> {
        Ok(GetKeyPolicyResult { policy, policy_name })
    }
}

/// ListKeyPolicies.
pub struct ListKeyPolicies {
    key_id: String,
}

impl Op for ListKeyPolicies {
    type Output = Vec<String>;
    type Js = ListKeyPoliciesResult;
    fn run(&self, store: &Core) -> CoreResult<Vec<String>> {
        store.list_key_policies(&self.key_id)
    }
    fn to_js(_env: &Env, policy_names: Vec<String>) -> Result<ListKeyPoliciesResult> {
        Ok(ListKeyPoliciesResult { policy_names, truncated: false })
    }
}

/// CreateGrant.
pub struct CreateGrant {
    key_id: String,
    grantee_principal: String,
    operations: Vec<String>,
    retiring_principal: Option<String>,
    constraints: Option<core::GrantConstraints>,
    grant_tokens: Vec<String>,
    name: Option<String>,
    dry_run: bool,
}

impl CreateGrant {
    fn new(key_id: String, grantee_principal: String, operations: Vec<String>, o: Option<CreateGrantOptions>) -> Self {
        let mut op = Self {
            key_id,
            grantee_principal,
            operations,
            retiring_principal: None,
            constraints: None,
            grant_tokens: Vec::new(),
            name: None,
            dry_run: false,
        };
        if let Some(o) = o {
            op.retiring_principal = o.retiring_principal;
            op.constraints = o.constraints.map(|c| core::GrantConstraints {
                encryption_context_subset: sorted(c.encryption_context_subset),
                encryption_context_equals: sorted(c.encryption_context_equals),
            });
            op.grant_tokens = o.grant_tokens.unwrap_or_default();
            op.name = o.name;
            op.dry_run = o.dry_run.unwrap_or(false);
        }
        op
    }
}

impl Op for CreateGrant {
    type Output = core::CreateGrantResponse;
    type Js = CreateGrantResult;
    fn run(&self, store: &Core) -> CoreResult<Self::Output> {
        // An unknown operation name is a ValidationException, as AWS answers it.
        let operations =
            self.operations.iter().map(|name| name.parse()).collect::<CoreResult<Vec<core::GrantOperation>>>()?;
        store.create_grant(core::CreateGrantRequest {
            key_id: &self.key_id,
            grantee_principal: &self.grantee_principal,
            retiring_principal: self.retiring_principal.as_deref(),
            operations: &operations,
            constraints: self.constraints.as_ref(),
            grant_tokens: &self.grant_tokens,
            name: self.name.as_deref(),
            dry_run: self.dry_run,
        })
    }
    fn to_js(_env: &Env, r: Self::Output) -> Result<CreateGrantResult> {
        Ok(CreateGrantResult { grant_token: r.grant_token, grant_id: r.grant_id })
    }
}

/// ListGrants.
pub struct ListGrants {
    key_id: String,
    grant_id: Option<String>,
    grantee_principal: Option<String>,
    limit: Option<u32>,
    marker: Option<String>,
}

impl ListGrants {
    fn new(key_id: String, o: Option<ListGrantsOptions>) -> Self {
        let mut op = Self { key_id, grant_id: None, grantee_principal: None, limit: None, marker: None };
        if let Some(o) = o {
            op.grant_id = o.grant_id;
            op.grantee_principal = o.grantee_principal;
            op.limit = o.limit;
            op.marker = o.marker;
        }
        op
    }
}

impl Op for ListGrants {
    type Output = core::Page<core::GrantListEntry>;
    type Js = ListGrantsResult;
    fn run(&self, store: &Core) -> CoreResult<Self::Output> {
        store.list_grants(
            &self.key_id,
            self.grant_id.as_deref(),
            self.grantee_principal.as_deref(),
            self.limit,
            self.marker.as_deref(),
        )
    }
    fn to_js(_env: &Env, page: Self::Output) -> Result<ListGrantsResult> {
        Ok(grant_page(page))
    }
}

/// ListRetirableGrants.
pub struct ListRetirableGrants {
    retiring_principal: String,
    limit: Option<u32>,
    marker: Option<String>,
}

impl ListRetirableGrants {
    fn new(retiring_principal: String, o: Option<t::ListOptions>) -> Self {
        let (limit, marker) = o.map_or((None, None), |o| (o.limit, o.marker));
        Self { retiring_principal, limit, marker }
    }
}

impl Op for ListRetirableGrants {
    type Output = core::Page<core::GrantListEntry>;
    type Js = ListGrantsResult;
    fn run(&self, store: &Core) -> CoreResult<Self::Output> {
        store.list_retirable_grants(&self.retiring_principal, self.limit, self.marker.as_deref())
    }
    fn to_js(_env: &Env, page: Self::Output) -> Result<ListGrantsResult> {
        Ok(grant_page(page))
    }
}

/// How `retireGrant` names the grant (owned).
enum GrantRef {
    Token(String),
    Id { key_id: String, grant_id: String },
}

/// RetireGrant.
pub struct RetireGrant {
    grant: GrantRef,
    dry_run: bool,
}

impl RetireGrant {
    /// Exactly one way of naming the grant, or a `TypeError` (an argument mistake, like two
    /// root key sources).
    fn new(env: &Env, o: RetireGrantOptions) -> Result<Self> {
        let grant = match (o.grant_token, o.key_id, o.grant_id) {
            (Some(token), None, None) => GrantRef::Token(token),
            (None, Some(key_id), Some(grant_id)) => GrantRef::Id { key_id, grant_id },
            _ => {
                return Err(type_error(
                    env,
                    "ERR_INVALID_ARG_VALUE",
                    "retireGrant: give either grantToken, or keyId and grantId",
                ))
            }
        };
        Ok(Self { grant, dry_run: o.dry_run.unwrap_or(false) })
    }
}

impl Op for RetireGrant {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> CoreResult<()> {
        let grant = match &self.grant {
            GrantRef::Token(token) => core::GrantRef::Token(token),
            GrantRef::Id { key_id, grant_id } => core::GrantRef::Id { key_id, grant_id },
        };
        store.retire_grant(grant, self.dry_run)
    }
    fn to_js(_env: &Env, (): ()) -> Result<Undefined> {
        Ok(())
    }
}

/// RevokeGrant.
pub struct RevokeGrant {
    key_id: String,
    grant_id: String,
    dry_run: bool,
}

impl Op for RevokeGrant {
    type Output = ();
    type Js = Undefined;
    fn run(&self, store: &Core) -> CoreResult<()> {
        store.revoke_grant(&self.key_id, &self.grant_id, self.dry_run)
    }
    fn to_js(_env: &Env, (): ()) -> Result<Undefined> {
        Ok(())
    }
}

/// explain.
pub struct Explain {
    key_id: String,
    action: String,
    context: Option<core::EncryptionContext>,
    conditions: Vec<(String, String)>,
}

impl Op for Explain {
    type Output = core::Explanation;
    type Js = Explanation;
    fn run(&self, store: &Core) -> CoreResult<Self::Output> {
        let conditions: Vec<(&str, &str)> = self.conditions.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        store.explain(&self.key_id, &self.action, self.context.as_ref(), &conditions)
    }
    fn to_js(_env: &Env, e: Self::Output) -> Result<Explanation> {
        Ok(Explanation {
            decision: e.decision,
            allowed: e.allowed,
            policy_statements: e.policy_statements,
            grant_ids: e.grant_ids,
        })
    }
}

fn explain(key_id: String, action: String, o: Option<ExplainOptions>) -> Explain {
    let (context, conditions) = o.map_or((None, None), |o| (t::context(o.encryption_context), o.conditions));
    Explain { key_id, action, context, conditions: conditions.map(|c| c.into_iter().collect()).unwrap_or_default() }
}

/// The metrics snapshot.
pub struct Metrics;

impl Op for Metrics {
    type Output = core::MetricsSnapshot;
    type Js = MetricsSnapshot;
    fn run(&self, store: &Core) -> CoreResult<Self::Output> {
        Ok(store.metrics_snapshot())
    }
    fn to_js(_env: &Env, s: Self::Output) -> Result<MetricsSnapshot> {
        Ok(s.into())
    }
}

/// The metrics in Prometheus text.
pub struct Prometheus;

impl Op for Prometheus {
    type Output = String;
    type Js = String;
    fn run(&self, store: &Core) -> CoreResult<String> {
        Ok(store.metrics_snapshot().to_prometheus())
    }
    fn to_js(_env: &Env, text: String) -> Result<String> {
        Ok(text)
    }
}

fn put_key_policy(key_id: String, policy: String, o: Option<PutKeyPolicyOptions>) -> PutKeyPolicy {
    let (policy_name, bypass) =
        o.map_or((None, false), |o| (o.policy_name, o.bypass_policy_lockout_safety_check.unwrap_or(false)));
    PutKeyPolicy { key_id, policy, policy_name, bypass }
}

fn dry_run(o: Option<DryRunOptions>) -> bool {
    o.and_then(|o| o.dry_run).unwrap_or(false)
}

#[napi]
impl Keystead {
    /// A handle on the same store that acts as `principalArn` (an IAM user, role, assumed-role
    /// session or account root ARN): key policies and grants are evaluated for it on every call,
    /// and audit events name it. Cheap (no I/O), so synchronous only. The handle it is called on
    /// is unchanged; a handle that was never narrowed acts as the account principal
    /// `arn:aws:iam::<accountId>:root`. Throws `InvalidArnException` for a malformed ARN.
    #[napi(strict)]
    pub fn as_principal(
        &self,
        env: Env,
        principal_arn: String,
        options: Option<AsPrincipalOptions>,
    ) -> Result<Keystead> {
        let narrowed = match options.and_then(|o| o.access_key_id) {
            Some(access_key) => self.core.as_principal_with_access_key(&principal_arn, &access_key),
            None => self.core.as_principal(&principal_arn),
        };
        narrowed.map(Keystead::wrap).map_err(|e| core_error(&env, &e))
    }

    /// The principal this handle acts as.
    #[napi(getter)]
    pub fn principal(&self) -> Principal {
        let p = self.core.principal();
        Principal {
            arn: p.arn().to_owned(),
            account_id: p.account_id().to_owned(),
            access_key_id: p.access_key_id().map(str::to_owned),
        }
    }

    /// The folder of this store's audit log (`<store folder>/audit`), or `null` when the store
    /// was opened with `audit: false`.
    #[napi(getter)]
    pub fn audit_dir(&self) -> Option<String> {
        self.core.audit_log().map(|log| log.dir().to_string_lossy().into_owned())
    }

    /// `PutKeyPolicy`: replaces the key's policy (JSON text, up to 32 KB); takes effect on the
    /// next call, for every handle. Unless `bypassPolicyLockoutSafetyCheck`, the policy must let
    /// the caller change it again (`MalformedPolicyDocumentException` otherwise, and nothing
    /// changes).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn put_key_policy(
        &self,
        key_id: String,
        policy: String,
        options: Option<PutKeyPolicyOptions>,
    ) -> AsyncTask<Job<PutKeyPolicy>> {
        AsyncTask::new(Job::new(&self.core, put_key_policy(key_id, policy, options)))
    }

    /// Synchronous twin of `putKeyPolicy`.
    #[napi(strict)]
    pub fn put_key_policy_sync(
        &self,
        env: Env,
        key_id: String,
        policy: String,
        options: Option<PutKeyPolicyOptions>,
    ) -> Result<Undefined> {
        run_sync(&env, &self.core, put_key_policy(key_id, policy, options))
    }

    /// `GetKeyPolicy`: the key's policy (AWS's default key policy when none was set).
    #[napi(strict, ts_return_type = "Promise<GetKeyPolicyResult>")]
    pub fn get_key_policy(&self, key_id: String, options: Option<GetKeyPolicyOptions>) -> AsyncTask<Job<GetKeyPolicy>> {
        let policy_name = options.and_then(|o| o.policy_name);
        AsyncTask::new(Job::new(&self.core, GetKeyPolicy { key_id, policy_name }))
    }

    /// Synchronous twin of `getKeyPolicy`.
    #[napi(strict)]
    pub fn get_key_policy_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<GetKeyPolicyOptions>,
    ) -> Result<GetKeyPolicyResult> {
        let policy_name = options.and_then(|o| o.policy_name);
        run_sync(&env, &self.core, GetKeyPolicy { key_id, policy_name })
    }

    /// `ListKeyPolicies`: the key's policy names (always `['default']`).
    #[napi(strict, ts_return_type = "Promise<ListKeyPoliciesResult>")]
    pub fn list_key_policies(&self, key_id: String) -> AsyncTask<Job<ListKeyPolicies>> {
        AsyncTask::new(Job::new(&self.core, ListKeyPolicies { key_id }))
    }

    /// Synchronous twin of `listKeyPolicies`.
    #[napi(strict)]
    pub fn list_key_policies_sync(&self, env: Env, key_id: String) -> Result<ListKeyPoliciesResult> {
        run_sync(&env, &self.core, ListKeyPolicies { key_id })
    }

    /// `CreateGrant`: lets `granteePrincipal` use the key (key id or ARN) for `operations`
    /// (AWS's names: `Encrypt`, `Decrypt`, `GenerateDataKey`, `DescribeKey`, `RetireGrant`...),
    /// optionally only with a given encryption context. Takes effect on the very next call.
    #[napi(strict, ts_return_type = "Promise<CreateGrantResult>")]
    pub fn create_grant(
        &self,
        key_id: String,
        grantee_principal: String,
        operations: Vec<String>,
        options: Option<CreateGrantOptions>,
    ) -> AsyncTask<Job<CreateGrant>> {
        AsyncTask::new(Job::new(&self.core, CreateGrant::new(key_id, grantee_principal, operations, options)))
    }

    /// Synchronous twin of `createGrant`.
    #[napi(strict)]
    pub fn create_grant_sync(
        &self,
        env: Env,
        key_id: String,
        grantee_principal: String,
        operations: Vec<String>,
        options: Option<CreateGrantOptions>,
    ) -> Result<CreateGrantResult> {
        run_sync(&env, &self.core, CreateGrant::new(key_id, grantee_principal, operations, options))
    }

    /// `ListGrants`: one page of a key's grants (`limit` 1–100, default 50), optionally only one
    /// grant id or one grantee.
    #[napi(strict, ts_return_type = "Promise<ListGrantsResult>")]
    pub fn list_grants(&self, key_id: String, options: Option<ListGrantsOptions>) -> AsyncTask<Job<ListGrants>> {
        AsyncTask::new(Job::new(&self.core, ListGrants::new(key_id, options)))
    }

    /// Synchronous twin of `listGrants`.
    #[napi(strict)]
    pub fn list_grants_sync(
        &self,
        env: Env,
        key_id: String,
        options: Option<ListGrantsOptions>,
    ) -> Result<ListGrantsResult> {
        run_sync(&env, &self.core, ListGrants::new(key_id, options))
    }

    /// `ListRetirableGrants`: one page of the grants (of any key) that `retiringPrincipal` may
    /// retire (`limit` 1–100, default 50).
    #[napi(strict, ts_return_type = "Promise<ListGrantsResult>")]
    pub fn list_retirable_grants(
        &self,
        retiring_principal: String,
        options: Option<t::ListOptions>,
    ) -> AsyncTask<Job<ListRetirableGrants>> {
        AsyncTask::new(Job::new(&self.core, ListRetirableGrants::new(retiring_principal, options)))
    }

    /// Synchronous twin of `listRetirableGrants`.
    #[napi(strict)]
    pub fn list_retirable_grants_sync(
        &self,
        env: Env,
        retiring_principal: String,
        options: Option<t::ListOptions>,
    ) -> Result<ListGrantsResult> {
        run_sync(&env, &self.core, ListRetirableGrants::new(retiring_principal, options))
    }

    /// `RetireGrant`: removes a grant named by `grantToken`, or by `keyId` (key ARN) and `grantId`.
    /// Allowed to its retiring principal, to its grantee when the grant includes `RetireGrant`,
    /// and to the account that created it. Naming the grant both ways, or neither, is a
    /// `TypeError`.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn retire_grant(&self, env: Env, options: RetireGrantOptions) -> Result<AsyncTask<Job<RetireGrant>>> {
        Ok(AsyncTask::new(Job::new(&self.core, RetireGrant::new(&env, options)?)))
    }

    /// Synchronous twin of `retireGrant`.
    #[napi(strict)]
    pub fn retire_grant_sync(&self, env: Env, options: RetireGrantOptions) -> Result<Undefined> {
        let op = RetireGrant::new(&env, options)?;
        run_sync(&env, &self.core, op)
    }

    /// `RevokeGrant`: removes a grant of a key (needs `kms:RevokeGrant` on the key).
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn revoke_grant(
        &self,
        key_id: String,
        grant_id: String,
        options: Option<DryRunOptions>,
    ) -> AsyncTask<Job<RevokeGrant>> {
        AsyncTask::new(Job::new(&self.core, RevokeGrant { key_id, grant_id, dry_run: dry_run(options) }))
    }

    /// Synchronous twin of `revokeGrant`.
    #[napi(strict)]
    pub fn revoke_grant_sync(
        &self,
        env: Env,
        key_id: String,
        grant_id: String,
        options: Option<DryRunOptions>,
    ) -> Result<Undefined> {
        run_sync(&env, &self.core, RevokeGrant { key_id, grant_id, dry_run: dry_run(options) })
    }

    /// Explains whether this handle's principal may perform `action` (e.g. `kms:Decrypt`) on a
    /// key, with an optional encryption context and extra condition keys: the decision, the
    /// key-policy statements and the grants that made it (Keystead only, for debugging
    /// policies; not audited). An unknown action is a `ValidationException`.
    #[napi(strict, ts_return_type = "Promise<Explanation>")]
    pub fn explain(&self, key_id: String, action: String, options: Option<ExplainOptions>) -> AsyncTask<Job<Explain>> {
        AsyncTask::new(Job::new(&self.core, explain(key_id, action, options)))
    }

    /// Synchronous twin of `explain`.
    #[napi(strict)]
    pub fn explain_sync(
        &self,
        env: Env,
        key_id: String,
        action: String,
        options: Option<ExplainOptions>,
    ) -> Result<Explanation> {
        run_sync(&env, &self.core, explain(key_id, action, options))
    }

    /// A snapshot of the metrics: calls by operation, key and outcome, with latency histograms,
    /// and each key's last use. Counted for every handle of this `open` (narrowed or not) since it
    /// was opened; a Keystead extension, not a KMS operation (in memory: never fails).
    #[napi(strict, ts_return_type = "Promise<MetricsSnapshot>")]
    pub fn metrics_snapshot(&self) -> AsyncTask<Job<Metrics>> {
        AsyncTask::new(Job::new(&self.core, Metrics))
    }

    /// Synchronous twin of `metricsSnapshot`.
    #[napi(strict)]
    pub fn metrics_snapshot_sync(&self, env: Env) -> Result<MetricsSnapshot> {
        run_sync(&env, &self.core, Metrics)
    }

    /// The metrics in the Prometheus text exposition format 0.0.4 (serve it with
    /// `Content-Type: text/plain; version=0.0.4`): `keystead_requests_total`,
    /// `keystead_request_duration_seconds` and `keystead_key_last_used_timestamp_seconds`.
    #[napi(strict, ts_return_type = "Promise<string>")]
    pub fn metrics_prometheus(&self) -> AsyncTask<Job<Prometheus>> {
        AsyncTask::new(Job::new(&self.core, Prometheus))
    }

    /// Synchronous twin of `metricsPrometheus`.
    #[napi(strict)]
    pub fn metrics_prometheus_sync(&self, env: Env) -> Result<String> {
        run_sync(&env, &self.core, Prometheus)
    }
}
