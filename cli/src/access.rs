//! Access control on the command line, as `aws kms` spells it: key policies (put-key-policy,
//! get-key-policy, list-key-policies), grants (create-grant, list-grants,
//! list-retirable-grants, retire-grant, revoke-grant), plus Keystead's `explain`.
//! Every command runs as the principal given by the global `--as-principal` (default: the
//! store's account principal).

use std::collections::BTreeMap;

use clap::Subcommand;
use keystead_core::{CreateGrantRequest, GrantConstraints, GrantOperation, GrantRef, Keystead, DEFAULT_POLICY_NAME};
use serde::Serialize;

use super::{parse_context, CliResult, Failure, PageOut, Printer};

/// The access-control commands.
#[derive(Subcommand, Debug)]
pub(crate) enum AccessCommand {
    /// Replace a key's policy (`--policy` is JSON text or file://PATH)
    PutKeyPolicy {
        /// Key id or key ARN
        #[arg(long)]
        key_id: String,
        /// The policy document, or file://PATH
        #[arg(long)]
        policy: String,
        /// Only `default`
        #[arg(long)]
        policy_name: Option<String>,
        /// Accept a policy that would not let you change it again
        #[arg(long)]
        bypass_policy_lockout_safety_check: bool,
    },
    /// Print a key's policy
    GetKeyPolicy {
        /// Key id or key ARN
        #[arg(long)]
        key_id: String,
        /// Only `default`
        #[arg(long)]
        policy_name: Option<String>,
    },
    /// List a key's policy names
    ListKeyPolicies {
        /// Key id or key ARN
        #[arg(long)]
        key_id: String,
    },
    /// Let a principal use a key for some operations
    CreateGrant {
        /// Key id or key ARN
        #[arg(long)]
        key_id: String,
        /// The principal ARN the grant allows
        #[arg(long)]
        grantee_principal: String,
        /// Operations, e.g. `--operations Encrypt Decrypt`
        #[arg(long, num_args = 1.., required = true)]
        operations: Vec<String>,
        /// A principal that may retire the grant
        #[arg(long)]
        retiring_principal: Option<String>,
        /// JSON: {"EncryptionContextSubset": {...}} or {"EncryptionContextEquals": {...}}
        #[arg(long)]
        constraints: Option<String>,
        /// A name that makes retries idempotent
        #[arg(long)]
        name: Option<String>,
        /// Check only (DryRunOperationException when it would succeed)
        #[arg(long)]
        dry_run: bool,
    },
    /// List the grants of a key
    ListGrants {
        /// Key id or key ARN
        #[arg(long)]
        key_id: String,
        /// Only this grant
        #[arg(long)]
        grant_id: Option<String>,
        /// Only grants to this principal
        #[arg(long)]
        grantee_principal: Option<String>,
        /// 1–100 (default 50)
        #[arg(long)]
        limit: Option<u32>,
        /// From a previous page's NextMarker
        #[arg(long)]
        marker: Option<String>,
    },
    /// List the grants a principal may retire
    ListRetirableGrants {
        /// The retiring principal ARN
        #[arg(long)]
        retiring_principal: String,
        /// 1–100 (default 50)
        #[arg(long)]
        limit: Option<u32>,
        /// From a previous page's NextMarker
        #[arg(long)]
        marker: Option<String>,
    },
    /// Retire a grant (by token, or by key ARN and grant id)
    RetireGrant {
        /// A token from create-grant
        #[arg(long, conflicts_with_all = ["key_id", "grant_id"])]
        grant_token: Option<String>,
        /// Key ARN (with --grant-id)
        #[arg(long, requires = "grant_id")]
        key_id: Option<String>,
        /// Grant id (with --key-id)
        #[arg(long, requires = "key_id")]
        grant_id: Option<String>,
        /// Check only
        #[arg(long)]
        dry_run: bool,
    },
    /// Revoke a grant
    RevokeGrant {
        /// Key id or key ARN
        #[arg(long)]
        key_id: String,
        /// Grant id
        #[arg(long)]
        grant_id: String,
        /// Check only
        #[arg(long)]
        dry_run: bool,
    },
    /// Explain whether the principal may perform an action on a key, and why
    Explain {
        /// Key id, key ARN, alias name or alias ARN
        #[arg(long)]
        key_id: String,
        /// e.g. kms:Decrypt
        #[arg(long)]
        action: String,
        /// k=v,k2=v2 or a JSON object
        #[arg(long)]
        encryption_context: Option<String>,
    },
}

impl AccessCommand {
    /// The AWS operation name used in error lines.
    pub(crate) fn operation(&self) -> &'static str {
        match self {
            Self::PutKeyPolicy { .. } => "PutKeyPolicy",
            Self::GetKeyPolicy { .. } => "GetKeyPolicy",
            Self::ListKeyPolicies { .. } => "ListKeyPolicies",
            Self::CreateGrant { .. } => "CreateGrant",
            Self::ListGrants { .. } => "ListGrants",
            Self::ListRetirableGrants { .. } => "ListRetirableGrants",
            Self::RetireGrant { .. } => "RetireGrant",
            Self::RevokeGrant { .. } => "RevokeGrant",
            Self::Explain { .. } => "Explain",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyOut {
    policy: String,
    policy_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyNamesOut {
    policy_names: Vec<String>,
    truncated: bool,
}

/// A policy parameter: JSON text, or `file://PATH` as aws-cli reads it.
pub(crate) fn read_policy(value: &str) -> CliResult<String> {
    match value.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!("Error parsing parameter '--policy': Unable to load paramfile {value}: {e}"))
        }),
        None => Ok(value.to_owned()),
    }
}

fn parse_operations(values: &[String]) -> CliResult<Vec<GrantOperation>> {
    // aws-cli also accepts one comma-separated value.
    values
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<GrantOperation>().map_err(Failure::Service))
        .collect()
}

fn parse_constraints(value: &str) -> CliResult<GrantConstraints> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    struct Shape {
        encryption_context_subset: Option<BTreeMap<String, String>>,
        encryption_context_equals: Option<BTreeMap<String, String>>,
    }
    let shape: Shape = serde_json::from_str(value).map_err(|e| {
        Failure::Usage(format!(
            "Error parsing parameter '--constraints': expected {{\"EncryptionContextSubset\": {{...}}}} or {{\"EncryptionContextEquals\": {{...}}}}: {e}"
        ))
    })?;
    Ok(GrantConstraints {
        encryption_context_subset: shape.encryption_context_subset,
        encryption_context_equals: shape.encryption_context_equals,
    })
}

/// Runs one access-control command.
pub(crate) fn run(command: &AccessCommand, store: &Keystead, out: &Printer<'_>) -> CliResult<()> {
    match command {
        AccessCommand::PutKeyPolicy { key_id, policy, policy_name, bypass_policy_lockout_safety_check } => {
            let policy = read_policy(policy)?;
            store.put_key_policy(key_id, &policy, policy_name.as_deref(), *bypass_policy_lockout_safety_check)?;
            Ok(())
        }
        AccessCommand::GetKeyPolicy { key_id, policy_name } => out.print(&PolicyOut {
            policy: store.get_key_policy(key_id, policy_name.as_deref())?,
            policy_name: policy_name.clone().unwrap_or_else(|| DEFAULT_POLICY_NAME.to_owned()),
        }),
        AccessCommand::ListKeyPolicies { key_id } => {
            out.print(&PolicyNamesOut { policy_names: store.list_key_policies(key_id)?, truncated: false })
        }
        AccessCommand::CreateGrant {
            key_id,
            grantee_principal,
            operations,
            retiring_principal,
            constraints,
            name,
            dry_run,
        } => {
            let operations = parse_operations(operations)?;
            let constraints = constraints.as_deref().map(parse_constraints).transpose()?;
            let response = store.create_grant(CreateGrantRequest {
                key_id,
                grantee_principal,
                retiring_principal: retiring_principal.as_deref(),
                operations: &operations,
                constraints: constraints.as_ref(),
                name: name.as_deref(),
                dry_run: *dry_run,
                ..Default::default()
            })?;
            out.print(&response)
        }
        AccessCommand::ListGrants { key_id, grant_id, grantee_principal, limit, marker } => {
            let page = store.list_grants(
                key_id,
                grant_id.as_deref(),
                grantee_principal.as_deref(),
                *limit,
                marker.as_deref(),
            )?;
            out.print(&PageOut { items_name: "Grants", page: &page })
        }
        AccessCommand::ListRetirableGrants { retiring_principal, limit, marker } => {
            let page = store.list_retirable_grants(retiring_principal, *limit, marker.as_deref())?;
            out.print(&PageOut { items_name: "Grants", page: &page })
        }
        AccessCommand::RetireGrant { grant_token, key_id, grant_id, dry_run } => {
            let grant = match (grant_token, key_id, grant_id) {
                (Some(token), _, _) => GrantRef::Token(token),
                (None, Some(key_id), Some(grant_id)) => GrantRef::Id { key_id, grant_id },
                _ => return Err(Failure::Usage("Give --grant-token, or --key-id with --grant-id".into())),
            };
            store.retire_grant(grant, *dry_run)?;
            Ok(())
        }
        AccessCommand::RevokeGrant { key_id, grant_id, dry_run } => {
            store.revoke_grant(key_id, grant_id, *dry_run)?;
            Ok(())
        }
        AccessCommand::Explain { key_id, action, encryption_context } => {
            let context = parse_context("--encryption-context", encryption_context.as_deref())?;
            out.print(&store.explain(key_id, action, context.as_ref(), &[])?)
        }
    }
}
