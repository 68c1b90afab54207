//! Principals: who makes a call. The embedding application decides who the caller is (a web
//! request's user, a service's role, a server's access key) and narrows its store handle to that
//! principal with [`Keystead::as_principal`]; key policies and grants are then evaluated for it.
//!
//! Keystead has no IAM layer, so the account principal `arn:<partition>:iam::<account>:root`
//! stands for every principal of that account, as the default key policy intends ("the account
//! may use IAM to delegate"): a store handle that is not narrowed acts as that account principal.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::Keystead;

/// A parsed principal ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    arn: String,
    account_id: String,
    /// For an assumed-role session (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`), the
    /// role's ARN: policies and grants naming the role apply to its sessions.
    role_arn: Option<String>,
    /// The access key the call was signed with, when a server made it (audit only).
    access_key_id: Option<String>,
}

impl Principal {
    /// Parses a principal ARN: `arn:<partition>:iam::<12 digits>:root`, `...:user/<path/name>`,
    /// `...:role/<path/name>`, `...:federated-user/<name>`, or
    /// `arn:<partition>:sts::<12 digits>:assumed-role/<role>/<session>`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArn`] naming what is wrong.
    pub fn parse(arn: &str) -> Result<Self> {
        let bad = |why: &str| Error::new(ErrorKind::InvalidArn, format!("Invalid principal ARN {arn:?}: {why}"));
        if arn.is_empty() || arn.len() > 256 {
            return Err(bad("it must be 1 to 256 characters"));
        }
        if !arn.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c)) {
            return Err(bad("it contains characters a principal ARN cannot contain"));
        }
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(""), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected arn:<partition>:iam::<account-id>:<resource>"));
        };
        if !partition.starts_with("aws") {
            return Err(bad("unknown partition"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the account id must be 12 digits"));
        }
        let named =
            |prefix: &str| resource.strip_prefix(prefix).filter(|rest| !rest.is_empty() && !rest.ends_with('/'));
        let role_arn = match service {
            "iam" if resource == "root" => None,
            "iam" if named("user/").is_some() || named("role/").is_some() || named("federated-user/").is_some() => None,
            "sts" => {
                let session = named("assumed-role/").ok_or_else(|| bad("an sts principal must be an assumed-role"))?;
                let (role, name) =
                    session.split_once('/').ok_or_else(|| bad("expected assumed-role/<role>/<session>"))?;
                if role.is_empty() || name.is_empty() || name.contains('/') {
                    return Err(bad("expected assumed-role/<role>/<session>"));
                }
                Some(format!("arn:{partition}:iam::{account}:role/{role}"))
            }
            "iam" => return Err(bad("expected root, user/<name>, role/<name> or federated-user/<name>")),
            _ => return Err(bad("the service must be iam or sts")),
        };
        Ok(Self { arn: arn.to_owned(), account_id: account.to_owned(), role_arn, access_key_id: None })
    }

    /// The account principal `arn:<partition>:iam::<account_id>:root`.
    pub(crate) fn account_root(partition: &str, account_id: &str) -> Self {
        Self {
            arn: format!("arn:{partition}:iam::{account_id}:root"),
            account_id: account_id.to_owned(),
            role_arn: None,
            access_key_id: None,
        }
    }

    /// The principal's ARN, as given.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The 12-digit account the principal belongs to.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// For an assumed-role session, the ARN of its role.
    pub fn role_arn(&self) -> Option<&str> {
        self.role_arn.as_deref()
    }

    /// The access key the calls are signed with, when known (recorded in audit events).
    pub fn access_key_id(&self) -> Option<&str> {
        self.access_key_id.as_deref()
    }

    /// Whether this is an account principal (`...:root`).
    pub fn is_account(&self) -> bool {
        self.arn.ends_with(":root")
    }

    /// The ARNs a grant's grantee (or retiring principal) may name to cover this principal: the
    /// principal itself, its role for an assumed-role session, and its account principal.
    pub(crate) fn grant_names(&self, partition: &str) -> Vec<String> {
        let mut names = vec![self.arn.clone()];
        if let Some(role) = &self.role_arn {
            names.push(role.clone());
        }
        if !self.is_account() {
            names.push(format!("arn:{partition}:iam::{}:root", self.account_id));
        }
        names
    }
}

impl Keystead {
    /// A handle on the same store that makes its calls as `principal_arn` (cheap: the store,
    /// caches and connections are shared). Key policies and grants decide what it may do; the
    /// audit log records it as the caller. The application is trusted to say who the caller is.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArn`] when `principal_arn` is not a principal ARN.
    pub fn as_principal(&self, principal_arn: &str) -> Result<Keystead> {
        let principal = Principal::parse(principal_arn)?;
        Ok(Keystead { inner: Arc::clone(&self.inner), caller: Arc::new(principal) })
    }

    /// As [`Keystead::as_principal`], for a call signed with `access_key_id` (a server's
    /// request): the audit log records the access key id with the principal.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArn`] for a bad `principal_arn`; ValidationException when
    /// `access_key_id` is not 16–128 characters of `[A-Za-z0-9_]`.
    pub fn as_principal_with_access_key(&self, principal_arn: &str, access_key_id: &str) -> Result<Keystead> {
        let mut principal = Principal::parse(principal_arn)?;
        // The id lands in every audit event of this handle, so it must have AWS's shape.
        super::access_keys::check_access_key_id(access_key_id)?;
        principal.access_key_id = Some(access_key_id.to_owned());
        Ok(Keystead { inner: Arc::clone(&self.inner), caller: Arc::new(principal) })
    }

    /// The principal this handle calls as (the account principal unless narrowed).
    pub fn principal(&self) -> &Principal {
        &self.caller
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_principal_kinds() {
        let role = Principal::parse("arn:aws:iam::111122223333:role/checkout").unwrap();
        assert_eq!(role.account_id(), "111122223333");
        assert_eq!(role.role_arn(), None);
        assert!(!role.is_account());
        let session = Principal::parse("arn:aws:sts::111122223333:assumed-role/checkout/worker-7").unwrap();
        assert_eq!(session.role_arn(), Some("arn:aws:iam::111122223333:role/checkout"));
        assert_eq!(
            session.grant_names("aws"),
            [
                "arn:aws:sts::111122223333:assumed-role/checkout/worker-7",
                "arn:aws:iam::111122223333:role/checkout",
                "arn:aws:iam::111122223333:root"
            ]
        );
        assert!(Principal::parse("arn:aws:iam::111122223333:root").unwrap().is_account());
        Principal::parse("arn:aws:iam::111122223333:user/team/alice").unwrap();
    }

    #[test]
    fn rejects_what_is_not_a_principal() {
        for bad in [
            "",
            "alice",
            "arn:aws:iam::1111:root",
            "arn:aws:iam::111122223333:group/admins",
            "arn:aws:kms:us-east-1:111122223333:key/x",
            "arn:aws:sts::111122223333:assumed-role/checkout",
            "arn:aws:iam::111122223333:role/",
            "arn:aws:iam::111122223333:user/a b",
            "arn:gcp:iam::111122223333:root",
        ] {
            let err = Principal::parse(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArn, "{bad}");
        }
    }
}
