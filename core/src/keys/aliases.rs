//! Aliases: friendly names for keys (`CreateAlias`, `UpdateAlias`, `DeleteAlias`, `ListAliases`).

use crate::calls::params;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::id::{reject_reserved_alias, validate_alias_name};
use crate::keys::metadata::{AliasListEntry, Page};
use crate::keys::page::{decode_marker, encode_marker, limit};
use crate::keys::record::AliasRecord;
use crate::keystead::Keystead;
use crate::policy::authorize::{Access, Action};
use serde_json::json;

/// Most aliases that may point to one key.
pub const MAX_ALIASES_PER_KEY: u64 = 50;

impl Keystead {
    /// `CreateAlias`: `alias_name` (`alias/...`, not `alias/aws/...` or `alias/managed/...`)
    /// pointing to a customer managed key named by key id or key ARN.
    pub fn create_alias(&self, alias_name: &str, target_key_id: &str) -> Result<()> {
        self.call(
            "CreateAlias",
            Some(target_key_id),
            |_| params([("aliasName", json!(alias_name)), ("targetKeyId", json!(target_key_id))]),
            || {
                self.maybe_sweep()?;
                validate_alias_name(alias_name)?;
                reject_reserved_alias(alias_name)?;
                self.write(|txn| {
                    let key = self.resolve_key_only(txn, target_key_id)?;
                    self.authorize(txn, &key, &Access::new(Action::CreateAlias))?;
                    self.require_customer_managed(&key, "CreateAlias")?;
                    self.require_not_pending_deletion(&key)?;
                    if txn.alias(alias_name)?.is_some() {
                        return Err(Error::new(
                            ErrorKind::AlreadyExists,
                            format!("An alias with the name {} already exists", self.identity().alias_arn(alias_name)),
                        ));
                    }
                    if txn.count_aliases(&key.key_id)? >= MAX_ALIASES_PER_KEY {
                        return Err(Error::new(
                            ErrorKind::LimitExceeded,
                            format!("Key {} already has {MAX_ALIASES_PER_KEY} aliases", self.arn(&key.key_id)),
                        ));
                    }
                    let now = self.now();
                    txn.put_alias(&AliasRecord {
                        name: alias_name.to_owned(),
                        target_key_id: key.key_id,
                        created_ms: now,
                        updated_ms: now,
                    })
                })
            },
        )
    }

    /// `UpdateAlias`: points an existing alias to another key of the same type and usage.
    pub fn update_alias(&self, alias_name: &str, target_key_id: &str) -> Result<()> {
        self.call(
            "UpdateAlias",
            Some(target_key_id),
            |_| params([("aliasName", json!(alias_name)), ("targetKeyId", json!(target_key_id))]),
            || {
                self.maybe_sweep()?;
                validate_alias_name(alias_name)?;
                reject_reserved_alias(alias_name)?;
                self.write(|txn| {
                    let mut alias = txn.alias(alias_name)?.ok_or_else(|| {
                        Error::not_found(format!("Alias {} is not found.", self.identity().alias_arn(alias_name)))
                    })?;
                    let target = self.resolve_key_only(txn, target_key_id)?;
                    let current = txn.key(&alias.target_key_id)?;
                    // AWS: kms:UpdateAlias is needed on both the current and the new key.
                    if let Some(current) = &current {
                        self.authorize(txn, current, &Access::new(Action::UpdateAlias))?;
                    }
                    self.authorize(txn, &target, &Access::new(Action::UpdateAlias))?;
                    self.require_customer_managed(&target, "UpdateAlias")?;
                    self.require_not_pending_deletion(&target)?;
                    if let Some(current) = current {
                        if current.key_spec.family() != target.key_spec.family()
                            || current.key_usage != target.key_usage
                        {
                            return Err(Error::validation(format!(
                                "{} has a different key type or usage than the alias's current key",
                                self.arn(&target.key_id)
                            )));
                        }
                    }
                    if txn.count_aliases(&target.key_id)? >= MAX_ALIASES_PER_KEY {
                        return Err(Error::new(
                            ErrorKind::LimitExceeded,
                            format!("Key {} already has {MAX_ALIASES_PER_KEY} aliases", self.arn(&target.key_id)),
                        ));
                    }
                    alias.target_key_id = target.key_id;
                    alias.updated_ms = self.now();
                    txn.put_alias(&alias)
                })
            },
        )
    }

    /// `DeleteAlias`: removes an alias; its key is not affected.
    pub fn delete_alias(&self, alias_name: &str) -> Result<()> {
        self.call(
            "DeleteAlias",
            None,
            |_| params([("aliasName", json!(alias_name))]),
            || {
                self.maybe_sweep()?;
                validate_alias_name(alias_name)?;
                reject_reserved_alias(alias_name)?;
                self.write(|txn| {
                    let not_found =
                        || Error::not_found(format!("Alias {} is not found.", self.identity().alias_arn(alias_name)));
                    let alias = txn.alias(alias_name)?.ok_or_else(not_found)?;
                    if let Some(key) = txn.key(&alias.target_key_id)? {
                        self.authorize(txn, &key, &Access::new(Action::DeleteAlias))?;
                    }
                    if txn.delete_alias(alias_name)? {
                        Ok(())
                    } else {
                        Err(not_found())
                    }
                })
            },
        )
    }

    /// `ListAliases`: all aliases, or those of one key (key id or key ARN); `limit` 1–100
    /// (default 50).
    pub fn list_aliases(
        &self,
        key_id: Option<&str>,
        limit_value: Option<u32>,
        marker: Option<&str>,
    ) -> Result<Page<AliasListEntry>> {
        self.call(
            "ListAliases",
            key_id,
            |_| params([("keyId", json!(key_id)), ("limit", json!(limit_value)), ("marker", json!(marker))]),
            || {
                self.maybe_sweep()?;
                self.authorize_account("kms:ListAliases")?;
                let limit = limit(limit_value, 100, 50)?;
                let after = marker.map(|m| decode_marker("aliases", m)).transpose()?;
                self.read(|txn| {
                    let filter = key_id.map(|id| self.resolve_key_only(txn, id)).transpose()?;
                    let mut aliases =
                        txn.list_aliases(filter.as_ref().map(|k| k.key_id.as_str()), after.as_deref(), limit + 1)?;
                    let next_marker =
                        (aliases.len() > limit).then(|| encode_marker("aliases", &aliases[limit - 1].name));
                    aliases.truncate(limit);
                    Ok(Page {
                        items: aliases
                            .into_iter()
                            .map(|a| AliasListEntry {
                                alias_arn: self.identity().alias_arn(&a.name),
                                alias_name: a.name,
                                target_key_id: a.target_key_id,
                                creation_date: a.created_ms,
                                last_updated_date: a.updated_ms,
                            })
                            .collect(),
                        next_marker,
                    })
                })
            },
        )
    }
}
